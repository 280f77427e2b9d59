# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from .invoice_followup_whatsapp_template import PARAMETER_VALUES


class InvoiceFollowupWhatsappTemplateParam(models.Model):
    """The value of one {{n}} of a WhatsApp template's text, n being its
    position in the list."""

    _name = "invoice.followup.whatsapp.template.param"
    _description = "Follow-up WhatsApp Template Parameter"
    _order = "template_id, sequence, id"

    template_id = fields.Many2one(
        "invoice.followup.whatsapp.template",
        required=True,
        ondelete="cascade",
        index=True,
    )
    sequence = fields.Integer(default=10)
    value = fields.Selection(PARAMETER_VALUES, required=True)
