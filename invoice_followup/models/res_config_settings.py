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

    def action_followup_open_stages(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "invoice_followup.invoice_followup_stage_action"
        )
