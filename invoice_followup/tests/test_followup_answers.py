# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import TODAY, FollowupCommon, FollowupHttpCommon


@tagged("post_install", "-at_install")
class TestFollowupAnswers(FollowupCommon):
    """Customers' answers never override the accountant: pauses set by an
    accountant or a plan stay, one pending promise per invoice within the
    company's limit counted from the first, the broken-promise record only
    grows, an invoice is in at most one live plan."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time(TODAY):  # the schedule is computed on the day of the tests
            cls.move = cls._invoice(days_late=10, amount=900.0)
        cls.company.followup_max_promise_days = 30

    def _plan(self, moves, count=2):
        Plan = self.env["invoice.payment.plan"]
        return Plan.create(
            Plan._prepare_plan_values(moves, count, TODAY + timedelta(days=7))
        )

    @freeze_time(TODAY)
    def test_answers_keep_an_accountants_pause(self):
        """Scenario: an accountant paused the invoice until a date, or excluded
        the customer; the customer then asks a question and promises a date:
        both are recorded, the accountant's pause stays as it was."""
        until = TODAY + timedelta(days=20)
        self.move.write(
            {"followup_pause_reason": "manual", "followup_paused_until": until}
        )
        self.move._followup_ask("question", self._reason("disputed"), "Why?", "Omar")
        self.move._followup_promise(TODAY + timedelta(days=5), None, "Omar")
        self.assertEqual(
            (self.move.followup_pause_reason, self.move.followup_paused_until),
            ("manual", until),
        )
        self.assertEqual(self.move.followup_question_state, "open")
        self.assertEqual(self.move.followup_promise_date, TODAY + timedelta(days=5))
        other = self._invoice(days_late=5)
        self.customer.action_followup_exclude()
        other._followup_ask("dispute", self._reason("disputed"), "Broken", "Omar")
        other._followup_promise(TODAY + timedelta(days=3), None, "Omar")
        self.assertFalse(other.followup_pause_reason)
        self.assertEqual(other.followup_state, "paused")
        self.customer.action_followup_include()
        self.assertEqual(other.followup_state, "planned")

    @freeze_time(TODAY)
    def test_promise_refused_inside_a_plan_and_no_second_plan(self):
        """Scenario: the invoice is in an active plan: a promise is refused and
        the plan's pause stays; a second plan over the same invoice is refused
        by the server, whether drafted or requested; the accountant's proposed
        plan cannot be accepted once another covers the invoice."""
        plan = self._plan(self.move)
        plan.action_activate()
        with self.assertRaisesRegex(UserError, "part of a payment plan"):
            self.move._followup_promise(TODAY + timedelta(days=5), None, "Omar")
        self.move._followup_ask(
            "question", self._reason("other"), "When is the next instalment?", "Omar"
        )
        self.assertEqual(self.move.followup_pause_reason, "payment_plan")
        with self.assertRaises(UserError):
            self._plan(self.move)
        with self.assertRaises(UserError):
            self.env["invoice.payment.plan"]._create_request(self.customer, 2)
        Plan = self.env["invoice.payment.plan"]
        with self.assertRaisesRegex(ValidationError, "already in payment plan"):
            values = Plan._prepare_plan_values(
                self._invoice(days_late=3), 2, TODAY + timedelta(days=7)
            )
            values["move_ids"][0][2].append(self.move.id)
            Plan.create(values)

    @freeze_time(TODAY)
    def test_two_proposals_only_one_accepted(self):
        """Scenario: a plan drafted, cancelled, and a new one proposed for the
        same invoice: fine; while the first is live a second is refused, even
        when made without the preparation helper and then accepted."""
        first = self._plan(self.move)
        first.action_cancel()
        second = self._plan(self.move)
        second.action_propose()
        with self.assertRaises(ValidationError):
            first.action_draft()
            first.action_propose()
        second._action_accept("Omar")
        self.assertEqual(second.state, "active")

    @freeze_time(TODAY)
    def test_one_pending_promise_within_the_limit_of_the_first(self):
        """Scenario: the customer promises 20 days ahead, then 10 days later
        tries to push the date 25 days further: refused (past 30 days from the
        first promise); a date within it is accepted and the first day kept."""
        self.move._followup_promise(TODAY + timedelta(days=20), None, "Omar")
        self.assertEqual(self.move.followup_promise_made_date, TODAY)
        with freeze_time(TODAY + timedelta(days=10)):
            with self.assertRaisesRegex(
                UserError, "Please choose a date between today and"
            ):
                self.move._followup_promise(TODAY + timedelta(days=35), None, "Omar")
            self.move._followup_promise(TODAY + timedelta(days=30), None, "Omar")
        self.assertEqual(self.move.followup_promise_date, TODAY + timedelta(days=30))
        self.assertEqual(self.move.followup_promise_made_date, TODAY)
        self.assertEqual(self.move.followup_paused_until, TODAY + timedelta(days=30))

    @freeze_time(TODAY)
    def test_broken_promises_only_add_up(self):
        """Scenario: a promise is broken, the customer promises again: the
        broken record stays and a second break counts two, on the invoice and
        the customer."""
        self.move._followup_promise(TODAY + timedelta(days=2), None, "Omar")
        with freeze_time(TODAY + timedelta(days=3)):
            self._run()
            self.assertTrue(self.move.followup_promise_broken)
            self.move._followup_promise(TODAY + timedelta(days=5), None, "Omar")
            self.assertTrue(self.move.followup_promise_broken)
        with freeze_time(TODAY + timedelta(days=6)):
            self._run()
        self.assertEqual(self.move.followup_promise_broken_count, 2)
        self.assertEqual(self.customer.followup_promise_broken_count, 2)
        # said in the customer's chatter too, once per break
        notes = self.customer.message_ids.filtered(
            lambda m: "Promise to pay not kept" in (m.body or "")
        )
        self.assertEqual(len(notes), 2)
        self.assertIn(self.move.name, notes[0].body)

    @freeze_time(TODAY)
    def test_confirm_twice_records_once(self):
        """Scenario: the receipt is confirmed twice: one record, one note."""
        self.assertTrue(self.move._followup_confirm_receipt("Omar"))
        first = self.move.followup_receipt_date
        self.assertFalse(self.move._followup_confirm_receipt("Someone else"))
        self.assertEqual(
            (self.move.followup_receipt_date, self.move.followup_receipt_by),
            (first, "Omar"),
        )

    @freeze_time(TODAY)
    def test_every_answer_creates_one_activity_for_the_responsible(self):
        """Scenario: the customer has a follow-up responsible. Each kind of
        portal answer (receipt confirmed, question, dispute, "I already paid",
        promise to pay, payment plan request inside and outside the policy, plan
        accepted, plan declined) creates exactly one activity, for that
        responsible, on the invoice or the plan it is about; none sends an
        assignment mail. A repeated receipt confirmation creates none."""
        responsible = new_test_user(
            self.env,
            "fu_answers",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        self.customer.with_company(self.company).followup_responsible_id = responsible
        self.customer_b.with_company(self.company).followup_responsible_id = responsible
        Activity = self.env["mail.activity"]
        Plan = self.env["invoice.payment.plan"]

        def answer(do):
            before = Activity.search([])
            to_responsible = [("recipient_ids", "in", responsible.partner_id.ids)]
            mails = self.env["mail.mail"].search(to_responsible)
            record = do()
            new = Activity.search([]) - before
            self.assertEqual(len(new), 1, do.__doc__)
            self.assertEqual(new.user_id, responsible, do.__doc__)
            self.assertEqual(
                (new.res_model, new.res_id), (record._name, record.id), do.__doc__
            )
            self.assertEqual(
                self.env["mail.mail"].search(to_responsible), mails, do.__doc__
            )
            return record

        def confirm():
            """receipt"""
            move = self._invoice(days_late=1)
            move._followup_confirm_receipt("Omar")
            return move

        def ask(kind, reason):
            def do():
                move = self._invoice(days_late=2)
                move._followup_ask(kind, reason, "Details", "Omar")
                return move

            do.__doc__ = kind
            return do

        def promise():
            """promise"""
            self.move._followup_promise(TODAY + timedelta(days=5), None, "Omar")
            return self.move

        def request_inside():
            """plan request inside the policy"""
            plan = Plan._create_request(self.customer, 2)
            self.assertEqual(plan.state, "proposed")
            return plan

        def accept():
            """plan accepted"""
            plan = Plan.search(
                [("partner_id", "=", self.customer.id), ("state", "=", "proposed")]
            )
            plan._action_accept("Omar")
            return plan

        def request_outside():
            """plan request outside the policy"""
            self._invoice(partner=self.customer_b, days_late=10)
            self.customer_b.payment_risk_level = "high"
            plan = Plan._create_request(self.customer_b, 2)
            self.assertEqual(plan.state, "draft")
            return plan

        def decline():
            """plan declined"""
            plan = Plan.search(
                [("partner_id", "=", self.customer_b.id), ("state", "=", "proposed")]
            )
            plan._action_decline("Omar")
            return plan

        move = answer(confirm)
        for kind, reason in (
            ("question", self._reason("disputed")),
            ("dispute", self._reason("disputed")),
            ("paid", self._reason("other").browse()),
        ):
            answer(ask(kind, reason))
        answer(promise)
        answer(request_inside)
        answer(accept)
        answer(request_outside).action_propose()  # the accountant proposes it as it is
        answer(decline)
        before = Activity.search([])
        self.assertFalse(move._followup_confirm_receipt("Omar"))
        self.assertEqual(Activity.search([]), before)


@tagged("post_install", "-at_install")
class TestFollowupAnswersPortal(FollowupHttpCommon):
    def test_promise_through_the_link_inside_a_plan(self):
        """Scenario, through the real route: a promise on an invoice of an active
        plan is refused on the form with the reason; the plan's pause stays."""
        today = fields.Date.today()
        move = self._invoice(
            invoice_date=today - timedelta(days=40), term=self.term_30, amount=500.0
        )
        Plan = self.env["invoice.payment.plan"]
        Plan.create(
            Plan._prepare_plan_values(move, 2, today + timedelta(days=7))
        ).action_activate()
        token = move._portal_ensure_token()
        url = f"/my/followup/invoice/{move.id}/promise?access_token={token}"
        response = self.url_open(
            url,
            data={
                "csrf_token": self._csrf(url),
                "name": "Omar",
                "date": fields.Date.to_string(today + timedelta(days=3)),
            },
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("part of a payment plan", response.text)
        self.assertEqual(move.followup_pause_reason, "payment_plan")
        self.assertFalse(move.followup_promise_date)
