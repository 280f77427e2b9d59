# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


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

    payment_plan_max_instalments = fields.Integer(related="company_id.payment_plan_max_instalments", readonly=False)
    payment_plan_max_months = fields.Integer(related="company_id.payment_plan_max_months", readonly=False)
    payment_plan_min_instalment = fields.Monetary(related="company_id.payment_plan_min_instalment", readonly=False)
    payment_plan_max_risk = fields.Selection(related="company_id.payment_plan_max_risk", readonly=False)
    payment_plan_max_amount = fields.Monetary(related="company_id.payment_plan_max_amount", readonly=False)
    payment_plan_grace_days = fields.Integer(related="company_id.payment_plan_grace_days", readonly=False)
    payment_plan_reminder_days = fields.Integer(related="company_id.payment_plan_reminder_days", readonly=False)
    payment_plan_broken_stage_id = fields.Many2one(related="company_id.payment_plan_broken_stage_id", readonly=False)

    def action_open_followup_stages(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "invoice_followup.invoice_followup_stage_action"
        )
