# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Follow-up stages: the stage record, the rules the run reads from it
(StageRule), and the default stages created per company and translated (their
one home). Slightly over 400 lines because the defaults' definitions are data
written in Python so they can be created in the company's language."""

from collections import namedtuple
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


class StageRule(
    namedtuple(
        "StageRule",
        "stage key min_amount risk_codes auto_execute by_invoice_date offset",
    )
):
    """What the follow-up schedule reads of a stage (see _followup_rules)."""

    __slots__ = ()

    def applies_to(self, move):
        """Whether the stage applies to ``move`` (amount and risk filters)."""
        if self.min_amount and move.amount_residual_signed < self.min_amount:
            return False
        return (
            self.risk_codes is None
            or move.commercial_partner_id._followup_risk_level(move.company_id)[0]
            in self.risk_codes
        )

    def date_for(self, move):
        """The day the stage falls due for ``move``. A reminder before the due
        date counts from the last day of Odoo's early-payment discount when the
        invoice has one (the customer hears of the discount while it lasts)."""
        if self.by_invoice_date:
            ref = move.invoice_date
        else:
            ref = move.followup_date_due
            if ref and self.offset.days < 0:
                discount = move._followup_discount_date()
                if discount and move.invoice_date < discount + self.offset < ref:
                    ref = discount
        return ref and ref + self.offset


class InvoiceFollowupStage(models.Model):
    """One step of the follow-up, per company, in sequence order."""

    _name = "invoice.followup.stage"
    _inherit = ["rating.parent.mixin"]
    _description = "Follow-up Stage"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_reference = fields.Selection(
        [("invoice_date", "Invoice date"), ("due_date", "Due date")],
        string="Counted From",
        required=True,
        default="due_date",
    )
    offset_days = fields.Integer(
        "Days",
        help="Days after the reference date (negative: before it). "
        "Invoice date + 2 checks that the invoice arrived; due date - 3 is a "
        "courtesy reminder.",
    )
    schedule_display = fields.Char("When", compute="_compute_schedule_display")
    auto_execute = fields.Boolean(
        "Automatic",
        default=True,
        help="Run by the daily follow-up. Otherwise the step waits in the worklist "
        "until an accountant sends it.",
    )
    receipt_check = fields.Boolean(
        help="This stage asks the customer to confirm the invoice arrived: "
        "it is done for an invoice once the customer confirms, without sending it.",
    )
    send_email = fields.Boolean("Email")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain=[("model", "=", "invoice.followup.log")],
    )
    attach_invoices = fields.Boolean(
        help="Attach the PDF of the invoices listed in the email."
    )
    send_sms = fields.Boolean("SMS")
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain=[("model", "=", "invoice.followup.log")],
    )
    send_whatsapp = fields.Boolean(
        "WhatsApp",
        help="Send the WhatsApp template to the customers who opted in (Settings: "
        "WhatsApp).",
    )
    whatsapp_template_id = fields.Many2one(
        "invoice.followup.whatsapp.template",
        string="WhatsApp Template",
        help="The template family (its WhatsApp name): each customer gets its "
        "translation in the customer's language.",
    )
    send_letter = fields.Boolean(
        "Letter", help="Prepare a PDF letter, listed under Letters to print."
    )
    variant_ids = fields.One2many(
        "invoice.followup.variant",
        "stage_id",
        "A/B Variants",
        help="Two variants or more: each customer gets one of them, at random and "
        "for good, in place of the stage's templates and channels.",
    )
    create_activity = fields.Boolean("Activity")
    activity_type_id = fields.Many2one("mail.activity.type", string="Activity Type")
    activity_summary = fields.Char(translate=True)
    activity_note = fields.Html(translate=True)
    activity_user_mode = fields.Selection(
        [
            ("responsible", "Customer's follow-up responsible"),
            ("specific", "Specific user"),
        ],
        string="Activity For",
        default="responsible",
        required=True,
    )
    activity_user_id = fields.Many2one(
        "res.users", string="Activity User", domain=[("share", "=", False)]
    )
    escalate = fields.Boolean(
        help="Hand the customer over to the escalation user (e.g. legal) and notify "
        "them."
    )
    escalation_user_id = fields.Many2one(
        "res.users",
        domain=[("share", "=", False)],
        help="Defaults to the escalation user of the follow-up settings.",
    )
    credit_hold = fields.Boolean(
        help="Put the customer on credit hold with Odoo's blocking partner warning "
        "(new invoices, and sales orders when Sales is installed). The hold is "
        "lifted, and the previous warning restored, once the overdue invoices are "
        "paid or a payment plan is accepted, or by hand from the customer's "
        "Follow-up tab.",
    )
    # hand-over to a collection agency or lawyer (models/invoice_followup_handover.py)
    handover = fields.Boolean(
        "Hand over",
        help="Hand the customer over to a collection agency or the legal department: "
        "the pre-legal file (PDF) is made, sent or attached to an activity, and the "
        "follow-up of the invoices pauses (with agency).",
    )
    handover_partner_id = fields.Many2one(
        "res.partner",
        "Agency",
        domain=[("followup_agency_kind", "!=", False)],
        help="The collection agency, legal department or lawyer (a partner marked as "
        "such) that receives the customers.",
    )
    handover_mode = fields.Selection(
        [
            ("email", "Email the file to the agency"),
            ("activity", "Attach the file to an activity for the responsible"),
        ],
        "Pre-legal File",
        default="email",
        required=True,
    )
    # late-payment charges (models/invoice_followup_charge.py): used only when
    # the company switches fees on / chooses a statutory interest regime
    fee_type = fields.Selection(
        [
            ("none", "No fee"),
            ("fixed", "Fixed amount"),
            ("percent", "Share of the overdue amount"),
        ],
        "Late-payment Fee",
        default="none",
        required=True,
        help="Invoiced to the customer once per step, in the currency of its "
        "invoices, when the company charges fees (Settings).",
    )
    fee_amount = fields.Monetary(
        "Fee", currency_field="currency_id", help="In the company's currency."
    )
    fee_percent = fields.Float("Fee (%)", digits=(16, 2))
    fee_min = fields.Monetary(
        "Minimum Fee", currency_field="currency_id", help="0: no minimum."
    )
    fee_max = fields.Monetary(
        "Maximum Fee", currency_field="currency_id", help="0: no maximum."
    )
    show_interest = fields.Boolean(
        "Show Statutory Interest",
        help="This stage's email and letter show the statutory interest accrued, "
        "when the company claims it (Settings).",
    )
    extra_content = fields.Html(
        "Additional Content",
        translate=True,
        help="Shown in this stage's email and letter: an offer, a tip, a note.",
    )
    letter_text = fields.Html(
        translate=True, help="Body of the letter and of the statement for this stage."
    )
    min_amount = fields.Monetary(
        "Minimum Amount Due",
        currency_field="currency_id",
        help="Invoices whose amount due (company currency) is below this amount skip "
        "this stage.",
    )
    risk_level_ids = fields.Many2many(
        "invoice.followup.risk.level",
        string="Risk Levels",
        help="When set, the stage applies only to customers of these payment risk "
        "levels.",
    )

    @api.constrains("fee_type", "fee_amount", "fee_percent", "fee_min", "fee_max")
    def _check_fee(self):
        for stage in self:
            values = (stage.fee_amount, stage.fee_percent, stage.fee_min, stage.fee_max)
            if any(v < 0 for v in values):
                raise ValidationError(
                    self.env._("A late-payment fee cannot be negative.")
                )
            if stage.fee_percent > 100:
                raise ValidationError(
                    self.env._("A late-payment fee cannot exceed 100 % of the amount.")
                )
            if stage.fee_max and stage.fee_min > stage.fee_max:
                raise ValidationError(
                    self.env._("The minimum fee is above the maximum fee.")
                )
            if stage.fee_type == "fixed" and not stage.fee_amount:
                raise ValidationError(self.env._("Enter the amount of the fixed fee."))
            if stage.fee_type == "percent" and not stage.fee_percent:
                raise ValidationError(self.env._("Enter the fee's share in percent."))

    @api.constrains("handover", "handover_partner_id")
    def _check_handover_partner(self):
        for stage in self:
            if stage.handover and not stage.handover_partner_id:
                raise ValidationError(
                    self.env._(
                        "The stage %(stage)s hands customers over: choose the agency "
                        "or lawyer that receives them.",
                        stage=stage.name,
                    )
                )

    @api.depends("date_reference", "offset_days")
    def _compute_schedule_display(self):
        labels = dict(self._fields["date_reference"]._description_selection(self.env))
        for stage in self:
            ref = labels.get(stage.date_reference, "")
            if not stage.offset_days:
                stage.schedule_display = ref
            elif stage.offset_days > 0:
                stage.schedule_display = self.env._(
                    "%(ref)s + %(days)s days", ref=ref, days=stage.offset_days
                )
            else:
                stage.schedule_display = self.env._(
                    "%(ref)s - %(days)s days", ref=ref, days=-stage.offset_days
                )

    def _followup_rules(self):
        """The schedule's view of these stages, read once for loops over many
        invoices: [StageRule], in the order of ``self``."""
        return [
            StageRule(
                stage,
                (stage.sequence, stage.id),
                stage.min_amount,
                frozenset(stage.risk_level_ids.mapped("code"))
                if stage.risk_level_ids
                else None,
                stage.auto_execute,
                stage.date_reference == "invoice_date",
                timedelta(days=stage.offset_days),
            )
            for stage in self
        ]

    # ------------------------------------------------------------------
    # Default stages: every company gets its own copy, translated
    # ------------------------------------------------------------------
    @api.model
    def _default_stage_definitions(self):
        """The default stages: [(name, reference, offset, values)], in this
        environment's language (names and summaries go through env._, so each
        language gets its own wording). Values ending in _id are xml ids."""
        _ = self.env._
        return [
            (
                _("Invoice received?"),
                "invoice_date",
                2,
                {
                    "receipt_check": True,
                    "send_email": True,
                    "mail_template_id": "invoice_followup.mail_template_receipt_check",
                },
            ),
            (
                _("Friendly reminder"),
                "due_date",
                -3,
                {
                    "send_email": True,
                    "mail_template_id": (
                        "invoice_followup.mail_template_friendly_reminder"
                    ),
                },
            ),
            (
                _("First reminder"),
                "due_date",
                3,
                {
                    "send_email": True,
                    "mail_template_id": "invoice_followup.mail_template_first_reminder",
                    "send_sms": True,
                    "sms_template_id": "invoice_followup.sms_template_reminder",
                },
            ),
            (
                _("Second reminder"),
                "due_date",
                15,
                {
                    "send_email": True,
                    "mail_template_id": (
                        "invoice_followup.mail_template_second_reminder"
                    ),
                    "send_sms": True,
                    "sms_template_id": "invoice_followup.sms_template_reminder",
                    "create_activity": True,
                    "activity_type_id": "mail.mail_activity_data_call",
                    "activity_summary": _(
                        "Call the customer about the overdue invoices"
                    ),
                },
            ),
            (
                _("Final notice"),
                "due_date",
                30,
                {
                    "send_email": True,
                    "mail_template_id": "invoice_followup.mail_template_final_notice",
                    "show_interest": True,
                    "send_letter": True,
                    "attach_invoices": True,
                    "create_activity": True,
                    "activity_type_id": "mail.mail_activity_data_call",
                    "activity_summary": _("Final notice sent: call the customer"),
                },
            ),
            (
                _("Escalation"),
                "due_date",
                60,
                {
                    "auto_execute": False,
                    "send_email": True,
                    "mail_template_id": "invoice_followup.mail_template_escalation",
                    "send_letter": True,
                    "escalate": True,
                    "create_activity": True,
                    "activity_type_id": "mail.mail_activity_data_todo",
                    "activity_summary": _(
                        "Escalated: decide on collection or legal action"
                    ),
                },
            ),
        ]

    @api.model
    def _default_stage_translations(self, langs):
        """{lang: _default_stage_definitions() in that language} for ``langs``
        other than English."""
        return {
            lang: self.with_context(lang=lang)._default_stage_definitions()
            for lang in langs
            if lang != "en_US"
        }

    @api.model
    def _create_default_stages(self, companies):
        """Create the default stages, named in English and translated into the
        installed languages, for those of ``companies`` that have none
        (archived included); each company's broken payment plans resume at
        its final notice."""
        Stage = self.sudo().with_context(active_test=False, lang="en_US")
        with_stages = set(
            Stage.search([("company_id", "in", companies.ids)]).company_id.ids
        )
        companies = companies.filtered(lambda c: c.id not in with_stages)
        if not companies:
            return Stage
        english = Stage._default_stage_definitions()
        translated = self._default_stage_translations(
            code for code, _name in self.env["res.lang"].get_installed()
        )
        final_notice = self.env.ref(
            "invoice_followup.mail_template_final_notice", raise_if_not_found=False
        )
        created = Stage
        for company in companies:
            vals_list = []
            for sequence, (name, reference, offset, extra) in enumerate(
                english, start=1
            ):
                vals = {
                    "name": name,
                    "sequence": sequence * 10,
                    "company_id": company.id,
                    "date_reference": reference,
                    "offset_days": offset,
                }
                for key, value in extra.items():
                    if key.endswith("_id") and isinstance(value, str):
                        value = (
                            self.env.ref(value, raise_if_not_found=False).id or False
                        )
                    vals[key] = value
                vals_list.append(vals)
            stages = Stage.create(vals_list)
            company.sudo().payment_plan_broken_stage_id = stages.filtered(
                lambda s: final_notice and s.mail_template_id == final_notice
            )[:1]
            for index, stage in enumerate(stages):
                for field_name in ("name", "activity_summary"):
                    if not stage[field_name]:
                        continue
                    translations = {}
                    for lang, entries in translated.items():
                        entry = entries[index]
                        value = (
                            entry[0]
                            if field_name == "name"
                            else entry[3].get(field_name)
                        )
                        if value and value != stage[field_name]:
                            translations[lang] = value
                    if translations:
                        stage.update_field_translations(field_name, translations)
            created |= stages
        return created

    @api.model
    def _translate_default_stages(self, companies, langs):
        """Translate the default stages of ``companies`` still named as created
        (in English) into ``langs``; stages renamed by the user are left alone."""
        english = self.with_context(lang="en_US")._default_stage_definitions()
        by_name = {entry[0]: index for index, entry in enumerate(english)}
        translated = self._default_stage_translations(langs)
        stages = (
            self.sudo()
            .with_context(lang="en_US", active_test=False)
            .search([("company_id", "in", companies.ids)])
        )
        for stage in stages.filtered(lambda s: s.name in by_name):
            index = by_name[stage.name]
            values = {
                lang: entries[index][0]
                for lang, entries in translated.items()
                if entries[index][0] != stage.name
            }
            if values:
                stage.update_field_translations("name", values)

    @api.model_create_multi
    def create(self, vals_list):
        stages = super().create(vals_list)
        stages._recompute_invoices()
        return stages

    def write(self, vals):
        res = super().write(vals)
        if {
            "sequence",
            "active",
            "date_reference",
            "offset_days",
            "min_amount",
            "risk_level_ids",
            "auto_execute",
            "company_id",
        } & set(vals):
            self._recompute_invoices()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        used = (
            self.env["account.move"]
            .sudo()
            .search_count([("followup_stage_id", "in", self.ids)], limit=1)
        )
        if used:
            raise UserError(
                self.env._(
                    "This stage was already sent to customers: archive it instead "
                    "of deleting it, so that the history stays complete."
                )
            )

    def unlink(self):
        companies = self.company_id
        res = super().unlink()
        self.env["invoice.followup.run"]._refresh_companies(companies)
        return res

    def _recompute_invoices(self):
        self.env["invoice.followup.run"]._refresh_companies(
            self.with_context(active_test=False).company_id
        )
