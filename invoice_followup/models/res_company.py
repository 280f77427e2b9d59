# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import consteq

from .invoice_followup_risk_level import RISK_LEVELS
from .invoice_followup_sms_provider import SMS_PROVIDERS

# Countries whose weekend is Friday and Saturday: reminders go out Sunday to Thursday.
FRIDAY_SATURDAY_WEEKEND = {
    "SA",
    "KW",
    "QA",
    "BH",
    "OM",
    "YE",
    "IQ",
    "JO",
    "EG",
    "SY",
    "LY",
    "DZ",
    "SD",
}


class ResCompany(models.Model):
    _inherit = "res.company"

    followup_auto = fields.Boolean(
        "Automatic Follow-up",
        default=True,
        help="The daily run sends the automatic steps. Off: everything waits in the "
        "worklist.",
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
        help="A customer who can be reached neither by email nor by SMS gets a "
        "letter to print.",
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
        default=lambda self: self._followup_default_weekdays(),
        help="Reminders go out only on these days; work due on other days waits for "
        "the next one.",
    )
    followup_max_per_week = fields.Integer(
        "Maximum Reminders per Week",
        default=2,
        help="At most this many follow-up steps per customer in seven days (0: no "
        "limit).",
    )

    # late-payment charges: all off by default (models/invoice_followup_charge.py)
    followup_fees = fields.Boolean(
        "Late-payment Fees",
        help="Stages with a fee invoice it to the customer once per step. Off by "
        "default.",
    )
    followup_fee_product_id = fields.Many2one(
        "product.product",
        "Fee Product",
        help="The product of the fee invoices (its income account and taxes); "
        "default: Late-payment fee, without taxes.",
    )
    followup_interest_regime_id = fields.Many2one(
        "invoice.followup.interest.regime",
        "Statutory Interest",
        help="None by default: no interest is computed, shown or invoiced. Choose the "
        "law that applies to you (rate table by date) only where interest on late "
        "payment is lawful and accepted.",
    )
    followup_interest_product_id = fields.Many2one(
        "product.product",
        "Interest Product",
        help="The product of the interest invoices; default: Late-payment interest "
        "and compensation, without taxes.",
    )

    followup_max_promise_days = fields.Integer(
        "Maximum Promise Delay",
        default=30,
        help="Customers can promise in the portal to pay at most this many days ahead.",
    )

    payment_plan_max_instalments = fields.Integer("Maximum Instalments", default=6)
    payment_plan_max_months = fields.Integer("Maximum Duration (months)", default=6)
    payment_plan_min_instalment = fields.Monetary(
        "Minimum Instalment",
        currency_field="currency_id",
        help="In company currency; smaller instalments need an accountant's approval.",
    )
    followup_default_risk = fields.Selection(
        RISK_LEVELS,
        string="Risk Band Without History",
        default="medium",
        help="The risk band of customers who have not paid an invoice yet.",
    )
    payment_plan_max_risk = fields.Selection(
        RISK_LEVELS,
        string="Highest Risk Approved Automatically",
        default="medium",
    )
    payment_plan_max_amount = fields.Monetary(
        "Highest Amount Approved Automatically",
        currency_field="currency_id",
        help="In company currency; 0 means no limit.",
    )
    payment_plan_grace_days = fields.Integer(
        "Grace Days",
        default=5,
        help="Days an instalment may be late before the plan breaks.",
    )
    payment_plan_reminder_days = fields.Integer(
        "Remind Before (days)",
        default=3,
        help="Days before each instalment the customer is reminded.",
    )
    payment_plan_broken_stage_id = fields.Many2one(
        "invoice.followup.stage",
        string="Stage When a Plan Breaks",
        domain="[('company_id', '=', id)]",
        help="Follow-up resumes with this stage when a payment plan breaks.",
    )
    followup_payment_policy = fields.Html(
        "Payment Policy",
        translate=True,
        help="Your terms, fees if any, how to ask for a payment plan and whom to "
        "call. Customers read it in the portal, in their language; the statement "
        "and the first reminder link to it. Empty: no link.",
    )

    # SMS through the company's own provider (models/invoice_followup_sms_provider.py);
    # credentials readable by administrators only, as Odoo keeps payment providers' keys
    followup_sms_provider = fields.Selection(
        SMS_PROVIDERS,
        "SMS Provider",
        default="iap",
        required=True,
        help="Odoo IAP (default) or your own SMS gateway account. Every SMS of the "
        "company goes through it.",
    )
    followup_sms_twilio_account_sid = fields.Char(
        "Twilio Account SID (SMS)", groups="base.group_system", copy=False
    )
    followup_sms_twilio_auth_token = fields.Char(
        "Twilio Auth Token", groups="base.group_system", copy=False
    )
    followup_sms_twilio_sender = fields.Char(
        "Twilio Sender",
        groups="base.group_system",
        copy=False,
        help="The From number in E.164 (+14155550100) or a Messaging Service SID "
        "(MG...).",
    )
    followup_sms_unifonic_app_sid = fields.Char(
        "Unifonic AppSid", groups="base.group_system", copy=False
    )
    followup_sms_unifonic_sender = fields.Char(
        "Unifonic SenderID", groups="base.group_system", copy=False
    )
    followup_sms_webhook_token = fields.Char(
        "SMS Delivery Report Token",
        groups="base.group_system",
        copy=False,
        help="Secret part of the delivery report URL of providers that do not sign "
        "their reports (Unifonic).",
    )

    # WhatsApp Business Cloud API (models/invoice_followup_whatsapp.py); the
    # account's identifiers and secrets readable by administrators only
    followup_whatsapp_enabled = fields.Boolean(
        "WhatsApp Reminders",
        help="Stages that send WhatsApp reach the customers who opted in, through "
        "the company's WhatsApp Business Account.",
    )
    followup_whatsapp_phone_number_id = fields.Char(
        "WhatsApp Phone Number ID", groups="base.group_system", copy=False
    )
    followup_whatsapp_account_id = fields.Char(
        "WhatsApp Business Account ID", groups="base.group_system", copy=False
    )
    followup_whatsapp_token = fields.Char(
        "WhatsApp Access Token",
        groups="base.group_system",
        copy=False,
        help="The permanent access token of a system user of your Meta business "
        "with the whatsapp_business_messaging permission.",
    )
    followup_whatsapp_app_secret = fields.Char(
        "WhatsApp App Secret",
        groups="base.group_system",
        copy=False,
        help="The App Secret of your Meta app: it signs the webhook's notifications.",
    )
    followup_whatsapp_verify_token = fields.Char(
        "WhatsApp Verify Token",
        groups="base.group_system",
        copy=False,
        help="Type it in the webhook settings of your Meta app: WhatsApp checks "
        "the webhook URL with it.",
    )

    def _followup_test_number(self, number, missing):
        """``number``, typed in Settings for a test message, in E.164 (this
        company's country for a national number). A UserError says ``missing``
        when it is empty, or that it is invalid."""
        self.ensure_one()
        if not number:
            raise UserError(missing)
        e164 = self.env["res.partner"]._phone_format(
            number=number, country=self.country_id, force_format="E164"
        )
        if not e164:
            raise UserError(
                self.env._("Invalid phone number: %(number)s", number=number)
            )
        return e164

    @api.model
    def _followup_by_secret(self, domain, field, token, min_length):
        """The company of ``domain`` whose secret ``field`` is ``token``,
        compared in constant time; none for a token shorter than
        ``min_length``. What an unsigned webhook proves itself with."""
        if not token or len(token) < min_length:
            return self.browse()
        companies = self.sudo().search([*domain, (field, "!=", False)])
        return companies.filtered(
            lambda company: consteq(company[field].encode(), token.encode())
        )[:1]

    @api.model
    def _followup_default_weekdays(self, country=None):
        country = country or self.env.company.country_id
        days = (
            (6, 0, 1, 2, 3)
            if country.code in FRIDAY_SATURDAY_WEEKEND
            else (0, 1, 2, 3, 4)
        )
        return self.env["invoice.followup.weekday"].search([("weekday", "in", days)])

    def _followup_sending_weekdays(self):
        """Python weekdays on which reminders go out (the country's working
        week when nothing is set)."""
        self.ensure_one()
        days = self.followup_weekday_ids or self._followup_default_weekdays(
            self.country_id
        )
        return set(days.mapped("weekday"))

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        for company, vals in zip(companies, vals_list, strict=True):
            if company.country_id and "followup_weekday_ids" not in vals:
                company.followup_weekday_ids = self._followup_default_weekdays(
                    company.country_id
                )
        self.env["invoice.followup.stage"]._create_default_stages(companies)
        return companies
