# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models

# failures that say the customer's address is wrong (not our mail server or
# sender address): they count as failed deliveries of the customer
CONTACT_FAILURES = {"mail_email_invalid", "mail_email_missing"}


class MailMail(models.Model):
    """A follow-up step's mail that Odoo's mail queue could not send (mail
    server down, invalid address, ...): the step's email failed. Read where
    Odoo records the outcome of a sending, not on the notifications (the queue
    marks them "exception" for a moment while it sends, as a lock)."""

    _inherit = "mail.mail"

    def _postprocess_sent_message(
        self, success_pids, failure_reason=False, failure_type=None
    ):
        failed = self.env["mail.message"]
        if failure_type:
            sent_to = {getattr(partner, "id", partner) for partner in success_pids}
            # before super(): a failed mail may be deleted there
            failed = self.filtered(
                lambda mail: mail.is_notification
                and set(mail.recipient_ids.ids) - sent_to
            ).mail_message_id
        result = super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )
        if failed:
            steps = (
                self.env["invoice.followup.log"]
                .sudo()
                .search([("mail_message_id", "in", failed.ids)])
            )
            if steps:
                label = dict(
                    self._fields["failure_type"]._description_selection(self.env)
                ).get(failure_type, failure_type)
                steps._followup_channel_failed(
                    "email",
                    self.env._(
                        "Not sent: %(reason)s",
                        reason=failure_reason
                        if failure_type == "unknown" and failure_reason
                        else label,
                    ),
                    contact=failure_type in CONTACT_FAILURES,
                )
        return result
