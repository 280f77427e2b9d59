# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .invoice_followup_sms_provider import SMS_PROVIDERS

# failures that say the customer's number is wrong (not our SMS account)
IAP_CONTACT_FAILURES = {
    "sms_number_missing",
    "sms_number_format",
    "sms_expired",
    "sms_invalid_destination",
    "sms_not_allowed",
    "sms_not_delivered",
    "sms_rejected",
}


class SmsSms(models.Model):
    _inherit = "sms.sms"

    followup_log_id = fields.Many2one(
        "invoice.followup.log",
        "Follow-up Step",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        copy=False,
    )
    followup_company_id = fields.Many2one(
        "res.company", "Sent for Company", readonly=True, copy=False
    )
    followup_provider = fields.Selection(
        SMS_PROVIDERS, "Sent Through", readonly=True, copy=False
    )
    followup_provider_ref = fields.Char(
        "Provider Message ID", readonly=True, copy=False, index="btree_not_null"
    )
    followup_provider_error = fields.Char("Provider Error", readonly=True, copy=False)

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        """Each company's SMS go through its provider; Odoo IAP (the default)
        sends the others as before. An SMS belongs to the company of its
        follow-up step, else of the document it was posted on, else the current
        company."""
        through_iap = self.browse()
        by_company = self.grouped(
            lambda sms: sms.followup_log_id.company_id
            or sms.mail_message_id.record_company_id
            or self.env.company
        )
        for company, batch in by_company.items():
            if company.followup_sms_provider in (False, "iap"):
                through_iap |= batch
            else:
                batch._followup_send_provider(company, unlink_failed)
        if through_iap:
            return super(SmsSms, through_iap)._send(
                unlink_failed=unlink_failed,
                unlink_sent=unlink_sent,
                raise_exception=raise_exception,
            )
        return None

    def _followup_send_provider(self, company, unlink_failed):
        """Send through ``company``'s provider the SMS still in the queue that no
        other worker is sending now; an SMS the provider already accepted is
        never sent again."""
        self.flush_model(["state"])
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM sms_sms WHERE id IN %s AND state = 'outgoing' "
                "FOR UPDATE SKIP LOCKED",
                tuple(self.ids),
            )
        )
        todo = self.browse([row[0] for row in rows]).sudo()
        gateway = self.env["invoice.followup.sms.provider"]
        provider = company.followup_sms_provider
        for sms in todo:
            if sms.followup_provider_ref:
                result = {"ref": sms.followup_provider_ref, "state": "pending"}
            elif number := gateway._e164(sms, company):
                result = gateway._send(company, sms, number)
            else:
                result = {
                    "failure_type": "sms_number_format",
                    "error": self.env._(
                        "Invalid phone number: %(number)s", number=sms.number or ""
                    ),
                }
            values = {"followup_provider": provider, "followup_company_id": company.id}
            if result.get("ref"):
                sms.write(
                    {
                        **values,
                        "state": result["state"],
                        "failure_type": False,
                        "followup_provider_ref": result["ref"],
                        "followup_provider_error": False,
                        # kept until the provider's delivery report (a sent SMS
                        # is garbage-collected daily, its report comes later)
                        "to_delete": False,
                    }
                )
                sms.sms_tracker_id._action_update_from_sms_state(result["state"])
            else:
                sms.write(
                    {
                        **values,
                        "state": "error",
                        "failure_type": result["failure_type"],
                        "followup_provider_error": result["error"],
                        "to_delete": unlink_failed,
                    }
                )
                sms.sms_tracker_id._action_update_from_sms_state(
                    "error",
                    failure_type=result["failure_type"],
                    failure_reason=result["error"],
                )
                sms._followup_step_failed(result["error"])
        todo.mail_message_id._notify_message_notification_update()

    def _followup_step_failed(self, reason):
        """The follow-up step of this SMS records the SMS as failed."""
        self.followup_log_id._followup_channel_failed("sms", reason)

    def _followup_apply_report(self, state, error=False):
        """A provider's delivery report: ``state`` "pending" (handed to the
        network), "sent" (delivered) or "error" (not delivered, ``error`` says
        why). Final states stay: reports may arrive in any order."""
        for sms in self.filtered(
            lambda s: s.state in ("outgoing", "process", "pending")
        ):
            if state == "error":
                reason = error or self.env._("Not delivered.")
                # kept (not garbage-collected) for the administrator to review
                sms.write(
                    {
                        "state": "error",
                        "failure_type": "unknown",
                        "followup_provider_error": reason,
                        "to_delete": False,
                    }
                )
                sms.sms_tracker_id._action_update_from_provider_error("not_delivered")
                sms._followup_step_failed(reason)
            else:
                sms.write(
                    {
                        "state": state,
                        "failure_type": False,
                        # delivered: nothing more will come about it
                        "to_delete": state == "sent",
                    }
                )
                sms.sms_tracker_id._action_update_from_sms_state(state)
                if state == "sent":
                    sms.followup_log_id.filtered(
                        lambda step: step.sms_state == "sent"
                    )._followup_set(
                        {
                            "sms_info": self.env._(
                                "Delivered to %(number)s", number=sms.number
                            )
                        }
                    )
        self.mail_message_id._notify_message_notification_update()

    @api.autovacuum
    def _gc_followup_unreported(self):
        """SMS a provider accepted but never reported on within 30 days: left to
        Odoo's garbage collection, as it does for sent SMS."""
        self.search(
            [
                ("followup_provider_ref", "!=", False),
                ("state", "=", "pending"),
                ("to_delete", "=", False),
                ("create_date", "<", fields.Datetime.now() - timedelta(days=30)),
            ]
        ).to_delete = True

    # What became of a follow-up step's SMS sent through Odoo IAP: the steps'
    # SMS are mass SMS, without notification or tracker, so IAP's outcome
    # (sms.sms._send writes it) is read on the SMS itself. The providers above
    # report their failures themselves; a delivered SMS, from any of them, ends
    # the customer's failed deliveries in a row.
    def write(self, vals):
        result = super().write(vals)
        if vals.get("state") == "error":
            self._followup_iap_failed()
        elif vals.get("state") == "sent":
            self.followup_log_id._followup_channel_delivered("sms")
        return result

    def _followup_iap_failed(self):
        failures = dict(self._fields["failure_type"]._description_selection(self.env))
        for sms in self.filtered(
            lambda s: s.followup_log_id and not s.followup_provider
        ):
            sms.followup_log_id._followup_channel_failed(
                "sms",
                self.env._(
                    "Not sent: %(reason)s",
                    reason=failures.get(sms.failure_type) or sms.failure_type or "",
                ),
                contact=sms.failure_type in IAP_CONTACT_FAILURES,
            )
