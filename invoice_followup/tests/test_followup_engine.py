# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from freezegun import freeze_time
from markupsafe import escape

from odoo.tests import HttpCase, tagged

from .common import TODAY, FollowupCommon


@tagged("post_install", "-at_install")
class TestFollowupEngine(FollowupCommon):
    """The daily run's bookkeeping: schedule refreshes, invoice links, stage writes."""

    def test_stage_changes_refresh_follow_up_state(self):
        """Scenario: open invoices exist when the stages change, as when the addon
        is installed on a database that already has open invoices (its stages
        come after them). Without any stage an invoice has nothing left to do;
        with the stages back it is planned again and the run follows it up."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=5)
            self.assertEqual(move.followup_state, "planned")
            self.stages.active = False
            self.assertFalse(move.followup_next_stage_id)
            self.assertEqual(move.followup_state, "done")
            self.stages.active = True
            # five days late: the next stage is the one the run sends today (the
            # receipt check is past: the run catches up with the first reminder)
            self.assertEqual(move.followup_next_stage_id, self.stage_first)
            self.assertEqual(move.followup_state, "planned")
            self._run()
            self.assertEqual(self._logs().stage_id, self.stage_first)
            self.assertEqual(move.followup_stage_id, self.stage_first)

    def test_reminder_links_every_invoice_with_its_own_token(self):
        """Scenario: a customer has three open invoices never shared before, one
        due in two days, two overdue. The reminder links each of them to its
        portal page with a token of its own, and each invoice advances to the
        stage due for it."""
        with freeze_time(TODAY):
            first = self._invoice(days_late=-2)
            second = self._invoice(days_late=5)
            third = self._invoice(days_late=20)
            moves = first | second | third
            self.assertFalse(any(moves.mapped("access_token")))
            self._run()
        tokens = moves.mapped("access_token")
        self.assertTrue(all(tokens))
        self.assertEqual(len(set(tokens)), 3)
        mail = self.env["mail.mail"].search(
            [("recipient_ids", "in", self.customer.ids)]
        )
        self.assertEqual(len(mail), 1)
        for move in moves:
            self.assertIn(str(escape(move.get_portal_url())), mail.body_html)
        self.assertEqual(self._logs().stage_id, self.stage_second)
        self.assertEqual(self._logs().move_ids, moves)
        self.assertEqual(
            [m.followup_stage_id for m in moves],
            [self.stage_friendly, self.stage_first, self.stage_second],
        )
        self.assertEqual(set(moves.mapped("followup_last_date")), {TODAY})


@tagged("post_install", "-at_install")
class TestFollowupNextStage(FollowupCommon, HttpCase):
    """HttpCase: the final notice renders its letter and the invoices' PDFs
    (wkhtmltopdf fetches the assets from the HTTP server)."""

    def test_next_stage_is_what_the_run_sends_before_any_run(self):
        """Scenario: a fresh database (the run has not run yet) with a customer
        120 days late and another invoice just issued. The invoice, the
        customer's Follow-up tab and the worklist all show the final notice as
        the next stage (the run catches up to the most advanced automatic stage
        due), not "Invoice received?"; the run then sends exactly that, and
        the escalation (manual) becomes the next stage, waiting for an
        accountant."""
        with freeze_time(TODAY):
            late = self._invoice(days_late=120)
            fresh = self._invoice(invoice_date=TODAY, term=self.term_30)
            self.assertEqual(late.followup_next_stage_id, self.stage_final)
            self.assertEqual(fresh.followup_next_stage_id, self.stage_receipt)
            self.assertEqual(self.customer.followup_next_stage_id, self.stage_final)
            self.env.flush_all()
            row = self.env["invoice.followup.worklist"].search(
                [("partner_id", "=", self.customer.id)]
            )
            self.assertEqual(row.next_stage_id, self.stage_final)
            self._run()
            self.assertEqual(self._logs().stage_id, self.stage_final)
            self.assertEqual(late.followup_next_stage_id, self.stage_escalation)
