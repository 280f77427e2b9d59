# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""How a reminder reaches the customer, beyond Odoo's own fields: its failed
deliveries in a row (models/invoice_followup_fallback.py counts them; the
worklist's "Contact details failing"), and its WhatsApp consent: WhatsApp
requires the customer's opt-in before a business writes to it, so reminders by
WhatsApp are off until the customer (portal) or an accountant (backend) turns
them on; each change is recorded (when, how) and logged in the customer's
chatter."""

from odoo import api, fields, models

from .invoice_followup_fallback import FAILING_AFTER

CONTACT_FIELDS = {"email", "mobile", "phone"}
CONSENT_SOURCES = [("portal", "Customer portal"), ("backend", "Backend")]


class ResPartner(models.Model):
    _inherit = "res.partner"

    followup_failure_count = fields.Integer(
        "Failed Deliveries in a Row",
        readonly=True,
        copy=False,
        help="Follow-up messages to this customer that bounced or were not "
        "delivered since the last one delivered or the last change of its email "
        "address or mobile number.",
    )
    followup_failure_info = fields.Text(
        "Failed Deliveries", readonly=True, copy=False, help="Newest first."
    )
    followup_contact_failing = fields.Boolean(
        "Contact Details Failing",
        compute="_compute_followup_contact_failing",
        search="_search_followup_contact_failing",
    )

    def _compute_followup_contact_failing(self):
        for partner in self:
            partner.followup_contact_failing = (
                partner.commercial_partner_id.followup_failure_count >= FAILING_AFTER
            )

    def _search_followup_contact_failing(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return NotImplemented
        failing = ("followup_failure_count", ">=", FAILING_AFTER)
        return [failing] if (operator == "=") == value else ["!", failing]

    # WhatsApp consent
    followup_use_whatsapp = fields.Boolean(
        "Reminders by WhatsApp",
        default=False,
        help="The customer agreed to receive reminders on WhatsApp. Never sent "
        "without it.",
    )
    followup_whatsapp_optin_date = fields.Datetime(
        "WhatsApp Opt-in On", readonly=True, copy=False
    )
    followup_whatsapp_optout_date = fields.Datetime(
        "WhatsApp Opt-out On", readonly=True, copy=False
    )
    followup_whatsapp_consent_source = fields.Selection(
        CONSENT_SOURCES,
        "WhatsApp Consent Given In",
        readonly=True,
        copy=False,
        help="Where the customer's last WhatsApp opt-in or opt-out was recorded.",
    )
    followup_whatsapp_number = fields.Char(
        "WhatsApp Number",
        help="Empty: the follow-up contact's mobile, else its phone.",
    )
    followup_whatsapp_offered = fields.Boolean(
        compute="_compute_followup_whatsapp_offered",
        help="A company sends reminders by WhatsApp: the portal offers the opt-in.",
    )

    def _compute_followup_whatsapp_offered(self):
        offered = bool(
            self.env["res.company"]
            .sudo()
            .search_count([("followup_whatsapp_enabled", "=", True)], limit=1)
        )
        for partner in self:
            partner.followup_whatsapp_offered = offered

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        source = self.env.context.get("followup_whatsapp_source", "backend")
        for vals in vals_list:
            if vals.get("followup_use_whatsapp"):
                vals.setdefault("followup_whatsapp_optin_date", now)
                vals.setdefault("followup_whatsapp_consent_source", source)
        return super().create(vals_list)

    def write(self, vals):
        wanted = bool(vals.get("followup_use_whatsapp"))
        changed = (
            self.filtered(lambda p: p.followup_use_whatsapp != wanted)
            if "followup_use_whatsapp" in vals
            else self.browse()
        )
        result = super().write(vals)
        if changed:
            changed._followup_whatsapp_record_consent(wanted)
        if CONTACT_FIELDS & set(vals):
            # new contact details: their failures start again from zero
            self.commercial_partner_id.sudo().filtered("followup_failure_count").write(
                {"followup_failure_count": 0, "followup_failure_info": False}
            )
        return result

    def _followup_whatsapp_record_consent(self, wanted):
        """Record the opt-in (``wanted``) or opt-out of these customers: when,
        where (context key followup_whatsapp_source: "portal", else
        "backend"), and a note in their chatter."""
        source = self.env.context.get("followup_whatsapp_source", "backend")
        date_field = (
            "followup_whatsapp_optin_date"
            if wanted
            else "followup_whatsapp_optout_date"
        )
        self.write(
            {
                date_field: fields.Datetime.now(),
                "followup_whatsapp_consent_source": source,
            }
        )
        where = dict(
            self._fields["followup_whatsapp_consent_source"]._description_selection(
                self.env
            )
        )[source]
        body = (
            self.env._("Opted in to reminders by WhatsApp (%(where)s).", where=where)
            if wanted
            else self.env._(
                "Opted out of reminders by WhatsApp (%(where)s).", where=where
            )
        )
        self._message_log_batch(dict.fromkeys(self.ids, body))

    def _followup_whatsapp_e164(self, recipient=None):
        """The customer's WhatsApp number in E.164, or False: its WhatsApp
        number, else ``recipient``'s (the follow-up contact) mobile or phone,
        else its own."""
        self.ensure_one()
        recipient = recipient or self
        number = (
            self.followup_whatsapp_number
            or recipient.mobile
            or recipient.phone
            or self.mobile
            or self.phone
        )
        if not number:
            return False
        return self._phone_format(
            number=number,
            country=recipient.country_id
            or self.country_id
            or self.env.company.country_id,
            force_format="E164",
        )

    def _followup_set_preferences(self, *args, use_whatsapp=None, **kwargs):
        """The portal's preferences, with the WhatsApp opt-in when the form
        offered it (``use_whatsapp`` not None)."""
        result = super()._followup_set_preferences(*args, **kwargs)
        if use_whatsapp is not None:
            self.commercial_partner_id.with_context(
                followup_whatsapp_source="portal"
            ).write({"followup_use_whatsapp": bool(use_whatsapp)})
        return result
