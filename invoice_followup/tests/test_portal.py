# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import new_test_user, tagged

from .common import FollowupHttpCommon


@tagged("post_install", "-at_install")
class TestFollowupPortal(FollowupHttpCommon):
    """The customer side: statement, answers and preferences, through the
    signed link of a mail (no login) and as a logged-in portal user; every
    foreign access refused."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.today()
        cls.move = cls._invoice(
            invoice_date=cls.today - timedelta(days=40), term=cls.term_30, amount=1200.0
        )
        cls.upcoming = cls._invoice(
            invoice_date=cls.today, term=cls.term_30, amount=300.0
        )
        cls.move_b = cls._invoice(
            partner=cls.customer_b,
            invoice_date=cls.today - timedelta(days=40),
            term=cls.term_30,
            amount=777.0,
        )
        cls.portal_user = new_test_user(
            cls.env,
            "gulf_portal",
            groups="base.group_portal",
            partner_id=cls.env["res.partner"]
            .create(
                {
                    "name": "Omar (Gulf Trading)",
                    "parent_id": cls.customer.id,
                    "email": "omar@gulf-trading.example.com",
                }
            )
            .id,
        )
        cls.statement_url = cls.customer._followup_get_statement_url().replace(
            cls.customer.get_base_url(), ""
        )

    # ---------------------------------------------------------------- access
    def test_statement_with_signed_link(self):
        """Scenario: the customer opens the link of a mail without logging in:
        its overdue and upcoming invoices, totals and ageing show; another
        customer's invoice does not."""
        response = self.url_open(self.statement_url)
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.move.name, response.text)
        self.assertIn(self.upcoming.name, response.text)
        self.assertNotIn(self.move_b.name, response.text)
        self.assertIn("1,200.00", response.text)
        self.assertIn("Ageing", response.text)
        # Odoo's test mode renders reports as HTML (no wkhtmltopdf): the content
        # is the statement of this customer, whatever the Content-Type says
        pdf = self.url_open(
            self.statement_url.replace("/my/followup?", "/my/followup/statement.pdf?")
        )
        self.assertEqual(pdf.status_code, 200)
        self.assertIn(
            "o_followup_sender", pdf.text
        )  # the report's body, not the portal page
        self.assertIn(self.move.name, pdf.text)
        self.assertNotIn(self.move_b.name, pdf.text)
        # this customer's token with another customer's id: the refusal page, not B's
        # statement
        refused = self.url_open(
            f"/my/followup/statement.pdf?pid={self.customer_b.id}&access_token="
            f"{self.customer._followup_get_access_token()}",
            allow_redirects=False,
        )
        self.assertEqual(refused.status_code, 403)
        self.assertIn("This link is no longer valid", refused.text)
        self.assertNotIn(self.move_b.name, refused.text)
        self.assertNotIn("o_followup_sender", refused.text)

    def test_short_sms_link(self):
        """Scenario: the customer taps the short link of an SMS: it leads to the
        signed statement; a made-up short link leads nowhere."""
        short = self.customer._followup_get_short_url().replace(
            self.customer.get_base_url(), ""
        )
        self.assertLess(len(short), 20)
        response = self.url_open(short)
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.move.name, response.text)
        wrong = self.url_open("/f/AAAAAAAAAAAA", allow_redirects=False)
        self.assertEqual(wrong.status_code, 403)
        self.assertIn("This link is no longer valid", wrong.text)
        self.assertNotIn(self.move.name, wrong.text)

    def test_foreign_or_wrong_tokens_are_refused(self):
        """Scenario: a wrong token, the right token with another customer's id,
        no token at all, and a logged-in user of another customer asking for
        this customer: each is refused and shows none of the invoices."""
        token = self.customer._followup_get_access_token()
        for url in (
            f"/my/followup?pid={self.customer.id}&access_token=wrong",
            f"/my/followup?pid={self.customer_b.id}&access_token={token}",
            "/my/followup",
        ):
            response = self.url_open(url, allow_redirects=False)
            self.assertIn(response.status_code, (303, 403), url)
            self.assertNotIn(self.move.name, response.text)
        other_user = new_test_user(
            self.env,
            "northwind_portal",
            groups="base.group_portal",
            partner_id=self.customer_b.id,
        )
        self.authenticate(other_user.login, other_user.login)
        response = self.url_open(
            f"/my/followup?pid={self.customer.id}", allow_redirects=False
        )
        self.assertEqual(response.status_code, 403)
        self.assertNotIn(self.move.name, response.text)
        own = self.url_open("/my/followup")
        self.assertIn(self.move_b.name, own.text)
        self.assertNotIn(self.move.name, own.text)

    def test_portal_user_sees_own_statement_and_counter(self):
        """Scenario: a contact of the customer with a portal login opens /my:
        the statement card counts the two open invoices; /my/followup lists them."""
        self.authenticate(self.portal_user.login, self.portal_user.login)
        response = self.url_open("/my/followup")
        self.assertIn(self.move.name, response.text)
        self.assertIn("Pay all overdue invoices", response.text)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["followup_count"]}
        )
        self.assertEqual(counters["followup_count"], 2)

    # ---------------------------------------------------------------- answers
    def test_confirm_receipt_with_token(self):
        """Scenario: from the receipt-check mail, the customer confirms the
        invoice arrived: who and when are recorded on the invoice, the
        receipt-check stage counts as done, and the statement says thanks."""
        response = self._post_answer(
            self.upcoming, "confirm", {"name": "Omar Al-Harbi"}
        )
        self.assertEqual(response.status_code, 303)
        self.assertIn("/my/followup", response.headers["Location"])
        self.assertEqual(self.upcoming.followup_receipt_by, "Omar Al-Harbi")
        self.assertTrue(self.upcoming.followup_receipt_date)
        self.assertEqual(self.upcoming.followup_stage_id, self.stage_receipt)
        self.assertEqual(self.upcoming.followup_next_stage_id, self.stage_friendly)

    def test_question_with_attachment_pauses_and_notifies(self):
        """Scenario: the customer disputes the amount with a file attached:
        the message and file land in the invoice's chatter, the responsible
        gets an activity, follow-up pauses until an accountant resolves it."""
        accountant = new_test_user(
            self.env,
            "fu_accountant",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        self.customer.with_company(self.company).followup_responsible_id = accountant
        token = self.move._portal_ensure_token()
        url = f"/my/followup/invoice/{self.move.id}/question"
        csrf = self._csrf(f"{url}?access_token={token}")
        response = self.url_open(
            url,
            data={
                "csrf_token": csrf,
                "access_token": token,
                "name": "Omar",
                "request_type": "dispute",
                "reason": self._reason("disputed").id,
                "note": "We ordered 10 units, not 12.",
            },
            files={"attachment": ("order.txt", b"PO-123: 10 units", "text/plain")},
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.move.followup_state, "paused")
        self.assertEqual(
            (self.move.followup_question_type, self.move.followup_question_state),
            ("dispute", "open"),
        )
        message = self.move.message_ids.filtered(
            lambda m: "10 units, not 12" in (m.body or "")
        )
        self.assertEqual(message.attachment_ids.name, "order.txt")
        self.assertEqual(message.author_id, self.customer)
        self.assertEqual(self.move.activity_ids.user_id, accountant)
        self.move.action_followup_resolve_request()
        self.assertEqual(self.move.followup_state, "planned")
        self.assertEqual(self.move.followup_question_state, "resolved")

    def test_promise_within_limit_only(self):
        """Scenario: the customer promises a date beyond the company's maximum
        delay: refused with a clear message and nothing changes. A date within
        it pauses the follow-up until then."""
        too_far = self.today + timedelta(
            days=self.company.followup_max_promise_days + 5
        )
        response = self._post_answer(
            self.move,
            "promise",
            {"name": "Omar", "date": fields.Date.to_string(too_far)},
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.move.followup_pause_reason)
        self.assertIn("Please choose a date between today and", response.text)
        ok_date = self.today + timedelta(days=10)
        self._post_answer(
            self.move,
            "promise",
            {"name": "Omar", "date": fields.Date.to_string(ok_date), "amount": "500"},
        )
        self.assertEqual(self.move.followup_pause_reason, "promise")
        self.assertEqual(self.move.followup_paused_until, ok_date)
        self.assertEqual(self.move.followup_promise_amount, 500.0)
        negative = self._post_answer(
            self.move,
            "promise",
            {"name": "Omar", "date": fields.Date.to_string(ok_date), "amount": "-3"},
        )
        self.assertEqual(negative.status_code, 400)
        self.assertIn("Please enter an amount greater than zero", negative.text)
        self.assertEqual(self.move.followup_promise_amount, 500.0)

    def test_answers_refused_without_access(self):
        """Scenario: an invoice is answered with another invoice's token, and by
        a logged-in user of another customer without token: both are refused
        and the invoice is unchanged."""
        url = f"/my/followup/invoice/{self.move.id}/confirm"
        wrong = self.url_open(
            f"{url}?access_token={self.move_b._portal_ensure_token()}",
            allow_redirects=False,
        )
        self.assertEqual(wrong.status_code, 303)
        self.assertIn("/web/login", wrong.headers["Location"])
        other_user = new_test_user(
            self.env,
            "northwind_portal2",
            groups="base.group_portal",
            partner_id=self.customer_b.id,
        )
        self.authenticate(other_user.login, other_user.login)
        response = self.url_open(url, allow_redirects=False)
        self.assertEqual(response.status_code, 403)
        csrf = self._csrf("/my/followup")
        post = self.url_open(
            url, data={"csrf_token": csrf, "name": "Intruder"}, allow_redirects=False
        )
        self.assertEqual(post.status_code, 403)
        self.assertFalse(self.move.followup_receipt_date)

    def test_preferences_validate_mobile(self):
        """Scenario: through the signed link the customer saves a wrong mobile
        number: a clear error, nothing saved. Then a valid local number: saved in
        international format with the channel choices."""
        csrf = self._csrf(self.statement_url)
        token = self.customer._followup_get_access_token()
        data = {
            "csrf_token": csrf,
            "pid": self.customer.id,
            "access_token": token,
            "use_email": "on",
            "mobile": "12ab",
            "lang": "en_US",
        }
        response = self.url_open(
            "/my/followup/preferences", data=data, allow_redirects=False
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("The mobile number 12ab is not valid", response.text)
        self.assertEqual(self.customer.mobile, "+966 50 123 4567")
        self.assertTrue(self.customer.followup_use_sms)
        data["mobile"] = "0551234567"
        response = self.url_open(
            "/my/followup/preferences", data=data, allow_redirects=False
        )
        self.assertIn("done=preferences", response.headers["Location"])
        self.assertIn(
            "Your contact preferences are saved.",
            self.url_open(response.headers["Location"]).text,
        )
        self.assertEqual(self.customer.mobile, "+966551234567")
        self.assertFalse(self.customer.followup_use_sms)
        self.assertTrue(self.customer.followup_use_email)

    def test_promise_broken_resumes_follow_up(self):
        """Scenario: a promise made in the portal is not kept: the day after the
        promised date the run records the broken promise and reminds again."""
        ok_date = self.today + timedelta(days=3)
        self._post_answer(
            self.move,
            "promise",
            {"name": "Omar", "date": fields.Date.to_string(ok_date)},
        )
        with freeze_time(ok_date + timedelta(days=1)):
            self._run()
        self.assertTrue(self.move.followup_promise_broken)
        self.assertFalse(self.move.followup_pause_reason)
        self.assertEqual(self._logs().move_ids & self.move, self.move)


@tagged("post_install", "-at_install")
class TestFollowupPortalTour(FollowupHttpCommon):
    def test_portal_tour(self):
        """Scenario, in headless Chromium: the customer opens the statement link
        of a mail, confirms receipt of one invoice, asks a question about it,
        promises a date for another, then pays the overdue one online with the
        demo payment provider."""
        provider = self._demo_provider()
        today = fields.Date.today()
        paid = self._invoice(
            invoice_date=today - timedelta(days=40), term=self.term_30, amount=450.0
        )
        promised = self._invoice(
            invoice_date=today - timedelta(days=35), term=self.term_30, amount=900.0
        )
        url = self.customer._followup_get_statement_url().replace(
            self.customer.get_base_url(), ""
        )
        self.start_tour(url, "invoice_followup_portal_tour")
        self.assertTrue(paid.followup_receipt_date)
        self.assertEqual(paid.followup_question_state, "open")
        self.assertEqual(promised.followup_pause_reason, "promise")
        transaction = paid.transaction_ids
        self.assertEqual(transaction.provider_id, provider)
        self.assertEqual(transaction.state, "done")


@tagged("post_install", "-at_install")
class TestFollowupPayAllOverdue(FollowupHttpCommon):
    def test_pay_all_overdue_with_signed_link(self):
        """Scenario: without a login, the customer pays all its overdue invoices
        at once from the statement with the demo provider: one transaction for
        their total on exactly those invoices (whatever amount the browser
        sends); once processed they are paid. Another customer's id with this
        token is refused."""
        today = fields.Date.today()
        first = self._invoice(
            invoice_date=today - timedelta(days=40), term=self.term_30, amount=300.0
        )
        second = self._invoice(
            invoice_date=today - timedelta(days=35), term=self.term_30, amount=200.0
        )
        self._invoice(
            invoice_date=today, term=self.term_30, amount=999.0
        )  # not due: not paid now
        self._demo_provider()
        token = self.customer._followup_get_access_token()
        page = self.url_open(
            f"/my/followup/pay?pid={self.customer.id}&access_token={token}"
        )
        self.assertEqual(page.status_code, 200)
        self.assertIn("500.00", page.text)
        self.assertIn("o_payment_form", page.text)
        tx = self._pay_online(
            f"/my/followup/pay/transaction/{self.customer.id}/{self.company.currency_id.id}",
            token,
            1.0,
        )
        self.assertEqual(tx.amount, 500.0)
        self.assertEqual(tx.invoice_ids, first | second)
        self.assertTrue(
            all(m.payment_state in ("paid", "in_payment") for m in first | second)
        )
        refused = self.url_open(
            f"/my/followup/pay?pid={self.customer_b.id}&access_token={token}",
            allow_redirects=False,
        )
        self.assertEqual(refused.status_code, 403)
        self.assertIn("This link is no longer valid", refused.text)
        self.assertNotIn("o_payment_form", refused.text)
