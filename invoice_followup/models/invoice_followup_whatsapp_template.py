# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The WhatsApp message templates a follow-up stage sends. WhatsApp only
delivers business-initiated messages from templates Meta approved: each record
names one (its name and language code in WhatsApp Manager), copies its approved
text for the preview, and says which follow-up value fills each {{n}} and the
URL button. A template "family" is one Meta name: the stage points to one
record of it, each customer gets the record in its language."""

import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .invoice_followup_whatsapp import whatsapp_languages

PARAMETER_VALUES = [
    ("partner_name", "Customer name"),
    ("company_name", "Company name"),
    ("amount_due", "Amount due with currency"),
    ("invoice_count", "Number of invoices"),
    ("oldest_due_date", "Oldest due date"),
    ("statement_url", "Statement link"),
]
BUTTON_VALUES = [
    ("statement_path", "Statement link (the path after your website's address)"),
]


class InvoiceFollowupWhatsappTemplate(models.Model):
    _name = "invoice.followup.whatsapp.template"
    _description = "Follow-up WhatsApp Template"
    _order = "template_name, sequence, lang_code, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Empty: the template of every company (same name in each one's "
        "WhatsApp Business Account).",
    )
    template_name = fields.Char(
        "WhatsApp Template Name",
        required=True,
        help="The template's name in WhatsApp Manager: lowercase letters, digits "
        "and underscores.",
    )
    lang_code = fields.Char(
        "WhatsApp Language",
        required=True,
        default="en",
        help="The language code of the approved translation in WhatsApp Manager "
        "(en, en_US, ar, fr ...). A customer gets the translation of its language "
        "(Arabic ar_001: ar), else the company's, else English.",
    )
    body = fields.Text(
        "Approved Text",
        help="The template's body as WhatsApp approved it, with {{1}}, {{2}} ... "
        "where the values below go. For the preview and the step's record only: "
        "WhatsApp sends its own copy.",
    )
    param_ids = fields.One2many(
        "invoice.followup.whatsapp.template.param",
        "template_id",
        "Body Parameters",
        copy=True,
    )
    button_param = fields.Selection(
        BUTTON_VALUES,
        "URL Button Parameter",
        help="The template has a URL button whose address ends with {{1}}: this "
        "fills it (in WhatsApp Manager, set the address to your website "
        "followed by {{1}}).",
    )
    preview = fields.Text(compute="_compute_preview")

    _sql_constraints = [
        (
            "template_lang_uniq",
            "unique(template_name, lang_code, company_id)",
            "A WhatsApp template has one record per language and company.",
        ),
    ]

    @api.constrains("template_name")
    def _check_template_name(self):
        for template in self:
            if not re.fullmatch(r"[a-z0-9_]+", template.template_name or ""):
                raise ValidationError(
                    self.env._(
                        "The WhatsApp template name %(name)s may contain lowercase "
                        "letters, digits and underscores only.",
                        name=template.template_name,
                    )
                )

    @api.constrains("body", "param_ids")
    def _check_placeholders(self):
        for template in self:
            used = {int(n) for n in re.findall(r"{{(\d+)}}", template.body or "")}
            if used and used != set(range(1, len(template.param_ids) + 1)):
                raise ValidationError(
                    self.env._(
                        "The text of %(name)s has placeholders %(used)s but "
                        "%(count)s parameter(s): give one value for each of "
                        "{{1}} to {{n}}.",
                        name=template.name,
                        used=", ".join(f"{{{{{n}}}}}" for n in sorted(used)),
                        count=len(template.param_ids),
                    )
                )

    @api.depends("body", "param_ids.value")
    def _compute_preview(self):
        labels = dict(
            self.env["invoice.followup.whatsapp.template.param"]
            ._fields["value"]
            ._description_selection(self.env)
        )
        for template in self:
            preview = template.body or ""
            for index, param in enumerate(template.param_ids, start=1):
                preview = preview.replace(
                    "{{%d}}" % index, f"[{labels.get(param.value, '')}]"
                )
            template.preview = preview

    def _followup_for(self, partner, company):
        """The record of this template family for ``partner`` (its language,
        else ``company``'s, else English, else this one)."""
        self.ensure_one()
        family = self.with_context(active_test=True).search(
            [
                ("template_name", "=", self.template_name),
                ("company_id", "in", [company.id, False]),
            ]
        )
        by_lang = {}
        # a company's own record wins over the shared one
        for template in family.sorted(lambda t: bool(t.company_id)):
            by_lang[template.lang_code] = template
        for lang in [
            *whatsapp_languages(partner.lang),
            *whatsapp_languages(company.partner_id.lang),
            "en",
            "en_US",
        ]:
            if lang in by_lang:
                return by_lang[lang]
        return self
