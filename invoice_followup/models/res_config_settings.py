# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.uploads import DEFAULT_MAX_MB
from .invoice_followup_portal_mixin import DEFAULT_ANSWERS_PER_DAY


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    followup_auto = fields.Boolean(related="company_id.followup_auto", readonly=False)
    followup_responsible_id = fields.Many2one(
        related="company_id.followup_responsible_id", readonly=False
    )
    followup_escalation_user_id = fields.Many2one(
        related="company_id.followup_escalation_user_id", readonly=False
    )
    followup_letter_fallback = fields.Boolean(
        related="company_id.followup_letter_fallback", readonly=False
    )
    followup_invoice_notes = fields.Boolean(
        related="company_id.followup_invoice_notes", readonly=False
    )
    followup_weekday_ids = fields.Many2many(
        related="company_id.followup_weekday_ids", readonly=False
    )
    followup_max_per_week = fields.Integer(
        related="company_id.followup_max_per_week", readonly=False
    )

    followup_fees = fields.Boolean(related="company_id.followup_fees", readonly=False)
    followup_fee_product_id = fields.Many2one(
        related="company_id.followup_fee_product_id", readonly=False
    )
    followup_interest_regime_id = fields.Many2one(
        related="company_id.followup_interest_regime_id", readonly=False
    )
    followup_interest_product_id = fields.Many2one(
        related="company_id.followup_interest_product_id", readonly=False
    )
    followup_interest_rate_outdated = fields.Boolean(
        related="company_id.followup_interest_regime_id.rate_outdated"
    )

    followup_max_promise_days = fields.Integer(
        related="company_id.followup_max_promise_days", readonly=False
    )

    payment_plan_max_instalments = fields.Integer(
        related="company_id.payment_plan_max_instalments", readonly=False
    )
    payment_plan_max_months = fields.Integer(
        related="company_id.payment_plan_max_months", readonly=False
    )
    payment_plan_min_instalment = fields.Monetary(
        related="company_id.payment_plan_min_instalment", readonly=False
    )
    followup_default_risk = fields.Selection(
        related="company_id.followup_default_risk", readonly=False
    )
    payment_plan_max_risk = fields.Selection(
        related="company_id.payment_plan_max_risk", readonly=False
    )
    payment_plan_max_amount = fields.Monetary(
        related="company_id.payment_plan_max_amount", readonly=False
    )
    payment_plan_grace_days = fields.Integer(
        related="company_id.payment_plan_grace_days", readonly=False
    )
    payment_plan_reminder_days = fields.Integer(
        related="company_id.payment_plan_reminder_days", readonly=False
    )
    payment_plan_broken_stage_id = fields.Many2one(
        related="company_id.payment_plan_broken_stage_id", readonly=False
    )
    followup_payment_policy = fields.Html(
        related="company_id.followup_payment_policy", readonly=False
    )

    # SMS through the company's own provider (models/invoice_followup_sms_provider.py)
    followup_sms_provider = fields.Selection(
        related="company_id.followup_sms_provider", readonly=False
    )
    followup_sms_twilio_account_sid = fields.Char(
        related="company_id.followup_sms_twilio_account_sid",
        readonly=False,
        groups="base.group_system",
    )
    followup_sms_twilio_auth_token = fields.Char(
        related="company_id.followup_sms_twilio_auth_token",
        readonly=False,
        groups="base.group_system",
    )
    followup_sms_twilio_sender = fields.Char(
        related="company_id.followup_sms_twilio_sender",
        readonly=False,
        groups="base.group_system",
    )
    followup_sms_unifonic_app_sid = fields.Char(
        related="company_id.followup_sms_unifonic_app_sid",
        readonly=False,
        groups="base.group_system",
    )
    followup_sms_unifonic_sender = fields.Char(
        related="company_id.followup_sms_unifonic_sender",
        readonly=False,
        groups="base.group_system",
    )
    followup_sms_report_url = fields.Char(
        "Delivery Report URL",
        compute="_compute_followup_sms_report_url",
        groups="base.group_system",
        help="Set it as the DLR webhook of your Unifonic account.",
    )
    followup_sms_test_number = fields.Char(
        "Test Number", help="Mobile number that receives the test SMS."
    )

    # WhatsApp Business Cloud API (models/invoice_followup_whatsapp.py)
    followup_whatsapp_enabled = fields.Boolean(
        related="company_id.followup_whatsapp_enabled", readonly=False
    )
    followup_whatsapp_phone_number_id = fields.Char(
        related="company_id.followup_whatsapp_phone_number_id",
        readonly=False,
        groups="base.group_system",
    )
    followup_whatsapp_account_id = fields.Char(
        related="company_id.followup_whatsapp_account_id",
        readonly=False,
        groups="base.group_system",
    )
    followup_whatsapp_token = fields.Char(
        related="company_id.followup_whatsapp_token",
        readonly=False,
        groups="base.group_system",
    )
    followup_whatsapp_app_secret = fields.Char(
        related="company_id.followup_whatsapp_app_secret",
        readonly=False,
        groups="base.group_system",
    )
    followup_whatsapp_verify_token = fields.Char(
        related="company_id.followup_whatsapp_verify_token",
        readonly=False,
        groups="base.group_system",
    )
    followup_whatsapp_webhook_url = fields.Char(
        "Webhook URL",
        compute="_compute_followup_whatsapp_webhook_url",
        groups="base.group_system",
        help="Set it as the callback URL of your Meta app's WhatsApp webhook, "
        "subscribed to the messages field.",
    )
    followup_whatsapp_test_number = fields.Char(
        "WhatsApp Test Number",
        help="Mobile number that receives the test message (Meta's hello_world "
        "template).",
    )

    # System parameters (ir.config_parameter, for all companies); 0 or empty
    # means the default
    invoice_followup_batch_size = fields.Integer(
        "Customers per Batch",
        config_parameter="invoice_followup.batch_size",
        default=500,
        help="The daily run handles this many customers at a time; in the scheduled "
        "action, each batch "
        "commits on its own.",
    )
    invoice_followup_lock_wait_seconds = fields.Integer(
        "Wait for Another Run (seconds)",
        config_parameter="invoice_followup.lock_wait_seconds",
        default=60,
        help="How long a run waits for a customer that another run is following up "
        "at the same moment; "
        "past it, the customer is left to a later run.",
    )
    invoice_followup_portal_answers_per_day = fields.Integer(
        "Portal Answers per Link and Day",
        config_parameter="invoice_followup.portal_answers_per_day",
        default=DEFAULT_ANSWERS_PER_DAY,
        help="Answers a customer can send through one link (an invoice, a statement) "
        "in a day.",
    )
    invoice_followup_upload_max_mb = fields.Float(
        "Attachment Size Limit (MB)",
        config_parameter="invoice_followup.upload_max_mb",
        default=DEFAULT_MAX_MB,
        help="The largest file a customer can attach to a question in the portal.",
    )

    @api.constrains(
        "invoice_followup_batch_size",
        "invoice_followup_lock_wait_seconds",
        "invoice_followup_portal_answers_per_day",
        "invoice_followup_upload_max_mb",
    )
    def _check_invoice_followup_parameters(self):
        for settings in self:
            if (
                min(
                    settings.invoice_followup_batch_size,
                    settings.invoice_followup_lock_wait_seconds,
                    settings.invoice_followup_portal_answers_per_day,
                    settings.invoice_followup_upload_max_mb,
                )
                < 0
            ):
                raise ValidationError(
                    self.env._("The follow-up limits cannot be negative.")
                )

    def action_followup_translate_payment_policy(self):
        """The company's payment policy in a form of its own, where Odoo's
        translation button writes it in each language of the customers."""
        self.ensure_one()
        if self.followup_payment_policy != self.company_id.followup_payment_policy:
            self.execute()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Payment Policy"),
            "res_model": "res.company",
            "res_id": self.company_id.id,
            "view_mode": "form",
            "views": [
                (
                    self.env.ref(
                        "invoice_followup.res_company_view_form_followup_policy"
                    ).id,
                    "form",
                )
            ],
            "target": "new",
        }

    def action_followup_open_stages(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "invoice_followup.invoice_followup_stage_action"
        )

    @api.depends("company_id", "followup_sms_provider")
    def _compute_followup_sms_report_url(self):
        gateway = self.env["invoice.followup.sms.provider"]
        for settings in self:
            settings.followup_sms_report_url = (
                gateway._status_url(settings.company_id, "unifonic")
                if settings.followup_sms_provider == "unifonic"
                else False
            )

    def action_followup_send_test_sms(self):
        """Send one SMS to the typed number through the company's provider."""
        self.ensure_one()
        return (
            self.env["invoice.followup.sms.provider"]
            .with_company(self.company_id)
            ._send_test_sms(self.followup_sms_test_number)
        )

    @api.depends("company_id")
    def _compute_followup_whatsapp_webhook_url(self):
        gateway = self.env["invoice.followup.whatsapp"]
        for settings in self:
            settings.followup_whatsapp_webhook_url = gateway._webhook_url(
                settings.company_id
            )

    def set_values(self):
        result = super().set_values()
        if self.followup_whatsapp_enabled:
            # the token WhatsApp's subscription check asks for, made once
            self.env["invoice.followup.whatsapp"]._verify_token(self.company_id)
        return result

    def action_followup_send_test_whatsapp(self):
        """Send Meta's hello_world template to the typed number."""
        self.ensure_one()
        return (
            self.env["invoice.followup.whatsapp"]
            .with_company(self.company_id)
            ._send_test_message(self.followup_whatsapp_test_number)
        )
