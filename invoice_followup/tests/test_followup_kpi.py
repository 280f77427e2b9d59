# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date, datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, FollowupCommon, make_step

JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


@tagged("post_install", "-at_install")
class TestFollowupKpi(FollowupCommon):
    """The receivables figures of a small ledger, computed by hand.

    Invoices (30-day term): A 3,100 of 25 December (due 24 January), B 1,550 of
    15 January (due 14 February), C 2,800 of 10 February (due 12 March).
    Payments: 1,000 on A on 20 January, 2,100 on A on 5 February; a credit note
    of 50 on B on 20 February. Credit sales: December 3,100, January 1,550,
    February 2,800 - 50 = 2,750.

    End of January: receivables 3,100 + 1,550 - 1,000 = 3,650; overdue A's
    2,100 (due before, less what was paid by then); not yet due 1,550.
    DSO: January's 1,550 used up (31 days), 2,100 left of December's 3,100:
    31 + 2,100 / 3,100 x 31 = 52.0. Best: 1,550 of January's 1,550: 31.0.
    Days delinquent 21.0. CEI (3,100 + 1,550 - 3,650) / (3,100 + 1,550 -
    1,550) = 32.26 %. Overdue share 2,100 / 3,650 = 57.53 %.

    End of February: receivables 3,650 - 2,100 + 2,800 - 50 = 4,300; overdue
    B's 1,500; not yet due 2,800. DSO 28 + 1,550 / 1,550 x 31 = 59.0; best 28
    + 50 / 1,550 x 31 = 29.0; delinquent 30.0; CEI (3,650 + 2,750 - 4,300) /
    (3,650 + 2,750 - 2,800) = 58.33 %; overdue share 1,500 / 4,300 = 34.88 %.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.inv_a = cls._invoice(
            amount=3100, invoice_date=date(2025, 12, 25), term=cls.term_30
        )
        cls.inv_b = cls._invoice(
            amount=1550, invoice_date=date(2026, 1, 15), term=cls.term_30
        )
        cls.inv_c = cls._invoice(
            amount=2800, invoice_date=date(2026, 2, 10), term=cls.term_30
        )
        cls._pay(cls.inv_a, amount=1000, date=date(2026, 1, 20))
        with freeze_time(date(2026, 1, 26)):
            cls.step = make_step(
                cls.env, cls.customer, cls.company, cls.stage_first, cls.inv_a
            )
        cls._pay(cls.inv_a, amount=2100, date=date(2026, 2, 5))
        credit = cls._invoice(
            amount=50, invoice_date=date(2026, 2, 20), move_type="out_refund"
        )
        (credit | cls.inv_b).line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        ).reconcile()

    def _figures(self, month):
        return self.env["invoice.followup.kpi"].search(
            [("company_id", "=", self.company.id), ("month", "=", month)]
        )

    def test_receivables_figures_by_hand(self):
        with freeze_time(TODAY):
            self.env["invoice.followup.run"]._refresh_insight()
        jan, feb = self._figures(JAN), self._figures(FEB)
        self.assertEqual(
            (jan.sales, jan.receivable_start, jan.receivable, jan.overdue, jan.current),
            (1550, 3100, 3650, 2100, 1550),
        )
        self.assertAlmostEqual(jan.dso, 52.0, delta=0.006)
        self.assertAlmostEqual(jan.best_dso, 31.0, delta=0.006)
        self.assertAlmostEqual(jan.days_delinquent, 21.0, delta=0.006)
        self.assertAlmostEqual(jan.cei, 1000 / 3100 * 100, delta=0.006)
        self.assertAlmostEqual(jan.overdue_share, 2100 / 3650 * 100, delta=0.006)
        self.assertEqual(
            (feb.sales, feb.receivable, feb.overdue, feb.current),
            (2750, 4300, 1500, 2800),
        )
        self.assertAlmostEqual(feb.dso, 59.0, delta=0.006)
        self.assertAlmostEqual(feb.best_dso, 29.0, delta=0.006)
        self.assertAlmostEqual(feb.days_delinquent, 30.0, delta=0.006)
        self.assertAlmostEqual(feb.cei, 2100 / 3600 * 100, delta=0.006)
        self.assertAlmostEqual(feb.overdue_share, 1500 / 4300 * 100, delta=0.006)
        # the step of 26 January (A's 2,100) was followed by 2,100 on 5 February
        self.assertEqual(jan.collected_14, 2100)
        self.assertEqual(feb.collected_14, 0)
        # thirteen months, this one so far, and none twice after a second refresh
        with freeze_time(TODAY):
            self.env["invoice.followup.kpi"]._refresh()
        rows = self.env["invoice.followup.kpi"].search(
            [("company_id", "=", self.company.id)]
        )
        self.assertEqual(len(rows), 13)
        self.assertEqual(self._figures(MAR).day_end, TODAY)

    def test_promises_kept_and_disputes_settled(self):
        """Scenario: on 2 February Gulf Trading disputes B; an accountant
        resolves it on 5 February at 22:00, 3.5 days later. On 16 February it
        promises 800 of B by 25 February: only the 50 credit note follows, the
        promise is broken. On 1 March it promises 500 of C by 3 March and pays
        500 on 2 March: kept. February: 1 promise due, 0 kept, 0 %; one
        dispute settled in 3.5 days. March: 1 of 1, 100 %."""
        with freeze_time(datetime(2026, 2, 2, 10, 0)):
            self.inv_b._followup_ask(
                "dispute", self._reason("disputed"), "Wrong quantity", "Omar"
            )
        with freeze_time(datetime(2026, 2, 5, 22, 0)):
            self.inv_b.action_followup_resolve_request()
        with freeze_time(datetime(2026, 2, 16, 9, 0)):
            self.inv_b._followup_promise(date(2026, 2, 25), 800.0, "Omar")
        with freeze_time(datetime(2026, 3, 1, 9, 0)):
            self.inv_c._followup_promise(date(2026, 3, 3), 500.0, "Omar")
        self._pay(self.inv_c, amount=500, date=date(2026, 3, 2))
        with freeze_time(TODAY):
            self.env["invoice.followup.kpi"]._refresh()
        feb, mar = self._figures(FEB), self._figures(MAR)
        self.assertEqual((feb.promises_due, feb.promises_kept), (1, 0))
        self.assertEqual(feb.promise_kept_rate, 0)
        self.assertEqual((mar.promises_due, mar.promises_kept), (1, 1))
        self.assertEqual(mar.promise_kept_rate, 100)
        self.assertEqual(feb.disputes_settled, 1)
        self.assertAlmostEqual(feb.dispute_days, 3.5, places=3)

    def test_other_company_figures_are_not_visible(self):
        """An accountant of another company reads none of these figures."""
        other = self.setup_other_company()["company"]
        user = self.env["res.users"].create(
            {
                "name": "Other accountant",
                "login": "other_accountant",
                "company_id": other.id,
                "company_ids": [(6, 0, other.ids)],
                "groups_id": [
                    (6, 0, [self.env.ref("account.group_account_invoice").id])
                ],
            }
        )
        with freeze_time(TODAY):
            self.env["invoice.followup.kpi"]._refresh()
        Kpi = self.env["invoice.followup.kpi"].with_user(user)
        self.assertFalse(Kpi.search([("company_id", "=", self.company.id)]))
        self.assertTrue(Kpi.search([]))  # its own company's rows
