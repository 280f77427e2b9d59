# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import TODAY, FollowupCommon, FollowupHttpCommon


@tagged("post_install", "-at_install")
class TestFollowupRisk(FollowupCommon):
    """The payment risk that stages and the plan policy use: the band computed
    from the payment behaviour, the company's band without history, and the
    accountant's level set by hand, which wins and says who set it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time(TODAY):
            # Gulf Trading paid three invoices 70 days late, each after a broken
            # promise: 40 + 15 + 15 points, a high band
            for days_ago in (300, 250, 200):
                move = cls._invoice(
                    invoice_date=TODAY - timedelta(days=days_ago), term=cls.term_30
                )
                move.followup_promise_broken_count = 1
                cls._pay(move, date=TODAY - timedelta(days=days_ago - 100))
            cls.env["invoice.followup.behaviour"]._refresh()

    @freeze_time(TODAY)
    def test_band_override_and_default(self):
        """Scenario: the computed band is high; Northwind has no history and
        gets the company's band (medium), said as such; the accountant sets
        Gulf Trading to low by hand: it wins, with who and when; cleared, the
        computed band applies again."""
        self.assertEqual(self.customer.followup_risk_band, "high")
        self.assertEqual(self.customer.payment_risk_level, "high")
        self.assertIn("risk score", self.customer.payment_risk_source)
        self.assertEqual(self.company.followup_default_risk, "medium")
        self.assertEqual(self.customer_b.payment_risk_level, "medium")
        self.assertIn("No payment history", self.customer_b.payment_risk_source)
        self.assertIn(
            self.customer,
            self.env["res.partner"].search([("payment_risk_level", "=", "high")]),
        )
        self.assertIn(
            self.customer_b,
            self.env["res.partner"].search([("payment_risk_level", "=", "medium")]),
        )
        self.customer.payment_risk_override = "low"
        self.assertEqual(self.customer.payment_risk_level, "low")
        self.assertEqual(self.customer.payment_risk_override_uid, self.env.user)
        self.assertEqual(self.customer.payment_risk_override_date, TODAY)
        self.assertIn(self.env.user.name, self.customer.payment_risk_source)
        self.assertNotIn(
            self.customer,
            self.env["res.partner"].search([("payment_risk_level", "=", "high")]),
        )
        self.customer.action_followup_clear_risk()
        self.assertEqual(self.customer.payment_risk_level, "high")
        self.assertFalse(self.customer.payment_risk_override_uid)

    def test_band_feeds_stage_filter_and_plan_policy(self):
        """Scenario: the second reminder is for high-risk customers only and the
        plan policy approves up to medium. Gulf Trading (high from its history)
        20 days late gets the second reminder, Northwind (no history: medium)
        the first; Gulf Trading's plan request waits for an accountant, with
        the risk as the reason; set to low by hand, its next request would be
        approved."""
        self.stage_second.risk_level_ids = self.env.ref(
            "invoice_followup.risk_level_high"
        )
        with freeze_time(TODAY):
            risky = self._invoice(days_late=20)
            self._invoice(partner=self.customer_b, days_late=20)
            self.assertEqual(risky.followup_next_stage_id, self.stage_second)
            self._run()
            self.assertEqual(self._logs().stage_id, self.stage_second)
            self.assertEqual(self._logs(self.customer_b).stage_id, self.stage_first)
            Plan = self.env["invoice.payment.plan"]
            plan = Plan._create_request(self.customer, 3)
            self.assertEqual(plan.state, "draft")
            self.assertIn("risk", ", ".join(plan._policy_refusals()))
            self.customer.payment_risk_override = "low"
            self.assertFalse(
                [r for r in plan._policy_refusals() if "risk" in r],
                "the hand-set level wins in the policy",
            )


@tagged("post_install", "-at_install")
class TestFollowupReasons(FollowupCommon):
    """Why customers pay late: every answer and call outcome carries a reason of
    one editable list, kept on the step, the invoice and the customer."""

    @freeze_time(TODAY)
    def test_reasons_on_answers_step_invoice_customer(self):
        """Scenario: a reminder is sent; the customer asks a question (invoice
        not received) on one invoice, needs more time (cash-flow difficulty) on
        another, asks for a plan (cash flow again); an accountant logs a call
        (cash flow). By hand: 4 answers, 3 of them cash flow; each invoice
        keeps the reason of its latest answer, the step the reason of the
        latest answer after it, the customer its dominant reason."""
        first = self._invoice(days_late=5, amount=400.0)
        second = self._invoice(days_late=5, amount=600.0)
        self._run()
        step = self._logs()
        self.assertEqual(len(step), 1)
        first._followup_ask(
            "question", self._reason("not_received"), "Never got it", "Omar"
        )
        second._followup_promise(
            TODAY + timedelta(days=10), None, "Omar", self._reason("cash_flow")
        )
        self.env["invoice.payment.plan"]._create_request(
            self.customer, 2, reason=self._reason("cash_flow")
        )
        self.env["invoice.followup.call.wizard"].create(
            {
                "partner_ids": [Command.set(self.customer.ids)],
                "outcome": "callback",
                "reason_id": self._reason("cash_flow").id,
                "note": "Waiting for their client",
            }
        ).action_apply()
        answers = self.env["invoice.followup.answer"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(
            sorted(answers.mapped("kind")),
            ["call", "plan_request", "promise", "question"],
        )
        self.assertEqual(answers.step_id, step)
        self.assertEqual(
            set(answers.mapped("risk_band")), {"medium"}, "no history: default band"
        )
        self.assertEqual(first.followup_reason_id, self._reason("cash_flow"))
        self.assertEqual(second.followup_reason_id, self._reason("cash_flow"))
        self.assertEqual(step.reason_id, self._reason("cash_flow"))
        self.assertEqual(self.customer.followup_reason_id, self._reason("cash_flow"))
        self.assertIn("3 of 4", self.customer.followup_reason_summary)
        # the accountant corrects the question's reason: nothing else changes
        question = answers.filtered(lambda a: a.kind == "question")
        question.reason_id = self._reason("missing_po")
        self.assertEqual(self.customer.followup_reason_id, self._reason("cash_flow"))
        # analysis by reason, risk band, country and month
        groups = self.env["invoice.followup.answer"]._read_group(
            [("partner_id", "=", self.customer.id)],
            ["reason_id", "risk_band", "country_id", "date:month"],
            ["__count", "amount:sum"],
        )
        by_reason = {
            reason.name: (count, total) for reason, _b, _c, _m, count, total in groups
        }
        self.assertEqual(by_reason["Cash-flow difficulty"][0], 3)
        self.assertEqual(by_reason["Missing purchase order or approval"], (1, 400.0))
        self.assertEqual({g[2] for g in groups}, {self.country_sa})

    @freeze_time(TODAY)
    def test_call_needs_a_reason_when_it_promises_or_disputes(self):
        """Scenario: a call outcome "promised to pay" without a reason is
        refused with a clear message; "no answer" needs none and records no
        answer."""
        self._invoice(days_late=5)
        wizard = self.env["invoice.followup.call.wizard"].create(
            {
                "partner_ids": [Command.set(self.customer.ids)],
                "outcome": "promise",
                "promise_date": TODAY + timedelta(days=3),
            }
        )
        with self.assertRaisesRegex(UserError, "why the customer pays late"):
            wizard.action_apply()
        self.env["invoice.followup.call.wizard"].create(
            {"partner_ids": [Command.set(self.customer.ids)], "outcome": "no_answer"}
        ).action_apply()
        self.assertFalse(
            self.env["invoice.followup.answer"].search(
                [("partner_id", "=", self.customer.id)]
            )
        )

    def test_the_list_is_editable(self):
        """Scenario: the accountant adds a reason and archives one: customers
        choose from the active ones."""
        Reason = self.env["invoice.followup.reason"]
        self.assertEqual(len(Reason.search([])), 8)
        new = Reason.create({"name": "Bank transfer delayed"})
        self._reason("forgot").active = False
        portal = Reason._followup_portal_reasons()
        self.assertIn(new, portal)
        self.assertNotIn(self._reason("forgot"), portal)
        self.assertFalse(Reason._followup_from_post(str(self._reason("forgot").id)))
        self.assertFalse(Reason._followup_from_post("1 OR 1=1"))


@tagged("post_install", "-at_install")
class TestFollowupReasonsPortal(FollowupHttpCommon):
    """The customer chooses the reason in the portal, in its own language."""

    def test_portal_answers_carry_the_reason(self):
        """Scenario: through the invoice's signed link the customer disputes the
        amount and, on another invoice, needs more time because of cash flow;
        an archived or made-up reason is refused on a question."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=5)
            other = self._invoice(days_late=5)
        page = self.url_open(
            f"/my/followup/invoice/{other.id}/promise"
            f"?access_token={other._portal_ensure_token()}"
        )
        self.assertIn("Why do you need more time?", page.text)
        self.assertIn("Cash-flow difficulty", page.text)
        response = self._post_answer(
            move,
            "question",
            {"request_type": "question", "reason": "999999", "note": "Why?"},
        )
        self.assertNotIn("done=", response.headers.get("Location", ""))
        self.assertFalse(move.followup_answer_ids)
        response = self._post_answer(
            move,
            "question",
            {
                "request_type": "dispute",
                "reason": self._reason("disputed").id,
                "note": "We ordered 10, not 12.",
            },
        )
        self.assertEqual(response.status_code, 303)
        self.assertEqual(move.followup_reason_id, self._reason("disputed"))
        self.assertEqual(move.followup_answer_ids.kind, "dispute")
        self.assertEqual(move.followup_answer_ids.answered_by, "Omar")
        with freeze_time(TODAY):
            response = self._post_answer(
                other,
                "promise",
                {
                    "date": str(TODAY + timedelta(days=7)),
                    "reason": self._reason("cash_flow").id,
                },
            )
        self.assertEqual(response.status_code, 303)
        self.assertEqual(other.followup_reason_id, self._reason("cash_flow"))
