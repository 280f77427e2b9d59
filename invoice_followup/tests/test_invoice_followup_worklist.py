# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from .common import TODAY, FollowupCommon


@tagged("post_install", "-at_install")
class TestWorklistResponsible(FollowupCommon):
    def _compare(self, customers):
        """{customer: responsible} of the worklist's rows, checked against Python."""
        self.env.flush_all()
        self.env.invalidate_all()
        rows = self.env["invoice.followup.worklist"].search(
            [("partner_id", "in", customers.ids)]
        )
        self.assertEqual(len(rows), len(customers))
        shown = {row.partner_id: row.responsible_id for row in rows}
        self.assertEqual(
            shown, {c: c._followup_get_responsible(self.company) for c in customers}
        )
        return [shown[c] for c in customers]

    @freeze_time(TODAY)
    def test_worklist_responsible_is_the_one_python_picks(self):
        """Scenario: three customers in follow-up: one with a follow-up
        responsible and a salesperson, one with a salesperson only, one with
        neither. The worklist's SQL view shows for each the user that
        res.partner._followup_get_responsible() gives: the follow-up
        responsible, the salesperson, the company's default responsible. Then a
        default follow-up responsible is set for the company (ir.default, the
        fallback of the company-dependent field): the customers without a value
        of their own get it, in the view as in Python."""
        responsible, salesperson, company_default, ir_default = (
            new_test_user(
                self.env,
                login,
                groups="account.group_account_invoice",
                company_id=self.company.id,
                company_ids=self.company.ids,
            )
            for login in ("fu_resp", "fu_sales", "fu_company", "fu_default")
        )
        self.company.followup_responsible_id = company_default
        self.customer.with_company(self.company).write(
            {
                "followup_responsible_id": responsible.id,
                "user_id": salesperson.id,
            }
        )
        self.customer_b.user_id = salesperson
        nobody = self.env["res.partner"].create(
            {"name": "Nobody's Customer", "is_company": True}
        )
        customers = self.customer | self.customer_b | nobody
        for customer in customers:
            self._invoice(partner=customer, days_late=5)
        self.assertEqual(
            self._compare(customers), [responsible, salesperson, company_default]
        )
        self.env["ir.default"].set(
            "res.partner",
            "followup_responsible_id",
            ir_default.id,
            company_id=self.company.id,
        )
        self.assertEqual(
            self._compare(customers), [responsible, ir_default, ir_default]
        )


@tagged("post_install", "-at_install")
class TestWorklistNextStage(FollowupCommon):
    @freeze_time(TODAY)
    def test_worklist_next_stage_is_the_one_python_picks(self):
        """Scenario: a customer with a due invoice at the first reminder and one
        at the final notice, and a customer whose invoices are all still to come
        (dated after the database's today, the view's CURRENT_DATE): one
        waiting for "Invoice received?", the other, whose receipt step is done,
        for an earlier friendly reminder. The worklist's SQL view shows the most
        advanced stage due for the first (what the run sends), the stage of the
        earliest next date for the second, as the customer's form does."""
        self._invoice(days_late=5)
        self._invoice(days_late=120)
        self.env.flush_all()
        db_today = self.env.execute_query(SQL("SELECT CURRENT_DATE"))[0][0]
        later = max(db_today, TODAY) + timedelta(days=200)
        receipt_next = self._invoice(
            partner=self.customer_b, invoice_date=later, term=self.term_30
        )
        friendly_next = self._invoice(
            partner=self.customer_b,
            invoice_date=later - timedelta(days=40),
            term=self.term_30,
        )
        friendly_next.followup_stage_id = self.stage_receipt
        self.assertEqual(receipt_next.followup_next_stage_id, self.stage_receipt)
        self.assertEqual(friendly_next.followup_next_stage_id, self.stage_friendly)
        self.assertLess(
            friendly_next.followup_next_date, receipt_next.followup_next_date
        )
        self.env.flush_all()
        self.env.invalidate_all()
        rows = self.env["invoice.followup.worklist"].search(
            [("partner_id", "in", (self.customer | self.customer_b).ids)]
        )
        shown = {row.partner_id: row.next_stage_id for row in rows}
        self.assertEqual(
            shown,
            {self.customer: self.stage_final, self.customer_b: self.stage_friendly},
        )
        self.assertEqual(
            self.customer_b.with_company(self.company).followup_next_stage_id,
            self.stage_friendly,
        )
