# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, FollowupCommon


@tagged("post_install", "-at_install")
class TestFollowupSchedule(FollowupCommon):
    """The schedule of one invoice: next stage and date, pauses, payments."""

    def test_new_invoice_waits_for_receipt_check(self):
        """Scenario: an invoice is posted today with 30 days to pay. Its next
        step is the receipt check two days later; a draft has no follow-up."""
        with freeze_time(TODAY):
            move = self._invoice(term=self.term_30)
            self.assertEqual(move.followup_state, "planned")
            self.assertEqual(move.followup_date_due, TODAY + timedelta(days=30))
            self.assertEqual(move.followup_next_stage_id, self.stage_receipt)
            self.assertEqual(move.followup_next_date, TODAY + timedelta(days=2))
            draft = self._invoice(post=False)
            self.assertEqual(draft.followup_state, "none")
            self.assertFalse(draft.followup_next_date)

    def test_payment_closes_the_loop(self):
        """Scenario: an overdue invoice is partly paid (stays in follow-up with a
        lower amount), then paid in full: it leaves the follow-up by itself."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=10)
            self._pay(move, amount=400.0)
            self.assertEqual(move.payment_state, "partial")
            self.assertEqual(move.followup_state, "planned")
            self._pay(move)
            self.assertIn(move.payment_state, ("paid", "in_payment"))
            self.assertEqual(move.followup_state, "done")
            self.assertFalse(move.followup_next_date)
            self._run()
            self.assertFalse(self._logs())

    def test_first_instalment_counts(self):
        """Scenario: 30% due at the invoice date, 70% in 60 days. Twenty days
        later the first instalment is overdue although the invoice's own due
        date is still ahead; once that instalment is paid, the second one counts."""
        invoice_date = TODAY - timedelta(days=20)
        with freeze_time(TODAY):
            move = self._invoice(invoice_date=invoice_date, term=self.term_split)
            self.assertGreater(move.invoice_date_due, TODAY)
            self.assertEqual(move.followup_date_due, invoice_date)
            self._run()
            self.assertEqual(self._logs().stage_id, self.stage_second)
            self._pay(move, amount=300.0)
            self.assertEqual(move.followup_date_due, invoice_date + timedelta(days=60))

    def test_reversed_invoice_leaves_follow_up(self):
        """Scenario: an overdue invoice is fully reversed by a credit note: no more
        follow-up."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=10)
            wizard = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=move.ids)
                .create({"journal_id": move.journal_id.id, "reason": "wrong price"})
            )
            wizard.refund_moves()
            refund = self.env["account.move"].search(
                [("reversed_entry_id", "=", move.id)]
            )
            # posting a full reversal reconciles it with the invoice
            refund.action_post()
            self.assertEqual(move.payment_state, "reversed")
            self.assertEqual(move.followup_state, "done")

    def test_pause_until_date_then_resume(self):
        """Scenario: the customer promises to pay within five days: follow-up
        pauses. The date passes unpaid: the next run records the broken promise
        and sends the due reminder."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=5)
            wizard = (
                self.env["invoice.followup.pause.wizard"]
                .with_context(active_model="account.move", active_ids=move.ids)
                .create({"reason": "promise", "date_until": TODAY + timedelta(days=5)})
            )
            wizard.action_apply()
            self.assertEqual(move.followup_state, "paused")
            self._run()
            self.assertFalse(self._logs())
        with freeze_time(TODAY + timedelta(days=6)):
            self._run()
            self.assertFalse(move.followup_pause_reason)
            self.assertEqual(self._logs().stage_id, self.stage_first)
            self.assertTrue(move.followup_promise_broken)
            broken = move.message_ids.filtered(
                lambda m: "did not keep the promise to pay" in (m.body or "")
            )
            self.assertEqual(len(broken), 1)

    def test_excluded_customer_left_alone(self):
        """Scenario: an excluded customer and another customer each have an
        invoice 5 days late. The same run reminds the other customer (a mail
        found by the same search) and leaves the excluded one alone."""
        self.customer.followup_excluded = True
        with freeze_time(TODAY):
            move = self._invoice(days_late=5)
            other = self._invoice(partner=self.customer_b, days_late=5)
            self.assertEqual(move.followup_state, "paused")
            self.assertEqual(other.followup_state, "planned")
            self._run()
            self.assertFalse(self._logs())
            self.assertFalse(
                self.env["mail.mail"].search(
                    [("recipient_ids", "in", self.customer.ids)]
                )
            )
            self.assertEqual(self._logs(self.customer_b).stage_id, self.stage_first)
            self.assertEqual(
                len(
                    self.env["mail.mail"].search(
                        [("recipient_ids", "in", self.customer_b.ids)]
                    )
                ),
                1,
            )
            self.assertFalse(move.followup_stage_id)
