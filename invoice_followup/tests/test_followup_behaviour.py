# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, FollowupCommon


@tagged("post_install", "-at_install")
class TestFollowupBehaviour(FollowupCommon):
    """A customer's payment behaviour, learnt from its real payments (payment
    register, reconciled receivable lines) and computed in SQL."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start = TODAY - timedelta(days=200)  # due on start + 30 (30-day term)
        due = start + timedelta(days=30)
        with freeze_time(TODAY):
            # 12 to 7 months ago: 1,000 paid 10 days late, 3,000 on the due date,
            # 1,000 in two halves 20 and 40 days late
            cls.late = cls._invoice(invoice_date=start, amount=1000.0, term=cls.term_30)
            cls.on_time = cls._invoice(
                invoice_date=start, amount=3000.0, term=cls.term_30
            )
            cls.in_parts = cls._invoice(
                invoice_date=start, amount=1000.0, term=cls.term_30
            )
            cls._pay(cls.late, date=due + timedelta(days=10))
            cls._pay(cls.on_time, date=due)
            cls._pay(cls.in_parts, amount=500.0, date=due + timedelta(days=20))
            cls._pay(cls.in_parts, amount=500.0, date=due + timedelta(days=40))
            # the last 90 days: 1,000 paid 30 days late
            recent_start = TODAY - timedelta(days=90)
            cls.recent = cls._invoice(
                invoice_date=recent_start, amount=1000.0, term=cls.term_30
            )
            cls._pay(cls.recent, date=recent_start + timedelta(days=60))
            # still open, not due yet: the customer is in the worklist
            cls.open = cls._invoice(invoice_date=TODAY, amount=2000.0, term=cls.term_30)
            # another customer that never paid anything
            cls.newcomer = cls._invoice(
                partner=cls.customer_b, invoice_date=TODAY, term=cls.term_30
            )

    def _behaviour(self, partner):
        return self.env["invoice.followup.behaviour"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.company.id)]
        )

    @freeze_time(TODAY)
    def test_figures_as_computed_by_hand(self):
        """Scenario: the accountant refreshes the customer's payment behaviour.
        Payments (amount, days late): 1,000 x 10, 3,000 x 0, 500 x 20, 500 x 40
        (all 7 to 6 months ago) and 1,000 x 30 (last 90 days). By hand:
        average days late weighted by amount = 70,000 / 6,000 = 11.67; paid on
        time 3,000 / 6,000 = 50 %; paid in part 1 invoice of 4; days to pay
        (40*1000 + 30*3000 + 50*500 + 70*500 + 60*1000) / 6000 = 41.67; the 12
        months before the last 90 days: 40,000 / 5,000 = 8.0 days late, the last
        90 days 30: trend +22, so "getting worse" and "usually late"."""
        self.customer.action_followup_refresh_behaviour()
        row = self._behaviour(self.customer)
        self.assertEqual(row.paid_count, 4)
        self.assertAlmostEqual(row.avg_days_late, 70000 / 6000, places=2)
        self.assertAlmostEqual(row.share_on_time, 0.5, places=4)
        self.assertAlmostEqual(row.share_partial, 0.25, places=4)
        self.assertAlmostEqual(row.avg_days_to_pay, 250000 / 6000, places=2)
        self.assertAlmostEqual(row.earlier_days_late, 8.0, places=2)
        self.assertAlmostEqual(row.recent_days_late, 30.0, places=2)
        self.assertAlmostEqual(row.trend_days, 22.0, places=2)
        # population standard deviation of 10, 0, 20, 40, 30 days late
        self.assertAlmostEqual(row.days_late_spread, 200**0.5, places=2)
        self.assertAlmostEqual(row.open_amount, 2000.0)
        # invoicing of the last 12 months per day (8,000 / 365) x 41.67 days to pay
        self.assertAlmostEqual(
            row.usual_open_amount, 8000 / 365 * 250000 / 6000, places=1
        )
        self.assertTrue(row.usually_late)
        self.assertTrue(row.getting_worse)
        # the risk score by hand: days late 40 * 11.67 / 60, paid after the due date
        # 15 * 0.5, owes 2,000 against a usual 913.24 (ratio 2.19): 10 * 1.19 / 2,
        # 22 days later than before: 10 * 22 / 30; no broken promise or plan
        usual = 8000 / 365 * 250000 / 6000
        score = (
            40 * (70000 / 6000) / 60
            + 15 * 0.5
            + 10 * (2000 / usual - 1) / 2
            + 10 * 22 / 30
        )
        self.assertEqual(row.risk_score, round(score))
        self.assertEqual(row.risk_band, "low")
        self.assertEqual(
            row.risk_reasons,
            "pays 12 days late on average; "
            "50% of the amount paid after the due date; "
            "pays 22 days later than before",
        )
        self.assertEqual(self.customer.followup_risk_band, "low")
        # shown on the customer's Follow-up tab
        self.assertEqual(self.customer.followup_behaviour_id, row)
        self.assertAlmostEqual(
            self.customer.payment_avg_days_late, 70000 / 6000, places=1
        )
        # the invoices it is based on, one click away
        action = self.customer.action_followup_paid_invoices()
        invoices = self.env["account.move"].search(action["domain"])
        self.assertEqual(
            invoices, self.late | self.on_time | self.in_parts | self.recent | self.open
        )

    @freeze_time(TODAY)
    def test_daily_run_refreshes_everyone_and_feeds_the_worklist(self):
        """Scenario: the daily run (nothing due today) refreshes the behaviour
        of every customer; the worklist shows how late each usually pays and
        its filters "Usually late" and "Getting worse" find the late payer,
        not the newcomer (no payment yet: zero, not late)."""
        self.assertFalse(self._behaviour(self.customer))
        self._run()
        self.assertTrue(self._behaviour(self.customer).usually_late)
        newcomer = self._behaviour(self.customer_b)
        self.assertEqual((newcomer.paid_count, newcomer.avg_days_late), (0, 0.0))
        self.assertFalse(newcomer.usually_late)
        # no history: the company's default band, said as such
        self.assertEqual(newcomer.risk_band, self.company.followup_default_risk)
        self.assertIn("No payment history yet", newcomer.risk_reasons)
        Worklist = self.env["invoice.followup.worklist"]
        partners = self.customer | self.customer_b
        rows = Worklist.search([("partner_id", "in", partners.ids)])
        self.assertEqual(rows.partner_id, partners)
        late_rows = Worklist.search(
            [("partner_id", "in", partners.ids), ("usually_late", "=", True)]
        )
        self.assertEqual(late_rows.partner_id, self.customer)
        self.assertAlmostEqual(late_rows.avg_days_late, 70000 / 6000, places=2)
        worse = Worklist.search(
            [("partner_id", "in", partners.ids), ("getting_worse", "=", True)]
        )
        self.assertEqual(worse.partner_id, self.customer)

    @freeze_time(TODAY)
    def test_a_new_payment_changes_the_figures(self):
        """Scenario: the open invoice is paid today, on time: after a refresh
        the customer counts 5 paid invoices and a larger share paid on time."""
        self.customer.action_followup_refresh_behaviour()
        before = self._behaviour(self.customer).share_on_time
        self._pay(self.open, date=TODAY)
        self.customer.action_followup_refresh_behaviour()
        row = self._behaviour(self.customer)
        self.assertEqual(row.paid_count, 5)
        self.assertAlmostEqual(row.share_on_time, 5000 / 8000, places=4)
        self.assertGreater(row.share_on_time, before)
        self.assertEqual(row.open_amount, 0.0)

    @freeze_time(TODAY)
    def test_broken_promises_raise_the_score_and_are_named(self):
        """Scenario: the customer broke 3 promises (the counter the run keeps on
        its invoices): 15 points more, and the reasons name them first."""
        self.customer.action_followup_refresh_behaviour()
        before = self._behaviour(self.customer).risk_score
        self.late.followup_promise_broken_count = 3
        self.customer.action_followup_refresh_behaviour()
        row = self._behaviour(self.customer)
        self.assertEqual(row.promises_broken, 3)
        self.assertIn(row.risk_score, (before + 15, before + 14, before + 16))
        self.assertTrue(row.risk_reasons.startswith("3 broken promise(s)"))

    @freeze_time(TODAY)
    def test_customer_without_invoices(self):
        """Scenario: the accountant opens a customer that was never invoiced and
        clicks Refresh, then "Invoices it is based on": no behaviour row, no
        error, an empty list of its invoices (not another customer's)."""
        partner = self.env["res.partner"].create({"name": "Never Invoiced"})
        partner.action_followup_refresh_behaviour()
        self.assertFalse(self._behaviour(partner))
        self.assertFalse(partner.followup_behaviour_id)
        action = partner.action_followup_paid_invoices()
        self.assertEqual(action["type"], "ir.actions.act_window")
        self.assertFalse(self.env["account.move"].search(action["domain"]))
