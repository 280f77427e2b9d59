# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import fields
from odoo.tests import new_test_user, tagged

from .common import FollowupHttpCommon, csrf_token_of


@tagged("post_install", "-at_install")
class TestPaymentPlanPortal(FollowupHttpCommon):
    """Payment plans in the portal: accept or decline with the mail's token or
    a login, pay the next instalment online, request a plan; other customers
    are refused."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.today()
        cls.move = cls._invoice(
            invoice_date=today - timedelta(days=40), term=cls.term_30, amount=900.0
        )
        Plan = cls.env["invoice.payment.plan"]
        cls.plan = Plan.create(
            Plan._prepare_plan_values(cls.move, 3, today + timedelta(days=7))
        )
        cls.plan.action_propose()
        cls.move_b = cls._invoice(
            partner=cls.customer_b,
            invoice_date=today - timedelta(days=40),
            term=cls.term_30,
            amount=600.0,
        )
        cls.plan_b = Plan.create(
            Plan._prepare_plan_values(cls.move_b, 2, today + timedelta(days=7))
        )
        cls.plan_b.action_propose()

    def test_accept_with_token(self):
        """Scenario: the customer opens the plan from the proposal mail, sees the
        schedule and accepts with its name: the plan is active."""
        url = self.plan.get_portal_url()
        page = self.url_open(url)
        self.assertIn(self.plan.name, page.text)
        self.assertIn("300.00", page.text)
        csrf = self._csrf(url)
        response = self.url_open(
            f"/my/payment_plans/{self.plan.id}/accept",
            data={
                "csrf_token": csrf,
                "access_token": self.plan.access_token,
                "name": "Omar Al-Harbi",
            },
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.plan.state, "active")
        self.assertEqual(self.plan.accepted_by, "Omar Al-Harbi")
        # the signed agreement: core's portal always answers "application/pdf"
        # and the test mode renders it as HTML, so the content is what counts
        pdf = self.url_open(self.plan.get_portal_url(report_type="pdf"))
        self.assertEqual(pdf.status_code, 200)
        self.assertIn("Payment plan agreement", pdf.text)
        self.assertIn(self.plan.name, pdf.text)
        self.assertIn(self.move.name, pdf.text)
        self.assertIn("300.00", pdf.text)
        self.assertNotIn(self.plan_b.name, pdf.text)
        # with another plan's token: no agreement at all
        refused = self.url_open(
            f"/my/payment_plans/{self.plan_b.id}?report_type=pdf"
            f"&access_token={self.plan.access_token}",
            allow_redirects=False,
        )
        self.assertEqual(refused.status_code, 303)
        self.assertNotIn("Payment plan agreement", refused.text)
        self.assertNotIn(self.plan_b.name, refused.text)

    def test_decline_when_logged_in(self):
        """Scenario: a portal user of the customer declines the proposed plan:
        cancelled, and the responsible is told."""
        user = new_test_user(
            self.env,
            "gulf_plan_portal",
            groups="base.group_portal",
            partner_id=self.customer.id,
        )
        self.authenticate(user.login, user.login)
        listing = self.url_open("/my/payment_plans")
        self.assertIn(self.plan.name, listing.text)
        self.assertNotIn(self.plan_b.name, listing.text)
        csrf = self._csrf(f"/my/payment_plans/{self.plan.id}")
        self.url_open(
            f"/my/payment_plans/{self.plan.id}/decline",
            data={"csrf_token": csrf},
            allow_redirects=False,
        )
        self.assertEqual(self.plan.state, "cancelled")

    def test_decline_with_token_and_wrong_token_refused(self):
        """Scenario: a visitor without a login posts a decision with a wrong token:
        refused, nothing changes. With the mail's token the customer declines:
        the plan is cancelled."""
        csrf = self._csrf(self.plan.get_portal_url())
        refused = self.url_open(
            f"/my/payment_plans/{self.plan.id}/decline",
            data={
                "csrf_token": csrf,
                "access_token": "not-the-token",
            },
            allow_redirects=False,
        )
        self.assertEqual(refused.status_code, 403)
        self.assertEqual(self.plan.state, "proposed")
        response = self.url_open(
            f"/my/payment_plans/{self.plan.id}/decline",
            data={
                "csrf_token": csrf,
                "access_token": self.plan.access_token,
            },
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.plan.state, "cancelled")

    def test_accept_and_request_when_logged_in(self):
        """Scenario: a portal user of the customer accepts the proposed plan
        without any token (its login is enough); later, with no plan running,
        it requests a new one from its own statement, again without a token.
        A pid of another customer is refused."""
        user = new_test_user(
            self.env,
            "gulf_plan_accept",
            groups="base.group_portal",
            partner_id=self.customer.id,
        )
        self.authenticate(user.login, user.login)
        csrf = self._csrf(f"/my/payment_plans/{self.plan.id}")
        self.url_open(
            f"/my/payment_plans/{self.plan.id}/accept",
            data={
                "csrf_token": csrf,
                "name": "Omar Al-Harbi",
            },
            allow_redirects=False,
        )
        self.assertEqual(self.plan.state, "active")
        self.assertEqual(self.plan.accepted_by, "Omar Al-Harbi")
        self.plan.action_cancel()
        other = self.url_open(
            f"/my/payment_plans/request?pid={self.customer_b.id}&instalments=2",
            allow_redirects=False,
        )
        self.assertEqual(other.status_code, 403)
        self.assertNotIn(self.move_b.name, other.text)
        self.assertNotIn("300.00", other.text)  # no schedule of anyone
        preview = self.url_open("/my/payment_plans/request?instalments=3")
        self.assertIn("300.00", preview.text)
        csrf = csrf_token_of(preview.text)
        response = self.url_open(
            "/my/payment_plans/request",
            data={
                "csrf_token": csrf,
                "instalments": "3",
            },
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303)
        plan = self.env["invoice.payment.plan"].search(
            [("partner_id", "=", self.customer.id), ("origin", "=", "customer")]
        )
        self.assertEqual((plan.state, len(plan.line_ids)), ("proposed", 3))

    def test_other_customer_refused(self):
        """Scenario: plan B is opened with plan A's token, and by a logged-in user
        of customer A: both refused, plan B unchanged."""
        response = self.url_open(
            f"/my/payment_plans/{self.plan_b.id}?access_token={self.plan.access_token}",
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303)
        self.assertNotIn(self.plan_b.name, response.text)
        user = new_test_user(
            self.env,
            "gulf_plan_portal2",
            groups="base.group_portal",
            partner_id=self.customer.id,
        )
        self.authenticate(user.login, user.login)
        response = self.url_open(
            f"/my/payment_plans/{self.plan_b.id}", allow_redirects=False
        )
        self.assertEqual(response.status_code, 303)
        csrf = self._csrf(f"/my/payment_plans/{self.plan.id}")
        post = self.url_open(
            f"/my/payment_plans/{self.plan_b.id}/accept",
            data={"csrf_token": csrf, "name": "Intruder"},
            allow_redirects=False,
        )
        self.assertEqual(post.status_code, 403)
        self.assertEqual(self.plan_b.state, "proposed")

    def test_pay_next_instalment_online(self):
        """Scenario: on an active plan the customer pays the next instalment with
        the demo provider: the transaction is for the instalment amount on the
        plan's invoices, whatever amount the browser sends; once processed the
        first instalment is paid."""
        self.plan._action_accept("Omar")
        self._demo_provider()
        page = self.url_open(self.plan.get_portal_url())
        self.assertIn("o_payment_form", page.text)
        tx = self._pay_online(
            f"/my/payment_plans/{self.plan.id}/transaction",
            self.plan.access_token,
            1.0,
            landing_route=self.plan.get_portal_url(),
        )
        self.assertEqual(tx.amount, 300.0)
        self.assertEqual(tx.invoice_ids, self.move)
        self.assertEqual(self.move.amount_residual, 600.0)
        self.assertEqual(self.plan.line_ids.sorted("date_due")[0].state, "paid")

    def test_request_from_statement(self):
        """Scenario: through the statement's signed link the customer previews a
        4-instalment schedule, then sends the request: a plan inside the policy
        is created and proposed, and the customer lands on it."""
        self.plan.action_cancel()
        token = self.customer._followup_get_access_token()
        query = f"pid={self.customer.id}&access_token={token}"
        preview = self.url_open(f"/my/payment_plans/request?{query}&instalments=4")
        self.assertIn("225.00", preview.text)
        csrf = csrf_token_of(preview.text)
        response = self.url_open(
            "/my/payment_plans/request",
            data={
                "csrf_token": csrf,
                "pid": self.customer.id,
                "access_token": token,
                "instalments": "4",
            },
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303)
        plan = self.env["invoice.payment.plan"].search(
            [("partner_id", "=", self.customer.id), ("origin", "=", "customer")]
        )
        self.assertEqual((plan.state, len(plan.line_ids)), ("proposed", 4))
        self.assertIn(f"/my/payment_plans/{plan.id}", response.headers["Location"])
