# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from ..tools.sms_segments import sms_segments


class InvoiceFollowupPreviewWizard(models.TransientModel):
    """Show the mail and SMS the customer would receive now, in the customer's
    language, without sending anything."""

    _name = "invoice.followup.preview.wizard"
    _description = "Preview Follow-up"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True
    )
    stage_id = fields.Many2one("invoice.followup.stage", readonly=True)
    subject = fields.Char(readonly=True)
    body_html = fields.Html("Email", readonly=True, sanitize=False)
    sms_body = fields.Text("SMS", readonly=True)
    sms_segment_info = fields.Char("SMS Length", compute="_compute_sms_segment_info")
    lang = fields.Char(readonly=True)
    fee_info = fields.Char("Late-payment Fee", readonly=True)

    @api.depends("sms_body")
    def _compute_sms_segment_info(self):
        for wizard in self:
            info = sms_segments(wizard.sms_body or "")
            wizard.sms_segment_info = self.env._(
                "%(length)s characters, %(segments)s SMS (%(encoding)s)",
                length=info["length"],
                segments=info["segments"],
                encoding="GSM-7" if info["encoding"] == "gsm7" else "Unicode",
            )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        partner = self.env["res.partner"].browse(values.get("partner_id"))
        if partner:
            values.update(self._render_preview(partner))
        return values

    @api.model
    def _render_preview(self, partner):
        """The step "Send now" would make (planned by the run itself), rendered,
        then deleted: nothing is sent."""
        step = self.env["invoice.followup.run"]._preview(partner, self.env.company)
        stage = step.stage_id
        values = {"stage_id": stage.id, "lang": step.recipient_id.lang or partner.lang}
        fees = self.env["invoice.followup.charge"]._fee_plan(step)
        if fees:
            values["fee_info"] = self.env._(
                "Sending it invoices a late-payment fee of %(amounts)s.",
                amounts=", ".join(
                    currency.format(amount) for currency, _m, amount in fees
                ),
            )
        if stage.mail_template_id:
            rendered = stage.mail_template_id._generate_template(
                step.ids, ("subject", "body_html")
            )[step.id]
            values.update(
                subject=rendered.get("subject"), body_html=rendered.get("body_html")
            )
        if stage.sms_template_id:
            values["sms_body"] = stage.sms_template_id._render_field(
                "body", step.ids, compute_lang=True
            )[step.id]
        # a billing user may create steps but not delete them: this one was never real
        step.sudo().unlink()
        return values
