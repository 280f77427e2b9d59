# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import TODAY, FollowupCommon


@tagged("post_install", "-at_install")
class TestFollowupEscalate(FollowupCommon, HttpCase):
    """ "Escalate" (customer form and worklist) runs the escalation stage now for
    the customer's open overdue invoices. HttpCase: the escalation stage prints
    a letter (wkhtmltopdf)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lawyer = new_test_user(
            cls.env,
            "fu_lawyer",
            groups="account.group_account_invoice",
            email="legal@company.example.com",
            company_id=cls.company.id,
            company_ids=cls.company.ids,
        )
        cls.billing = new_test_user(
            cls.env,
            "fu_billing_esc",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=cls.company.ids,
        )
        cls.readonly = new_test_user(
            cls.env,
            "fu_readonly_esc",
            groups="base.group_user,account.group_account_readonly",
            company_id=cls.company.id,
            company_ids=cls.company.ids,
        )
        cls.company.followup_escalation_user_id = cls.lawyer

    @freeze_time(TODAY)
    def test_escalate_from_the_customer_form(self):
        """Scenario: a customer 20 days late on one invoice and 5 on another,
        with one invoice not yet due. A billing user presses "Escalate" on the
        Follow-up tab: one step at the escalation stage (60 days, manual) covers
        the two overdue invoices, which reach that stage; the invoice not due
        is left alone; the escalation user becomes the responsible and gets an
        activity; the step is shown as "Send now" shows it. A read-only
        accountant cannot escalate."""
        late = self._invoice(days_late=20) | self._invoice(days_late=5, amount=300.0)
        not_due = self._invoice(invoice_date=TODAY, amount=200.0)
        with self.assertRaises(AccessError):
            self.customer.with_user(self.readonly).action_followup_escalate()
        self.assertFalse(self._logs())
        action = self.customer.with_user(self.billing).action_followup_escalate()
        log = self._logs()
        self.assertEqual(len(log), 1)
        self.assertEqual(log.stage_id, self.stage_escalation)
        self.assertEqual(log.move_ids, late)
        self.assertEqual((log.run_by, log.state), ("user", "done"))
        self.assertEqual(late.followup_stage_id, self.stage_escalation)
        self.assertFalse(not_due.followup_stage_id)
        self.assertEqual(
            self.customer.with_company(self.company).followup_responsible_id,
            self.lawyer,
        )
        self.assertEqual(
            len(
                self.customer.activity_ids.filtered(lambda a: a.user_id == self.lawyer)
            ),
            1,
        )
        self.assertEqual(log.letter_state, "to_print")
        self.assertEqual(
            (action["res_model"], action["res_id"]), ("invoice.followup.log", log.id)
        )

    @freeze_time(TODAY)
    def test_escalate_from_the_worklist_and_which_stage(self):
        """Scenario: the company adds a last stage "Lawyer's letter" after the
        escalation, without the escalation flag: "Escalate" still runs the stage
        flagged as escalation, from the worklist too. Once no stage is flagged,
        the last stage is the escalation stage. A customer with nothing overdue
        cannot be escalated."""
        lawyer_letter = self.Stage.create(
            {
                "name": "Lawyer's letter",
                "sequence": 100,
                "company_id": self.company.id,
                "date_reference": "due_date",
                "offset_days": 90,
                "auto_execute": False,
                "send_letter": True,
            }
        )
        Partner = self.env["res.partner"]
        self.assertEqual(
            Partner._followup_escalation_stage(self.company), self.stage_escalation
        )
        move = self._invoice(partner=self.customer_b, days_late=10)
        self.env.flush_all()
        row = self.env["invoice.followup.worklist"].search(
            [("partner_id", "=", self.customer_b.id)]
        )
        row.with_user(self.billing).action_escalate()
        self.assertEqual(self._logs(self.customer_b).stage_id, self.stage_escalation)
        self.assertEqual(move.followup_stage_id, self.stage_escalation)
        self.stage_escalation.escalate = False
        self.assertEqual(
            Partner._followup_escalation_stage(self.company), lawyer_letter
        )
        self._invoice(invoice_date=TODAY)
        with self.assertRaisesRegex(UserError, "no overdue invoice"):
            self.customer.action_followup_escalate()
