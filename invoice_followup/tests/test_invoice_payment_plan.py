# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, tagged

from .common import TODAY, FollowupCommon


class PaymentPlanCommon(FollowupCommon):
    """Companies in three currencies and a plan maker (no test of its own)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Plan = cls.env["invoice.payment.plan"]
        cls.currencies = {}
        for code in ("SAR", "EUR", "KWD"):
            currency = cls.env.ref(f"base.{code}")
            currency.active = True
            if currency != cls.company.currency_id:
                cls.env["res.currency.rate"].create(
                    {
                        "name": TODAY - timedelta(days=400),
                        "rate": 2.0,
                        "currency_id": currency.id,
                        "company_id": cls.company.id,
                    }
                )
            cls.currencies[code] = currency

    def _plan(self, moves, count=3, first=None, **kwargs):
        values = self.Plan._prepare_plan_values(
            moves, count, first or TODAY + timedelta(days=7), **kwargs
        )
        return self.Plan.create(values)


@tagged("post_install", "-at_install")
class TestPaymentPlan(PaymentPlanCommon):
    """Instalment agreements: exact splits, refusals, the life of a plan from
    proposal to last payment, reminders."""

    def test_rounding_sums_exactly(self):
        """Scenario: 1,000 split in 3 and in 7 instalments in SAR, EUR and KWD
        (three decimals): instalments add up exactly, rounding on the last one."""
        with freeze_time(TODAY):
            for code, currency in self.currencies.items():
                for count in (3, 7):
                    move = self._invoice(days_late=10, amount=1000.0, currency=currency)
                    plan = self._plan(move, count=count)
                    amounts = plan.line_ids.sorted("date_due").mapped("amount")
                    self.assertEqual(len(amounts), count, code)
                    self.assertEqual(
                        currency.compare_amounts(sum(amounts), 1000.0),
                        0,
                        (code, count, amounts),
                    )
                    self.assertTrue(
                        all(currency.is_zero(a - currency.round(a)) for a in amounts)
                    )
                    if code == "KWD" and count == 7:
                        self.assertEqual(amounts[:2], [142.857, 142.857])
                        self.assertAlmostEqual(amounts[-1], 142.858, places=3)
                    if code == "SAR" and count == 3:
                        self.assertEqual(amounts, [333.33, 333.33, 333.34])

    def test_bad_plans_are_refused(self):
        """Scenario: past dates, two customers, two currencies, too many
        instalments for a tiny amount, an oversized down payment and
        instalments that do not add up: each refused with a clear error."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=10, amount=1000.0)
            other_customer = self._invoice(partner=self.customer_b, days_late=10)
            eur = self._invoice(
                days_late=10,
                currency=self.currencies["EUR"]
                if self.company.currency_id != self.currencies["EUR"]
                else self.currencies["SAR"],
            )
            tiny = self._invoice(days_late=10, amount=0.03)
            with self.assertRaisesRegex(UserError, "past"):
                self._plan(move, first=TODAY - timedelta(days=1))
            with self.assertRaisesRegex(UserError, "one customer"):
                self._plan(move | other_customer)
            with self.assertRaisesRegex(UserError, "one currency"):
                self._plan(move | eur)
            with self.assertRaisesRegex(UserError, "Too many instalments"):
                self._plan(tiny, count=7)
            with self.assertRaisesRegex(UserError, "down payment"):
                self._plan(move, down_payment=1000.0)
            plan = self._plan(move)
            with self.assertRaises(ValidationError):
                plan.line_ids[0].amount = 1.0
            with self.assertRaises(ValidationError):
                plan.line_ids[0].amount = -plan.line_ids[0].amount

    def test_life_of_a_plan(self):
        """Scenario: an accountant proposes a 3-instalment plan; the customer is
        mailed, accepts (name and date recorded): follow-up pauses. A payment of
        400 pays the first instalment and part of the second; the rest pays all:
        the plan is done."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=10, amount=1000.0)
            plan = self._plan(move)
            self.assertEqual(plan.state, "draft")
            plan.action_propose()
            self.assertEqual(plan.state, "proposed")
            mail = self.env["mail.mail"].search(
                [("model", "=", plan._name), ("res_id", "=", plan.id)]
            )
            self.assertEqual(len(mail), 1)
            self.assertIn(plan.access_url, mail.body_html)
            plan._action_accept("Omar Al-Harbi")
            self.assertEqual(
                (plan.state, plan.accepted_by), ("active", "Omar Al-Harbi")
            )
            self.assertEqual(move.followup_pause_reason, "payment_plan")
            self._run()
            self.assertFalse(self._logs())
            self._pay(move, amount=400.0)
            lines = plan.line_ids.sorted("date_due")
            self.assertEqual(plan.amount_paid, 400.0)
            self.assertEqual(lines.mapped("state"), ["paid", "open", "open"])
            self.assertAlmostEqual(lines[1].amount_paid, 66.67)
            self.assertEqual(plan.next_line_id, lines[1])
            self._pay(move)
            self.env["invoice.payment.plan"]._cron_payment_plans()
            self.assertEqual(plan.state, "done")

    def test_payment_on_one_invoice_of_the_plan(self):
        """Scenario: a plan covers two invoices; the customer pays one of them in
        full: that amount counts for the instalments in date order."""
        with freeze_time(TODAY):
            first = self._invoice(days_late=10, amount=600.0)
            second = self._invoice(days_late=5, amount=400.0)
            plan = self._plan(first | second, count=2)
            plan.action_activate()
            self._pay(second)
            self.assertEqual(plan.amount_paid, 400.0)
            self.assertEqual(plan.line_ids.sorted("date_due")[0].amount_paid, 400.0)

    def test_customer_request_inside_and_outside_policy(self):
        """Scenario: a low-risk customer asks for 3 instalments: approved and
        proposed at once. A high-risk customer asks the same: the plan waits
        for an accountant, who gets an activity."""
        accountant = self.env["res.users"].create(
            {
                "name": "Sara Accountant",
                "login": "sara_acc",
                "groups_id": [
                    Command.set(self.env.ref("account.group_account_invoice").ids)
                ],
            }
        )
        self.company.followup_responsible_id = accountant
        with freeze_time(TODAY):
            self._invoice(days_late=10, amount=1000.0)
            plan = self.Plan._create_request(self.customer, 3)
            self.assertEqual((plan.state, plan.origin), ("proposed", "customer"))
            self.customer_b.payment_risk_level = "high"
            self._invoice(partner=self.customer_b, days_late=10, amount=1000.0)
            plan_b = self.Plan._create_request(self.customer_b, 3)
            self.assertEqual(plan_b.state, "draft")
            self.assertEqual(plan_b.activity_ids.user_id, accountant)
            self.assertIn("risk", plan_b._policy_refusals()[0])

    def test_wizard_with_down_payment_and_custom_dates(self):
        """Scenario: an accountant selects two invoices and creates a monthly
        plan with a down payment, then a plan on custom dates."""
        with freeze_time(TODAY):
            moves = self._invoice(days_late=10, amount=700.0) | self._invoice(
                days_late=3, amount=300.0
            )
            wizard = (
                self.env["invoice.payment.plan.wizard"]
                .with_context(active_model="account.move", active_ids=moves.ids)
                .create(
                    {
                        "instalment_count": 3,
                        "frequency": "monthly",
                        "down_payment": 100.0,
                        "first_date": TODAY + timedelta(days=1),
                    }
                )
            )
            self.assertIn("100.00", wizard.schedule_preview)
            plan = self.Plan.browse(wizard.action_create()["res_id"])
            self.assertEqual(
                plan.line_ids.sorted("date_due").mapped("amount"),
                [100.0, 300.0, 300.0, 300.0],
            )
            self.assertEqual(plan.amount_total, 1000.0)
            plan.action_cancel()
            custom = (
                self.env["invoice.payment.plan.wizard"]
                .with_context(active_model="account.move", active_ids=moves.ids)
                .create(
                    {
                        "frequency": "custom",
                        "custom_dates": f"{TODAY + timedelta(days=5)}, "
                        f"{TODAY + timedelta(days=40)}",
                    }
                )
            )
            plan2 = self.Plan.browse(custom.action_create()["res_id"])
            self.assertEqual(
                plan2.line_ids.sorted("date_due").mapped("amount"), [500.0, 500.0]
            )


@tagged("post_install", "-at_install")
class TestPaymentPlanBreak(PaymentPlanCommon, HttpCase):
    """A broken plan resumes follow-up at the final notice, whose letter
    wkhtmltopdf renders (HttpCase: it fetches assets from the HTTP server)."""

    def test_reminders_then_break_resumes_follow_up(self):
        """Scenario: three days before the first instalment the customer is
        reminded; the day after it is missed a notice goes out once; past the
        grace days the plan breaks: recorded on the customer, the responsible
        gets an activity and follow-up resumes at the configured stage."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=10, amount=900.0)
            plan = self._plan(move, first=TODAY + timedelta(days=10))
            plan.action_activate()
        first_due = plan.line_ids.sorted("date_due")[0].date_due

        def plan_mails():
            return self.env["mail.mail"].search(
                [("model", "=", plan._name), ("res_id", "=", plan.id)]
            )

        with freeze_time(first_due - timedelta(days=3)):
            self.Plan._cron_payment_plans()
            self.assertEqual(len(plan_mails()), 1)
            self.Plan._cron_payment_plans()
            self.assertEqual(len(plan_mails()), 1)
        with freeze_time(first_due + timedelta(days=1)):
            self.Plan._cron_payment_plans()
            self.Plan._cron_payment_plans()
            self.assertEqual(len(plan_mails()), 2)
            self.assertIn("not received", plan_mails().sorted("id")[-1].subject)
            self.assertEqual(plan.state, "active")
        with freeze_time(
            first_due + timedelta(days=self.company.payment_plan_grace_days + 1)
        ):
            self.Plan._cron_payment_plans()
            self.assertEqual(plan.state, "broken")
            self.assertEqual(self.customer.payment_plan_broken_count, 1)
            self.assertFalse(move.followup_pause_reason)
            self.assertEqual(
                self._logs().stage_id, self.company.payment_plan_broken_stage_id
            )
            self.assertEqual(
                self.company.payment_plan_broken_stage_id, self.stage_final
            )
            self.assertEqual(move.followup_stage_id, self.stage_final)
