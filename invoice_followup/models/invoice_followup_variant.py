# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A/B tests of a stage's wording, channels and send hour: a stage with two
variants or more sends each customer the variant it was given, at random and
for good (a hash of the stage, the customer and the experiment's variants, so
no table and no write; a new variant starts a new experiment).

The report compares each variant with the first (the control) on the steps it
sent that are 14 days old or more: the share of steps paid in full within 14
days (two-proportion z-test, 95 % confidence interval of the difference) and
the mean days to pay of the steps paid within 30 days. Below MIN_STEPS steps in
either variant it says "not enough data yet". Steps of one customer are not
independent: the test counts steps, the report shows customers too."""

import hashlib
import math
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

MIN_STEPS = 30
Z_95 = 1.959964


def two_proportions(success_a, n_a, success_b, n_b):
    """(difference b - a, its 95 % interval (low, high), two-sided p-value) of
    the shares success / n; None when a side is empty."""
    if not n_a or not n_b:
        return None
    p_a, p_b = success_a / n_a, success_b / n_b
    pooled = (success_a + success_b) / (n_a + n_b)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    se = math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    diff = p_b - p_a
    p_value = math.erfc(abs(diff / se_pooled) / math.sqrt(2)) if se_pooled else 1.0
    return diff, (diff - Z_95 * se, diff + Z_95 * se), p_value


class InvoiceFollowupVariant(models.Model):
    _name = "invoice.followup.variant"
    _description = "Follow-up Stage Variant"
    _order = "stage_id, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    stage_id = fields.Many2one(
        "invoice.followup.stage", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="stage_id.company_id", store=True)
    mail_template_id = fields.Many2one(
        "mail.template",
        "Email Template",
        domain=[("model", "=", "invoice.followup.log")],
        help="Empty: the stage's.",
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        "SMS Template",
        domain=[("model", "=", "invoice.followup.log")],
        help="Empty: the stage's.",
    )
    send_email = fields.Boolean(
        "Email", compute="_compute_channels", store=True, readonly=False
    )
    send_sms = fields.Boolean(
        "SMS", compute="_compute_channels", store=True, readonly=False
    )
    send_letter = fields.Boolean(
        "Letter", compute="_compute_channels", store=True, readonly=False
    )
    send_whatsapp = fields.Boolean(
        "WhatsApp", compute="_compute_channels", store=True, readonly=False
    )
    whatsapp_template_id = fields.Many2one(
        "invoice.followup.whatsapp.template",
        "WhatsApp Template",
        help="Empty: the stage's.",
    )
    send_hour = fields.Float(
        "Send at",
        help="Hour of the day the variant's emails leave (company's time zone), "
        "e.g. 9.5 for 09:30; 0: as soon as the run makes them.",
    )
    # the report
    step_count = fields.Integer("Steps", compute="_compute_report")
    customer_count = fields.Integer("Customers", compute="_compute_report")
    paid_14_rate = fields.Float(
        "Paid in 14 Days (%)",
        compute="_compute_report",
        digits=(16, 1),
        help="Share of the variant's steps (14 days old or more) whose claim was "
        "paid in full within 14 days.",
    )
    days_to_pay = fields.Float(
        "Mean Days to Pay",
        compute="_compute_report",
        digits=(16, 1),
        help="Over the steps paid in full within 30 days.",
    )
    difference = fields.Float(
        "Difference (points)",
        compute="_compute_report",
        digits=(16, 1),
        help="Paid in 14 days, this variant minus the first (the control).",
    )
    difference_low = fields.Float(
        "95 % CI from", compute="_compute_report", digits=(16, 1)
    )
    difference_high = fields.Float(
        "95 % CI to", compute="_compute_report", digits=(16, 1)
    )
    p_value = fields.Float("p-value", compute="_compute_report", digits=(16, 3))
    verdict = fields.Char(compute="_compute_report")

    @api.depends("stage_id")
    def _compute_channels(self):
        for variant in self:
            stage = variant.stage_id
            variant.send_email = stage.send_email
            variant.send_sms = stage.send_sms
            variant.send_letter = stage.send_letter
            variant.send_whatsapp = stage.send_whatsapp

    def _report_rows(self):
        """{variant id: (steps, customers, paid in 14 days, mean days to pay)}."""
        cutoff = fields.Date.context_today(self) - timedelta(days=14)
        self.env["invoice.followup.log"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT variant_id, count(*), count(DISTINCT partner_id),
                          count(*) FILTER (WHERE paid_14_share >= 0.9999),
                          avg(days_to_pay)
                     FROM invoice_followup_log
                    WHERE variant_id = ANY(%s) AND state = 'done' AND date <= %s
                    GROUP BY variant_id""",
                self.ids,
                cutoff,
            )
        )
        return {row[0]: row[1:] for row in rows}

    @api.depends("stage_id")
    def _compute_report(self):
        rows = self.filtered("id")._report_rows() if self.filtered("id") else {}
        controls = {}
        for stage in self.stage_id:
            first = stage.variant_ids.filtered("active")[:1]
            controls[stage.id] = first
        missing = self.browse(
            {c.id for c in controls.values() if c.id and c.id not in self.ids}
        )
        if missing:
            rows.update(missing._report_rows())
        for variant in self:
            steps, customers, paid, days = rows.get(variant.id, (0, 0, 0, None))
            control = controls.get(variant.stage_id.id)
            variant.step_count = steps
            variant.customer_count = customers
            variant.paid_14_rate = paid / steps * 100 if steps else 0.0
            variant.days_to_pay = days or 0.0
            variant.difference = variant.difference_low = 0.0
            variant.difference_high = variant.p_value = 0.0
            if control == variant:
                variant.verdict = self.env._("Control")
                continue
            c_steps, _c_customers, c_paid, _c_days = rows.get(
                control.id, (0, 0, 0, None)
            )
            if min(steps, c_steps) < MIN_STEPS:
                variant.verdict = self.env._(
                    "Not enough data yet (%(min)s steps each needed)", min=MIN_STEPS
                )
                continue
            diff, (low, high), p_value = two_proportions(c_paid, c_steps, paid, steps)
            variant.difference = diff * 100
            variant.difference_low = low * 100
            variant.difference_high = high * 100
            variant.p_value = p_value
            if p_value < 0.05:
                variant.verdict = (
                    self.env._("Better than the control (significant)")
                    if diff > 0
                    else self.env._("Worse than the control (significant)")
                )
            else:
                variant.verdict = self.env._("No significant difference yet")

    @api.model
    def _pick(self, stage, partner):
        """The variant of ``stage`` that ``partner`` gets (empty without
        variants): always the same while the stage's variants stay the same."""
        variants = stage.variant_ids.filtered("active").sorted("id")
        if len(variants) < 2:
            return variants
        members = ",".join(str(i) for i in variants.ids)
        key = f"{stage.id}:{partner.commercial_partner_id.id}:{members}"
        digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
        return variants[digest % len(variants)]

    def action_make_only_variant(self):
        """The winner: the stage's only variant from now on (the others are
        archived, their figures kept on their steps)."""
        self.ensure_one()
        if not self.active:
            raise UserError(self.env._("This variant is archived."))
        (self.stage_id.variant_ids - self).action_archive()
        return True
