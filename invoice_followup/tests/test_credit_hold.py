# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import TODAY, FollowupCommon

PREVIOUS_MSG = "Ask for the purchase order number."


class CreditHoldCommon(FollowupCommon):
    """The second reminder (due date + 15) puts customers on credit hold; the
    customer had a warning of its own before."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stage_second.credit_hold = True
        cls.customer.write(
            {"invoice_warn": "warning", "invoice_warn_msg": PREVIOUS_MSG}
        )
        cls.Hold = cls.env["invoice.followup.credit.hold"]

    def _notes(self, record):
        return " ".join(record.message_ids.mapped("body"))

    def _onchange_warning(self, partner):
        """A new customer invoice's form with ``partner``: (the warning Odoo's
        onchange gives, the customer left on the form)."""
        form = Form(
            self.env["account.move"].with_context(default_move_type="out_invoice")
        )
        with self.assertLogs("odoo.tests.form.onchange", level="WARNING") as logs:
            form.partner_id = partner
        return " ".join(logs.output), form.partner_id


@tagged("post_install", "-at_install")
class TestCreditHold(CreditHoldCommon):
    def test_no_default_stage_holds(self):
        """Scenario: a new company gets the default stages: none of them puts
        customers on credit hold (the option is off by default)."""
        other = self.setup_other_company(name="Fresh Co")["company"]
        stages = self.Stage.search([("company_id", "=", other.id)])
        self.assertTrue(stages)
        self.assertFalse(stages.filtered("credit_hold"))

    def test_daily_run_puts_customer_on_hold(self):
        """Scenario: an invoice of 1,500 is 20 days late; the daily run sends
        the second reminder, a credit-hold stage. The customer's invoice
        warning becomes Odoo's blocking message (since when, how much, whom to
        contact), its previous warning is kept; the customer and the step say
        so in their chatters and the step shows the hold. A new invoice for the
        customer, or one of its contacts, is refused by Odoo's own onchange."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=20, amount=1500.0)
            self.env["invoice.followup.run"]._run_daily()
            step = self._logs()
            self.assertEqual(step.stage_id, self.stage_second)
            self.assertEqual(step.state, "done")
            self.assertEqual(step.hold_state, "held")
            self.assertEqual(step.hold_date, TODAY)
            self.assertEqual(move.followup_stage_id, self.stage_second)
            partner = self.customer
            self.assertTrue(partner.followup_on_hold)
            self.assertEqual(partner.followup_hold_step_id, step)
            self.assertEqual(partner.followup_hold_date, TODAY)
            self.assertEqual(partner.followup_hold_company_id, self.company)
            self.assertEqual(partner.invoice_warn, "block")
            message = partner.invoice_warn_msg
            self.assertEqual(message, step.hold_message)
            self.assertIn("Credit hold since 03/04/2026", message)
            self.assertIn("1,500.00", message)
            self.assertIn(self.company.name, message)
            self.assertIn("accounts@company.example.com", message)
            self.assertEqual(partner.followup_hold_prev_invoice_warn, "warning")
            self.assertEqual(partner.followup_hold_prev_invoice_warn_msg, PREVIOUS_MSG)
            self.assertIn("Credit hold by the follow-up step", self._notes(partner))
            self.assertIn("Credit hold by the follow-up step", self._notes(step))

            warning, left = self._onchange_warning(partner)
            self.assertIn("Credit hold since 03/04/2026", warning)
            self.assertFalse(left, "a blocking warning empties the customer")
            contact = self.env["res.partner"].create(
                {"name": "Buyer", "parent_id": partner.id, "type": "contact"}
            )
            warning, left = self._onchange_warning(contact)
            self.assertIn("Credit hold since", warning)
            self.assertFalse(left)

    def test_payment_lifts_hold_and_restores_warning(self):
        """Scenario: the customer is on hold for two overdue invoices. A
        payment (the Register Payment wizard) of the first leaves the second
        overdue: still on hold. The payment of the second lifts the hold at
        once: the customer's own warning comes back, the step shows the hold
        lifted, both chatters say so; a new invoice form gets the old, non
        blocking warning."""
        with freeze_time(TODAY):
            first = self._invoice(days_late=20, amount=1000.0)
            second = self._invoice(days_late=18, amount=500.0)
            self._run()
            step = self._logs()
            self.assertEqual(step.hold_state, "held")
            self._pay(first)
            self.assertIn(first.payment_state, ("paid", "in_payment"))
            self.assertEqual(self.customer.invoice_warn, "block")
            self.assertEqual(step.hold_state, "held")
            self._pay(second)
            self.assertFalse(self.customer.followup_on_hold)
            self.assertFalse(self.customer.followup_hold_step_id)
            self.assertEqual(self.customer.invoice_warn, "warning")
            self.assertEqual(self.customer.invoice_warn_msg, PREVIOUS_MSG)
            self.assertFalse(self.customer.followup_hold_prev_invoice_warn)
            self.assertEqual(step.hold_state, "released")
            self.assertEqual(step.hold_released_date, TODAY)
            self.assertIn("paid", step.hold_info)
            self.assertIn("Credit hold lifted", self._notes(step))
            self.assertIn(
                "The previous warning is restored", self._notes(self.customer)
            )
            warning, left = self._onchange_warning(self.customer)
            self.assertIn(PREVIOUS_MSG, warning)
            self.assertEqual(left, self.customer, "a warning does not block")

    def test_partial_payment_keeps_hold(self):
        """Scenario: the customer on hold pays 400 of 1,000 overdue: the
        invoice stays overdue and the hold stays, also after the next daily
        run's check."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=20, amount=1000.0)
            self._run()
            self._pay(move, amount=400.0)
            self.assertEqual(move.payment_state, "partial")
            self.assertTrue(self.customer.followup_on_hold)
            self.assertEqual(self.customer.invoice_warn, "block")
        with freeze_time(TODAY + timedelta(days=1)):
            self._run()
            self.assertTrue(self.customer.followup_on_hold)
            self.assertEqual(self._logs().filtered("hold_state").hold_state, "held")

    def test_daily_run_releases_when_overdue_goes_otherwise(self):
        """Scenario: the customer on hold has its only overdue invoice
        cancelled (reset to draft, cancelled): no payment, no reconciliation.
        The next daily run finds nothing overdue and lifts the hold."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=20, amount=1000.0)
            self._run()
            self.assertTrue(self.customer.followup_on_hold)
            move.button_draft()
            move.button_cancel()
            self.assertTrue(self.customer.followup_on_hold)
        with freeze_time(TODAY + timedelta(days=1)):
            self._run()
            self.assertFalse(self.customer.followup_on_hold)
            self.assertEqual(self.customer.invoice_warn, "warning")
            self.assertEqual(self._logs().hold_state, "released")

    def test_payment_plan_lifts_hold(self):
        """Scenario: the customer on hold accepts a payment plan of three
        instalments for its overdue invoice: the hold is lifted with the
        plan's name in the traces, the invoice paused for the plan; the next
        daily run does not hold the customer again."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=20, amount=900.0)
            self._run()
            self.assertTrue(self.customer.followup_on_hold)
            Plan = self.env["invoice.payment.plan"]
            plan = Plan.create(
                Plan._prepare_plan_values(move, 3, TODAY + timedelta(days=7))
            )
            plan.action_propose()
            self.assertTrue(self.customer.followup_on_hold)
            plan._action_accept("Omar")
            self.assertEqual(plan.state, "active")
            self.assertFalse(self.customer.followup_on_hold)
            self.assertEqual(self.customer.invoice_warn, "warning")
            step = self._logs()
            self.assertEqual(step.hold_state, "released")
            self.assertIn(plan.name, step.hold_info)
            self.assertIn(plan.name, self._notes(self.customer))
        with freeze_time(TODAY + timedelta(days=5)):
            self._run()
            self.assertEqual(move.followup_pause_reason, "payment_plan")
            self.assertFalse(self.customer.followup_on_hold)

    def test_accountant_lifts_hold_by_hand(self):
        """Scenario: a salesperson (no accounting rights) cannot lift the hold
        through the customer's button method; the accountant can, and the
        previous warning comes back. Lifting again says there is no hold."""
        salesman = new_test_user(
            self.env,
            login="seller_h1",
            groups="base.group_user,base.group_partner_manager",
        )
        with freeze_time(TODAY):
            self._invoice(days_late=20)
            self._run()
            with self.assertRaises(AccessError):
                self.customer.with_user(salesman).action_followup_release_hold()
            self.assertTrue(self.customer.followup_on_hold)
            self.customer.action_followup_release_hold()
            self.assertFalse(self.customer.followup_on_hold)
            self.assertEqual(self.customer.invoice_warn, "warning")
            self.assertIn(self.env.user.name, self._logs().hold_info)
            with self.assertRaises(UserError):
                self.customer.action_followup_release_hold()

    def test_warning_changed_by_hand_is_kept(self):
        """Scenario: during the hold an accountant writes another blocking
        message on the customer by hand. When the invoice is paid the hold is
        lifted but the hand-written warning stays: the release does not undo a
        person's decision."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=20)
            self._run()
            self.customer.invoice_warn_msg = "Legal case: no deliveries."
            self._pay(move)
            self.assertFalse(self.customer.followup_on_hold)
            self.assertEqual(self.customer.invoice_warn, "block")
            self.assertEqual(
                self.customer.invoice_warn_msg, "Legal case: no deliveries."
            )
            self.assertIn("changed by hand", self._notes(self.customer))

    def test_nothing_overdue_no_hold(self):
        """Scenario: a credit-hold stage sent before the due date (a courtesy
        reminder marked credit hold by mistake) puts nobody on hold: the step
        says why."""
        self.stage_second.credit_hold = False
        self.stage_friendly.credit_hold = True
        with freeze_time(TODAY):
            self._invoice(days_late=-2)
            self._run()
            step = self._logs()
            self.assertEqual(step.stage_id, self.stage_friendly)
            self.assertEqual(step.hold_state, "skipped")
            self.assertFalse(self.customer.followup_on_hold)
            self.assertEqual(self.customer.invoice_warn, "warning")


@tagged("post_install", "-at_install")
class TestCreditHoldMultiCompany(CreditHoldCommon):
    """Odoo's partner warning is one for all companies (invoice_warn is not
    company-dependent in 18.0): each company's hold is its own step."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.setup_other_company(name="Second Co")["company"]
        cls.other.write(
            {
                "followup_weekday_ids": cls.company.followup_weekday_ids.ids,
                "followup_max_per_week": 0,
            }
        )
        cls.Stage.search(
            [("company_id", "=", cls.other.id), ("sequence", "=", 40)]
        ).credit_hold = True

    def test_each_company_releases_its_own_hold(self):
        """Scenario: the customer is 20 days late in both companies; both daily
        steps hold it. Paying the second company's invoice releases the second
        company's hold only: the warning still blocks, now with the first
        company's message. Paying the first company's invoice lifts the last
        hold and restores the customer's own warning."""
        with freeze_time(TODAY):
            move_a = self._invoice(days_late=20, amount=1000.0)
            move_b = self._invoice(days_late=20, amount=700.0, company=self.other)
            self._run()
            steps = self._logs()
            self.assertEqual(steps.company_id, self.company | self.other)
            self.assertEqual(set(steps.mapped("hold_state")), {"held"})
            step_a = steps.filtered(lambda s: s.company_id == self.company)
            step_b = steps - step_a
            self._pay(move_b)
            self.assertEqual(step_b.hold_state, "released")
            self.assertEqual(step_a.hold_state, "held")
            self.assertTrue(self.customer.followup_on_hold)
            self.assertEqual(self.customer.followup_hold_step_id, step_a)
            self.assertEqual(self.customer.invoice_warn, "block")
            self.assertEqual(self.customer.invoice_warn_msg, step_a.hold_message)
            self.assertIn("Still on hold for", self._notes(self.customer))
            self._pay(move_a)
            self.assertFalse(self.customer.followup_on_hold)
            self.assertEqual(self.customer.invoice_warn, "warning")
            self.assertEqual(self.customer.invoice_warn_msg, PREVIOUS_MSG)

    def test_other_company_payment_does_not_release(self):
        """Scenario: only the first company holds the customer; the customer
        pays an overdue invoice of the second company: the first company's
        hold stays."""
        self.Stage.search([("company_id", "=", self.other.id)]).credit_hold = False
        with freeze_time(TODAY):
            self._invoice(days_late=20, amount=1000.0)
            move_b = self._invoice(days_late=20, amount=700.0, company=self.other)
            self._run()
            self._pay(move_b)
            self.assertTrue(self.customer.followup_on_hold)
            self.assertEqual(self.customer.followup_hold_company_id, self.company)
            self.assertEqual(self.customer.invoice_warn, "block")
