# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import math
from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import SQL

from .common import TODAY, FollowupCommon

# TODAY is Wednesday 4 March 2026: its week starts on Monday 2 March
WEEK0 = TODAY - timedelta(days=TODAY.weekday())


@tagged("post_install", "-at_install")
class TestFollowupForecast(FollowupCommon):
    """When each open invoice will be paid, and the cash coming in by week,
    from real invoices and payments with a known history."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_c = cls.env["res.partner"].create(
            {"name": "New Horizon LLC", "is_company": True}
        )
        with freeze_time(TODAY):
            # Gulf Trading paid five invoices 2, 4, 6, 8 and 30 days late,
            # Northwind three: 0, 0 and 10 days late
            for partner, delays in (
                (cls.customer, (2, 4, 6, 8, 30)),
                (cls.customer_b, (0, 0, 10)),
            ):
                for index, late in enumerate(delays):
                    start = TODAY - timedelta(days=200 + 10 * index)
                    move = cls._invoice(
                        partner=partner, invoice_date=start, term=cls.term_30
                    )
                    cls._pay(move, date=start + timedelta(days=30 + late))
            # open invoices, due in 10 days
            cls.open_a = cls._invoice(
                invoice_date=TODAY - timedelta(days=20), term=cls.term_30, amount=1000
            )
            cls.open_b = cls._invoice(
                partner=cls.customer_b,
                invoice_date=TODAY - timedelta(days=20),
                term=cls.term_30,
                amount=500,
            )
            cls.open_c = cls._invoice(
                partner=cls.customer_c,
                invoice_date=TODAY - timedelta(days=20),
                term=cls.term_30,
                amount=300,
            )
            # Gulf Trading's old invoice, 40 days late already
            cls.late_a = cls._invoice(days_late=40, amount=200)

    @freeze_time(TODAY)
    def test_predicted_dates_as_computed_by_hand(self):
        """By hand: the company's 8 paid invoices, sorted 0 0 2 4 6 8 10 30, have
        the median 5. With two customers the company's weight cannot be learnt
        from its ledger: it is 1. Gulf Trading: median 6 of 5 invoices:
        (5 * 6 + 1 * 5) / 6 = 5.8, paid 6 days after the due date. Northwind:
        median 0 of 3: (0 + 5) / 4 = 1.25, 1 day, pulled by more than a day
        and said so. New Horizon: nothing paid, the company's 5 days. The
        invoice already 40 days late is expected today, and says so."""
        self.env["invoice.followup.prediction"]._refresh()
        due = TODAY + timedelta(days=10)
        self.assertAlmostEqual(self.open_a.followup_predicted_days, 35 / 6, places=2)
        self.assertEqual(self.open_a.followup_predicted_date, due + timedelta(days=6))
        self.assertEqual(
            self.open_a.followup_predicted_basis, "5 paid invoices, median 6 days late"
        )
        self.assertAlmostEqual(self.open_b.followup_predicted_days, 5 / 4, places=2)
        self.assertEqual(self.open_b.followup_predicted_date, due + timedelta(days=1))
        self.assertIn(
            "3 paid invoice(s), median on the due date, pulled towards",
            self.open_b.followup_predicted_basis,
        )
        self.assertEqual(self.open_c.followup_predicted_date, due + timedelta(days=5))
        self.assertEqual(
            self.open_c.followup_predicted_basis,
            "No paid invoice yet: the company's median, 5 days late",
        )
        self.assertEqual(self.late_a.followup_predicted_date, TODAY)
        self.assertTrue(self.late_a.followup_predicted_late)
        self.assertIn("already later than that", self.late_a.followup_predicted_basis)
        self.assertEqual(self.customer.payment_predicted_days_late, 5.8)
        self.assertEqual(
            self.customer.payment_predicted_basis,
            "5 paid invoices, median 6 days late",
        )

    @freeze_time(TODAY)
    def test_weight_learnt_from_the_ledger(self):
        """With a third customer of two paid invoices or more, the company's
        weight k is learnt. Al Waha paid two invoices 20 and 24 days late. By
        hand: each customer's median absolute deviation, Gulf Trading (median
        6 of 2 4 6 8 30) 2, Northwind (0 of 0 0 10) 0, Al Waha (22) 2: within
        = 2; their medians 6 0 22, around their median 6: 0 6 16, between = 6;
        k = pi / 2 * (2 / 6) ** 2 = 0.1745. The company's median of its ten
        paid invoices (0 0 2 4 6 8 10 20 24 30) is 7. Gulf Trading: (5 * 6 +
        k * 7) / (5 + k) = 6.03; Northwind (0 + k * 7) / (3 + k) = 0.38;
        Al Waha (2 * 22 + k * 7) / (2 + k) = 20.80, pulled by more than a day,
        and said so; New Horizon, without history: the company's 7."""
        waha = self.env["res.partner"].create({"name": "Al Waha", "is_company": True})
        for index, late in enumerate((20, 24)):
            start = TODAY - timedelta(days=150 + 10 * index)
            move = self._invoice(partner=waha, invoice_date=start, term=self.term_30)
            self._pay(move, date=start + timedelta(days=30 + late))
        open_w = self._invoice(
            partner=waha, invoice_date=TODAY - timedelta(days=20), term=self.term_30
        )
        self.env["invoice.followup.prediction"]._refresh()
        k = math.pi / 2 * (2 / 6) ** 2
        self.assertAlmostEqual(
            self.open_a.followup_predicted_days, (30 + 7 * k) / (5 + k), places=4
        )
        self.assertAlmostEqual(
            self.open_b.followup_predicted_days, 7 * k / (3 + k), places=4
        )
        self.assertAlmostEqual(
            open_w.followup_predicted_days, (44 + 7 * k) / (2 + k), places=4
        )
        self.assertAlmostEqual(self.open_c.followup_predicted_days, 7, places=4)
        due = TODAY + timedelta(days=10)
        self.assertEqual(open_w.followup_predicted_date, due + timedelta(days=21))
        self.assertEqual(
            open_w.followup_predicted_basis,
            "2 paid invoice(s), median 22 days late, pulled towards the company's "
            "usual delay",
        )
        self.assertEqual(
            self.open_a.followup_predicted_basis, "5 paid invoices, median 6 days late"
        )

    def test_back_test_rows_use_only_what_was_known(self):
        """The back-test's question (what was known on a date): asked on the day
        Northwind's oldest invoice was paid (180 days ago), none of its
        invoices was paid before; of Gulf Trading's, those paid 184 and 192
        days ago (6 and 8 days late) were: the company's median is 7."""
        Prediction = self.env["invoice.followup.prediction"]
        last = self.env["account.move"].search(
            [
                ("partner_id", "=", self.customer_b.id),
                ("payment_state", "=", "paid"),
            ],
            order="invoice_date asc",
            limit=1,
        )  # the one paid 10 days late is the oldest (index 2: 220 days ago)
        paid_on = last.invoice_date + timedelta(days=40)
        rows = self.env.execute_query(
            Prediction._predict_sql(
                SQL(
                    "SELECT %s AS move_id, %s AS partner_id, %s AS company_id, "
                    "%s::date AS as_of",
                    last.id,
                    self.customer_b.id,
                    self.company.id,
                    paid_on,
                )
            )
        )
        move_id, count, median, mean, company_median, predicted, weight = rows[0]
        self.assertEqual(weight, 1)  # two customers: too few to learn it
        self.assertEqual((move_id, count, median, mean), (last.id, 0, None, None))
        self.assertEqual(company_median, 7.0)
        self.assertEqual(predicted, 7.0)

    def test_cash_in_by_week_forecast_against_actual(self):
        """Scenario: the forecast is made on Wednesday 4 March. Gulf Trading's
        1,000 is expected on 20 March (week of 16 March), Northwind's 500 on 17
        March, New Horizon's 300 on 19 March; Gulf Trading's late 200 this
        week. Northwind promises 250 by 6 March: with no promise history it
        weighs one half, 125 this week, in place of its invoice. A week later
        Gulf Trading pays the 200: the week of 2 March still shows what was
        forecast at its start, and 200 paid."""
        Cashin = self.env["invoice.followup.cashin"]
        with freeze_time(TODAY):
            self.open_b._followup_promise(TODAY + timedelta(days=2), 250.0, "Lena")
            self.env["invoice.followup.prediction"]._refresh()
            Cashin._refresh()
        week = {
            (row.week, row.kind, row.partner_id): (row.forecast, row.weight)
            for row in Cashin.search([("kind", "!=", "actual")])
        }
        mid_march = WEEK0 + timedelta(weeks=2)
        self.assertEqual(week[mid_march, "invoice", self.customer], (1000.0, 1.0))
        self.assertEqual(week[mid_march, "invoice", self.customer_c], (300.0, 1.0))
        self.assertEqual(week[WEEK0, "invoice", self.customer], (200.0, 1.0))
        self.assertEqual(week[WEEK0, "promise", self.customer_b], (125.0, 0.5))
        self.assertNotIn((mid_march, "invoice", self.customer_b), week)
        self.assertEqual(
            sum(Cashin.search([("week", "=", WEEK0)]).mapped("forecast")), 325.0
        )
        later = TODAY + timedelta(days=7)
        with freeze_time(later):
            self._pay(self.late_a, date=TODAY + timedelta(days=1))
            self.env["invoice.followup.prediction"]._refresh()
            Cashin._refresh()
        past = Cashin.search([("week", "=", WEEK0)])
        self.assertEqual(sum(past.mapped("forecast")), 325.0, "kept as made")
        self.assertEqual(sum(past.mapped("actual")), 200.0)
        # the coming weeks were made again: the paid 200 is no longer expected
        self.assertFalse(
            Cashin.search([("move_id", "=", self.late_a.id), ("week", ">", WEEK0)])
        )

    def test_plan_instalments_weighted_by_how_plans_are_kept(self):
        """Scenario: an active plan over Gulf Trading's late invoice (200 in two
        instalments of 100, weekly from next Monday); the company kept one plan
        and broke none: weight (1 + 1) / (1 + 2) = 2/3. The invoice itself is
        not counted twice."""
        Plan = self.env["invoice.payment.plan"]
        with freeze_time(TODAY):
            kept = Plan.create(
                Plan._prepare_plan_values(self.open_c, 1, TODAY + timedelta(days=3))
            )
            kept.state = "done"
            plan = Plan.create(
                Plan._prepare_plan_values(self.late_a, 2, WEEK0 + timedelta(weeks=1))
            )
            plan.action_activate()
            self.env["invoice.followup.cashin"]._refresh()
        rows = self.env["invoice.followup.cashin"].search(
            [("partner_id", "=", self.customer.id), ("kind", "!=", "actual")]
        )
        instalments = rows.filtered(lambda r: r.kind == "instalment")
        self.assertEqual(len(instalments), 2)
        self.assertAlmostEqual(instalments[0].weight, 2 / 3, places=2)
        # two monetary amounts of 66.67
        self.assertAlmostEqual(sum(instalments.mapped("forecast")), 133.34, 2)
        self.assertFalse(rows.filtered(lambda r: r.move_id == self.late_a))
