# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

# Countries whose weekend is Friday and Saturday: reminders go out Sunday to Thursday.
FRIDAY_SATURDAY_WEEKEND = {"SA", "KW", "QA", "BH", "OM", "YE", "IQ", "JO", "EG", "SY", "LY", "DZ", "SD"}


def _default_stages(env):
    """Default stages: (name, reference, offset, values). Names are translated
    through env._ so that each language gets its own wording."""
    _ = env._
    return [
        (_("Invoice received?"), "invoice_date", 2, {
            "receipt_check": True,
            "send_email": True,
            "mail_template_id": "invoice_followup.mail_template_receipt_check",
        }),
        (_("Friendly reminder"), "due_date", -3, {
            "send_email": True,
            "mail_template_id": "invoice_followup.mail_template_friendly_reminder",
        }),
        (_("First reminder"), "due_date", 3, {
            "send_email": True,
            "mail_template_id": "invoice_followup.mail_template_first_reminder",
            "send_sms": True,
            "sms_template_id": "invoice_followup.sms_template_reminder",
        }),
        (_("Second reminder"), "due_date", 15, {
            "send_email": True,
            "mail_template_id": "invoice_followup.mail_template_second_reminder",
            "send_sms": True,
            "sms_template_id": "invoice_followup.sms_template_reminder",
            "create_activity": True,
            "activity_type_id": "mail.mail_activity_data_call",
            "activity_summary": _("Call the customer about the overdue invoices"),
        }),
        (_("Final notice"), "due_date", 30, {
            "send_email": True,
            "mail_template_id": "invoice_followup.mail_template_final_notice",
            "send_letter": True,
            "attach_invoices": True,
            "create_activity": True,
            "activity_type_id": "mail.mail_activity_data_call",
            "activity_summary": _("Final notice sent: call the customer"),
        }),
        (_("Escalation"), "due_date", 60, {
            "auto_execute": False,
            "send_email": True,
            "mail_template_id": "invoice_followup.mail_template_escalation",
            "send_letter": True,
            "escalate": True,
            "create_activity": True,
            "activity_type_id": "mail.mail_activity_data_todo",
            "activity_summary": _("Escalated: decide on collection or legal action"),
        }),
    ]


class ResCompany(models.Model):
    _inherit = "res.company"

    followup_auto = fields.Boolean(
        "Automatic Follow-up",
        default=True,
        help="The daily run sends the automatic steps. Off: everything waits in the worklist.",
    )
    followup_responsible_id = fields.Many2one(
        "res.users",
        string="Default Follow-up Responsible",
        domain=[("share", "=", False)],
    )
    followup_escalation_user_id = fields.Many2one(
        "res.users", string="Escalation User", domain=[("share", "=", False)]
    )
    followup_letter_fallback = fields.Boolean(
        "Letter When No Other Channel",
        default=True,
        help="A customer who can be reached neither by email nor by SMS gets a letter to print.",
    )
    followup_invoice_notes = fields.Boolean(
        "Note Reminders on Invoices",
        help="Also note each follow-up step in the chatter of every invoice it lists. "
        "Without it, the step is in the customer's chatter and in each invoice's "
        "Follow-up tab.",
    )
    followup_weekday_ids = fields.Many2many(
        "invoice.followup.weekday",
        string="Sending Days",
        default=lambda self: self._default_followup_weekdays(),
        help="Reminders go out only on these days; work due on other days waits for the next one.",
    )
    followup_max_per_week = fields.Integer(
        "Maximum Reminders per Week",
        default=2,
        help="At most this many follow-up steps per customer in seven days (0: no limit).",
    )

    followup_max_promise_days = fields.Integer(
        "Maximum Promise Delay",
        default=30,
        help="Customers can promise in the portal to pay at most this many days ahead.",
    )

    payment_plan_max_instalments = fields.Integer("Maximum Instalments", default=6)
    payment_plan_max_months = fields.Integer("Maximum Duration (months)", default=6)
    payment_plan_min_instalment = fields.Monetary(
        "Minimum Instalment", currency_field="currency_id",
        help="In company currency; smaller instalments need an accountant's approval.",
    )
    payment_plan_max_risk = fields.Selection(
        [("low", "Low"), ("medium", "Medium"), ("high", "High")],
        string="Highest Risk Approved Automatically", default="medium",
    )
    payment_plan_max_amount = fields.Monetary(
        "Highest Amount Approved Automatically", currency_field="currency_id",
        help="In company currency; 0 means no limit.",
    )
    payment_plan_grace_days = fields.Integer(
        "Grace Days", default=5, help="Days an instalment may be late before the plan breaks."
    )
    payment_plan_reminder_days = fields.Integer(
        "Remind Before (days)", default=3, help="Days before each instalment the customer is reminded."
    )
    payment_plan_broken_stage_id = fields.Many2one(
        "invoice.followup.stage", string="Stage When a Plan Breaks",
        domain="[('company_id', '=', id)]",
        help="Follow-up resumes with this stage when a payment plan breaks.",
    )

    @api.model
    def _default_followup_weekdays(self, country=None):
        country = country or self.env.company.country_id
        days = (6, 0, 1, 2, 3) if country.code in FRIDAY_SATURDAY_WEEKEND else (0, 1, 2, 3, 4)
        return self.env["invoice.followup.weekday"].search([("weekday", "in", days)])

    def _followup_sending_weekdays(self):
        """Python weekdays on which reminders go out (the country's working
        week when nothing is set)."""
        self.ensure_one()
        days = self.followup_weekday_ids or self._default_followup_weekdays(self.country_id)
        return set(days.mapped("weekday"))

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        for company in companies:
            if company.country_id and "followup_weekday_ids" not in vals_list[0]:
                company.followup_weekday_ids = self._default_followup_weekdays(company.country_id)
        companies._invoice_followup_ensure_default_stages()
        return companies

    def _invoice_followup_translate_default_stages(self, langs):
        """Translate the default stages still named as created (in English) into
        ``langs``; stages renamed by the user are left alone."""
        english = _default_stages(self.with_context(lang="en_US").env)
        by_name = {entry[0]: index for index, entry in enumerate(english)}
        translated = {
            lang: _default_stages(self.with_context(lang=lang).env)
            for lang in langs if lang != "en_US"
        }
        stages = self.env["invoice.followup.stage"].sudo().with_context(
            lang="en_US", active_test=False
        ).search([("company_id", "in", self.ids)])
        for stage in stages.filtered(lambda s: s.name in by_name):
            index = by_name[stage.name]
            values = {lang: entries[index][0] for lang, entries in translated.items()
                      if entries[index][0] != stage.name}
            if values:
                stage.update_field_translations("name", values)

    def _invoice_followup_ensure_default_stages(self):
        """Create the default stages for companies that have none (archived included)."""
        Stage = self.env["invoice.followup.stage"].sudo().with_context(active_test=False)
        with_stages = set(Stage.search([("company_id", "in", self.ids)]).company_id.ids)
        langs = [code for code, _name in self.env["res.lang"].get_installed() if code != "en_US"]
        for company in self.filtered(lambda c: c.id not in with_stages):
            english = _default_stages(self.with_context(lang="en_US").env)
            translated = {lang: _default_stages(self.with_context(lang=lang).env) for lang in langs}
            vals_list = []
            for sequence, (name, reference, offset, extra) in enumerate(english, start=1):
                vals = {
                    "name": name,
                    "sequence": sequence * 10,
                    "company_id": company.id,
                    "date_reference": reference,
                    "offset_days": offset,
                }
                for key, value in extra.items():
                    if key.endswith("_id") and isinstance(value, str):
                        value = self.env.ref(value, raise_if_not_found=False).id or False
                    vals[key] = value
                vals_list.append(vals)
            stages = Stage.with_context(lang="en_US").create(vals_list)
            company.sudo().payment_plan_broken_stage_id = stages.filtered(
                lambda s: s.mail_template_id == self.env.ref(
                    "invoice_followup.mail_template_final_notice", raise_if_not_found=False)
            )[:1]
            for index, stage in enumerate(stages):
                for field_name, position in (("name", 0), ("activity_summary", 3)):
                    if not stage[field_name]:
                        continue
                    translations = {}
                    for lang, entries in translated.items():
                        value = entries[index][0] if position == 0 else entries[index][3].get(field_name)
                        if value and value != stage[field_name]:
                            translations[lang] = value
                    if translations:
                        stage.update_field_translations(field_name, translations)
        return True
