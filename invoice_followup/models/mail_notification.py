# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class MailNotification(models.Model):
    """Odoo's bounce handling (mail.thread._routing_handle_bounce) marks the
    notifications of the returned mail "bounce": the follow-up steps whose mail
    it is hear of it here, for all the notifications of one write at once.
    (Mails Odoo could not send: models/mail_mail.py; the steps' SMS:
    models/sms_sms.py.)"""

    _inherit = "mail.notification"

    def write(self, vals):
        result = super().write(vals)
        if vals.get("notification_status") == "bounce":
            self._followup_bounced()
        return result

    def _followup_bounced(self):
        notifications = self.filtered(lambda n: n.notification_type == "email")
        if not notifications:
            return
        steps_of = (
            self.env["invoice.followup.log"]
            .sudo()
            .search([("mail_message_id", "in", notifications.mail_message_id.ids)])
            .grouped(lambda step: step.mail_message_id.id)
        )
        for notification in notifications:
            if steps := steps_of.get(notification.mail_message_id.id):
                steps._followup_channel_failed(
                    "email",
                    self.env._(
                        "Bounced: %(address)s",
                        address=notification.res_partner_id.email or "",
                    ),
                )
