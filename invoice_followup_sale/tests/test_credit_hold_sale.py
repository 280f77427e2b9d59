# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from freezegun import freeze_time

from odoo.tests import Form, new_test_user, tagged

from odoo.addons.invoice_followup.tests.common import TODAY, FollowupCommon

PREVIOUS_MSG = "Quote prices in SAR only."


@tagged("post_install", "-at_install")
class TestCreditHoldSale(FollowupCommon):
    """With Sales installed, the credit hold blocks sales orders as well."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stage_second.credit_hold = True
        cls.customer.write({"sale_warn": "warning", "sale_warn_msg": PREVIOUS_MSG})
        cls.salesman = new_test_user(
            cls.env,
            login="seller_h1_sale",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
        )

    def _quotation_warning(self, partner):
        """A salesperson's new quotation form with ``partner``: (the warning
        Odoo's onchange gives, the customer left on the form)."""
        form = Form(self.env["sale.order"].with_user(self.salesman))
        with self.assertLogs("odoo.tests.form.onchange", level="WARNING") as logs:
            form.partner_id = partner
        return " ".join(logs.output), form.partner_id

    def test_hold_blocks_quotations_until_paid(self):
        """Scenario: the daily run's second reminder (a credit-hold stage) puts
        the customer, 20 days late, on hold: its sales warning becomes the
        blocking message too, its own warning kept. A salesperson (no
        accounting, no warning settings) starting a quotation for the customer
        gets the message and loses the customer. The payment of the overdue
        invoice (Register Payment) lifts the hold: the customer's own sales
        warning is back, and a quotation keeps the customer."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=20, amount=1200.0)
            self.env["invoice.followup.run"]._run_daily()
            step = self.env["invoice.followup.log"].search(
                [("partner_id", "=", self.customer.id)]
            )
            self.assertEqual(step.hold_state, "held")
            self.assertEqual(self.customer.sale_warn, "block")
            self.assertEqual(self.customer.sale_warn_msg, step.hold_message)
            self.assertEqual(self.customer.followup_hold_prev_sale_warn, "warning")
            self.assertEqual(
                self.customer.followup_hold_prev_sale_warn_msg, PREVIOUS_MSG
            )
            self.assertEqual(self.customer.invoice_warn, "block")

            warning, left = self._quotation_warning(self.customer)
            self.assertIn("Credit hold since", warning)
            self.assertIn("1,200.00", warning)
            self.assertFalse(left)

            self._pay(move)
            self.assertFalse(self.customer.followup_on_hold)
            self.assertEqual(self.customer.sale_warn, "warning")
            self.assertEqual(self.customer.sale_warn_msg, PREVIOUS_MSG)
            self.assertEqual(self.customer.invoice_warn, "no-message")
            self.assertFalse(self.customer.followup_hold_prev_sale_warn)
            warning, left = self._quotation_warning(self.customer)
            self.assertIn(PREVIOUS_MSG, warning)
            self.assertEqual(left, self.customer)

    def test_accountant_lifts_sales_block(self):
        """Scenario: a customer without any sales warning is put on hold; the
        accountant lifts it by hand from the Follow-up tab: both warnings go
        back to "No Message"."""
        self.customer.write({"sale_warn": "no-message", "sale_warn_msg": False})
        with freeze_time(TODAY):
            self._invoice(days_late=20)
            self._run()
            self.assertEqual(self.customer.sale_warn, "block")
            self.customer.action_followup_release_hold()
            self.assertEqual(self.customer.sale_warn, "no-message")
            self.assertFalse(self.customer.sale_warn_msg)
            self.assertEqual(self.customer.invoice_warn, "no-message")
