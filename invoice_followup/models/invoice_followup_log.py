# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The follow-up step (invoice.followup.log, "Follow-up Step": one word, step,
for its records everywhere): its fields, each channel's execution and outcome
(email, SMS, letter, activity: one method each, all steps of a batch at once),
its traces in the chatters, the values its templates read (from the builder,
invoice.followup.document) and its actions. Over 400 lines because the four
channels live with the record whose outcome they write; creating and running
steps is models/invoice_followup_run.py, mail queueing
models/invoice_followup_bulk.py."""

import io
import logging
import re
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.tools import SQL, split_every
from odoo.tools.pdf import PdfFileReader, PdfFileWriter

from ..tools.formatting import align, sms_amounts
from ..tools.sms_segments import sms_segments
from .invoice_followup_answer import ANSWER_KINDS
from .invoice_followup_credit_hold import HOLD_STATES
from .invoice_followup_effect import OUTCOMES, WEEKDAYS, channel_mixes
from .invoice_followup_risk_level import RISK_LEVELS
from .invoice_followup_whatsapp import STATUSES as WHATSAPP_STATUSES

_logger = logging.getLogger(__name__)

DAY_STEP_INDEX = "invoice_followup_log_day_step_uniq"
# letters rendered by one wkhtmltopdf call, and the reference each one prints
LETTERS_PER_CALL = 50
# (wkhtmltopdf's text comes out in pieces: "FU", "-", "000042" on lines of their own)
LETTER_REF = re.compile(r"FU\s*-\s*(\d+)")
# SMS that Odoo refuses to send because the number asked for none: skipped, not failed
SMS_REFUSED = ("sms_blacklist", "sms_optout")
CHANNEL_STATES = [("sent", "Sent"), ("failed", "Failed"), ("skipped", "Skipped")]
LETTER_STATES = [
    ("to_print", "To print"),
    ("printed", "Printed"),
    ("failed", "Failed"),
    ("skipped", "Skipped"),
]


class InvoiceFollowupLog(models.Model):
    """One follow-up step executed for a customer: what was claimed, through
    which channels, with which outcome. Mail, SMS and letter templates render it."""

    _name = "invoice.followup.log"
    _description = "Follow-up Step"
    _inherit = ["rating.mixin"]  # mail.thread with the ratings statistics
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_names_search = ["partner_id", "stage_id"]

    @api.depends("answer_ids.reason_id", "answer_ids.date")
    def _compute_reason(self):
        for step in self:
            step.reason_id = step.answer_ids._latest_reason()

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, readonly=True
    )
    recipient_id = fields.Many2one(
        "res.partner",
        string="Recipient",
        readonly=True,
        help="Contact the reminder was addressed to.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    stage_id = fields.Many2one(
        "invoice.followup.stage",
        string="Stage",
        readonly=True,
        check_company=True,
        index=True,
    )
    move_ids = fields.Many2many(
        "account.move",
        "invoice_followup_log_account_move_rel",
        "log_id",
        "move_id",
        string="Invoices",
        readonly=True,
    )
    date = fields.Date(
        default=fields.Date.context_today, required=True, index=True, readonly=True
    )
    run_by = fields.Selection(
        [("cron", "Daily run"), ("user", "User")], default="user", readonly=True
    )
    user_id = fields.Many2one(
        "res.users", default=lambda self: self.env.user, readonly=True
    )
    state = fields.Selection(
        [("done", "Done"), ("failed", "Failed"), ("skipped", "Skipped")],
        default="done",
        readonly=True,
        index=True,
    )
    error = fields.Text(readonly=True)
    amount_due = fields.Monetary(
        readonly=True,
        help="Amount due on the listed invoices then, in company currency.",
    )
    amount_credit = fields.Monetary(
        "Open Credits",
        readonly=True,
        help="Credit notes and payments of the customer not yet applied to an invoice.",
    )
    email_state = fields.Selection(CHANNEL_STATES, "Email", readonly=True)
    email_info = fields.Char("Email Details", readonly=True)
    mail_message_id = fields.Many2one("mail.message", "Email Message", readonly=True)
    sms_state = fields.Selection(CHANNEL_STATES, "SMS", readonly=True)
    sms_info = fields.Char("SMS Details", readonly=True)
    sms_message_id = fields.Many2one("mail.message", "SMS Message", readonly=True)
    # WhatsApp (models/invoice_followup_whatsapp.py): "sent" once queued, as
    # for SMS; whatsapp_status follows the message through WhatsApp's webhook
    whatsapp_state = fields.Selection(CHANNEL_STATES, "WhatsApp", readonly=True)
    whatsapp_info = fields.Char("WhatsApp Details", readonly=True)
    whatsapp_status = fields.Selection(
        WHATSAPP_STATUSES,
        "WhatsApp Status",
        readonly=True,
        index="btree_not_null",
        copy=False,
    )
    whatsapp_message_ref = fields.Char(
        "WhatsApp Message ID", readonly=True, copy=False, index="btree_not_null"
    )
    whatsapp_template_id = fields.Many2one(
        "invoice.followup.whatsapp.template",
        "WhatsApp Template",
        readonly=True,
        ondelete="set null",
        help="The template (in the customer's language) this step sent.",
    )
    whatsapp_number = fields.Char("WhatsApp Number", readonly=True)
    whatsapp_body = fields.Text("WhatsApp Text", readonly=True)
    whatsapp_params = fields.Json(readonly=True, copy=False)
    whatsapp_sending_date = fields.Datetime(readonly=True, copy=False)
    whatsapp_delivered_date = fields.Datetime("WhatsApp Delivered On", readonly=True)
    whatsapp_read_date = fields.Datetime("WhatsApp Read On", readonly=True)
    letter_state = fields.Selection(LETTER_STATES, "Letter", readonly=True, index=True)
    letter_info = fields.Char("Letter Details", readonly=True)
    letter_attachment_id = fields.Many2one("ir.attachment", "Letter PDF", readonly=True)
    receipt_date = fields.Datetime(
        "Receipt Confirmed On",
        readonly=True,
        help="When the customer confirmed, from this step's link, that the invoice "
        "arrived.",
    )
    activity_state = fields.Selection(CHANNEL_STATES, "Activity", readonly=True)
    activity_info = fields.Char("Activity Details", readonly=True)
    handover_state = fields.Selection(CHANNEL_STATES, "Hand-over", readonly=True)
    handover_info = fields.Char("Hand-over Details", readonly=True)
    handover_attachment_id = fields.Many2one(
        "ir.attachment", "Pre-legal File", readonly=True
    )
    hold_state = fields.Selection(
        HOLD_STATES,
        "Credit Hold",
        readonly=True,
        index="btree_not_null",
        help="The credit hold this step put on the customer (Odoo's blocking "
        "partner warning) and whether it was lifted.",
    )
    hold_date = fields.Date("On Hold Since", readonly=True)
    hold_released_date = fields.Date("Hold Lifted On", readonly=True)
    hold_info = fields.Char("Credit Hold Details", readonly=True)
    hold_message = fields.Text(
        "Credit Hold Message",
        readonly=True,
        help="The blocking message this hold wrote on the customer.",
    )
    answer_ids = fields.One2many(
        "invoice.followup.answer", "step_id", string="Answers", readonly=True
    )
    reason_id = fields.Many2one(
        "invoice.followup.reason",
        "Late-payment Reason",
        compute="_compute_reason",
        store=True,
        help="The reason of the latest answer that followed this step.",
    )
    is_day_step = fields.Boolean(
        "Step of the Day",
        readonly=True,
        copy=False,
        help="This step is the customer's follow-up step of its day in its company: "
        "PostgreSQL "
        "allows one, so that two runs at once or a run after a crash never send "
        "a second one. "
        "Failed attempts and previews are not.",
    )

    # what happened after the step: invoice.followup.effect, by the daily run
    opened_date = fields.Datetime(
        "Link Opened On",
        readonly=True,
        help="The first visit of the customer's signed link (statement or invoice "
        "page) after this step and before the next one.",
    )
    paid_7_amount = fields.Monetary("Paid in 7 Days", readonly=True)
    paid_14_amount = fields.Monetary("Paid in 14 Days", readonly=True)
    paid_30_amount = fields.Monetary(
        "Paid in 30 Days",
        readonly=True,
        help="Payments applied to this step's invoices within 30 days of it and "
        "before the customer's next step (credit notes are not counted), in company "
        "currency.",
    )
    paid_7_share = fields.Float("Share Paid in 7 Days", readonly=True, aggregator="avg")
    paid_14_share = fields.Float(
        "Share Paid in 14 Days",
        readonly=True,
        aggregator="avg",
        help="Paid in 14 days divided by the amount claimed (1 = all of it).",
    )
    paid_30_share = fields.Float(
        "Share Paid in 30 Days", readonly=True, aggregator="avg"
    )
    answer_kind = fields.Selection(
        [*ANSWER_KINDS, ("receipt", "Confirmed receipt")],
        "First Answer",
        readonly=True,
    )
    promised = fields.Boolean(readonly=True)
    paid_online = fields.Boolean(
        readonly=True, help="An online payment of its invoices followed this step."
    )
    outcome = fields.Selection(
        OUTCOMES,
        readonly=True,
        index=True,
        help="The best thing that followed: paid, paid in part, promised, answered, "
        "opened the link; nothing after 30 days.",
    )
    channel_mix = fields.Selection(
        channel_mixes(), "Channels", readonly=True, help="The channels that went out."
    )
    lang = fields.Selection(
        "_lang_get", "Language", readonly=True, help="The customer's language then."
    )
    risk_band = fields.Selection(
        RISK_LEVELS, readonly=True, help="The customer's risk band then."
    )
    sent_weekday = fields.Selection(WEEKDAYS, "Weekday Sent", readonly=True)
    sent_hour = fields.Integer("Hour Sent", readonly=True, aggregator=False)
    effect_date = fields.Date("Effect Computed On", readonly=True)
    days_to_pay = fields.Float(
        "Days to Pay",
        readonly=True,
        aggregator="avg",
        help="Days from the step to the payment that settled its claim, when that "
        "came within 30 days.",
    )
    variant_id = fields.Many2one(
        "invoice.followup.variant",
        "A/B Variant",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        context={"active_test": False},
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        "Email Template",
        readonly=True,
        ondelete="set null",
        help="The template of the email this step sent.",
    )
    fee_move_ids = fields.One2many(
        "account.move",
        "followup_fee_step_id",
        "Fees Charged",
        readonly=True,
        help="The late-payment fee invoices this step charged (listed in its "
        "reminder).",
    )

    @api.model
    def _lang_get(self):
        return self.env["res.lang"].get_installed()

    @api.model
    def _followup_mark_opened(self, partner):
        """The customer's signed link was visited: the first visit after its
        latest step is that step's (the Follow-up Analysis "opened")."""
        self.env.cr.execute(
            SQL(
                """UPDATE invoice_followup_log
                      SET opened_date = now() at time zone 'UTC'
                    WHERE id = (SELECT id FROM invoice_followup_log
                                 WHERE partner_id = %s AND state = 'done'
                                 ORDER BY date DESC, id DESC LIMIT 1)
                      AND opened_date IS NULL""",
                partner.commercial_partner_id.id,
            )
        )
        self.invalidate_model(["opened_date"])

    def init(self):
        # one step per customer, company and day, whoever runs it (cron workers,
        # servers, an accountant's "Send now"): guarded by PostgreSQL itself
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (partner_id, "
                "company_id, date) WHERE is_day_step",
                SQL.identifier(DAY_STEP_INDEX),
                SQL.identifier(self._table),
            )
        )

    @api.depends("partner_id", "stage_id", "date")
    def _compute_display_name(self):
        for step in self:
            step.display_name = self.env._(
                "%(stage)s – %(customer)s (%(date)s)",
                stage=step.stage_id.name or self.env._("Follow-up"),
                customer=step.partner_id.display_name,
                date=fields.Date.to_string(step.date),
            )

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------
    def _run_channels(self):
        """Run the stages' channels for these steps (invoice.followup.run calls it),
        filtered by each customer's preferences, record each outcome and leave a trace
        in the chatters. Each channel works on all the steps at once."""
        covered = self.filtered(
            lambda step: step.currency_id.compare_amounts(
                step.amount_due, step.amount_credit
            )
            <= 0
        )
        covered._followup_set(
            {
                "state": "skipped",
                "error": self.env._(
                    "The customer's open credits cover the amount due."
                ),
            }
        )
        todo = self - covered
        # the mail, SMS and letter link the invoices and the statement
        Bulk = self.env["invoice.followup.bulk"]
        Bulk._ensure_invoice_tokens(todo.move_ids)
        Bulk._ensure_statement_tokens(todo.partner_id)
        # the mails go last: their message in the customer's chatter says what
        # every channel did
        emails = todo.filtered(
            lambda step: step._followup_sends("email")
        )._followup_plan_emails()
        todo.filtered(lambda step: step._followup_sends("sms"))._execute_sms()
        todo.filtered(lambda step: step._followup_sends("whatsapp"))._execute_whatsapp()
        # letters: many per wkhtmltopdf call (_render_letter), after the loop
        letters = fallback_letters = self.browse()
        for step in todo:
            reached = "sent" in (
                step.email_state,
                step.sms_state,
                step.whatsapp_state,
            )
            if step._followup_sends("letter"):
                if step.partner_id.followup_use_letter:
                    letters |= step
                else:
                    step._followup_set(
                        {
                            "letter_state": "skipped",
                            "letter_info": self.env._(
                                "The customer does not want letters."
                            ),
                        }
                    )
            elif (
                (
                    step._followup_sends("email")
                    or step._followup_sends("sms")
                    or step._followup_sends("whatsapp")
                )
                and not reached
                and step.company_id.followup_letter_fallback
            ):
                fallback_letters |= step
        letters._execute_letter()
        fallback_letters._execute_letter(fallback=True)
        # the pre-legal file to the agency (models/invoice_followup_handover.py)
        self.env["invoice.followup.handover"]._hand_over(
            todo.filtered(lambda step: step.stage_id.handover)
        )
        todo.filtered(
            lambda step: step.stage_id.create_activity or step.stage_id.escalate
        )._execute_activity()
        # Odoo's blocking partner warning (models/invoice_followup_credit_hold.py)
        self.env["invoice.followup.credit.hold"]._hold(
            todo.filtered(lambda step: step.stage_id.credit_hold)
        )
        for template, steps in emails.items():
            self.env["invoice.followup.bulk"]._queue_mails(steps, template)
        self._log_in_chatters()

    def _followup_sends(self, channel):
        """Whether this step sends ``channel`` ("email", "sms" or "letter"):
        its A/B variant says so, else its stage."""
        self.ensure_one()
        return (
            self.variant_id[f"send_{channel}"]
            if self.variant_id
            else self.stage_id[f"send_{channel}"]
        )

    def _followup_mail_template(self):
        self.ensure_one()
        return self.variant_id.mail_template_id or self.stage_id.mail_template_id

    def _followup_sms_template(self):
        self.ensure_one()
        return self.variant_id.sms_template_id or self.stage_id.sms_template_id

    def _followup_channel_failed(self, channel, reason):
        """A message these steps sent through ``channel`` ("email", "sms",
        "whatsapp") failed after it left (a bounce, an undelivered SMS or
        WhatsApp message): the channel is recorded as failed with ``reason``.
        Returns the steps that changed (those whose channel was still "sent")."""
        steps = self.filtered(lambda step: step[f"{channel}_state"] == "sent")
        steps._followup_set({f"{channel}_state": "failed", f"{channel}_info": reason})
        return steps

    def _followup_set(self, values):
        """Record outcomes on steps (no field of theirs is tracked: skip the
        tracking preparation, which costs more than the write)."""
        return self.with_context(tracking_disable=True).write(values)

    def _followup_plan_emails(self):
        """Record why a step gets no mail; {template: steps} for the others."""
        by_template = defaultdict(lambda: self.browse())
        # Odoo's email blacklist (mail.blacklist), in one query for the batch
        blacklisted = self.env["invoice.followup.bulk"]._blacklisted_partners(
            self.recipient_id
        )
        for step in self:
            template = step._followup_mail_template()
            if not step.partner_id.followup_use_email:
                step._followup_set(
                    {
                        "email_state": "skipped",
                        "email_info": self.env._("The customer opted out of emails."),
                    }
                )
            elif not template:
                step._followup_set(
                    {
                        "email_state": "skipped",
                        "email_info": self.env._("The stage has no email template."),
                    }
                )
            elif not step.recipient_id.email:
                step._followup_set(
                    {
                        "email_state": "skipped",
                        "email_info": self.env._("No email address."),
                    }
                )
            elif step.recipient_id in blacklisted:
                # as the SMS channel respects the phone blacklist: skipped, not failed
                step._followup_set(
                    {
                        "email_state": "skipped",
                        "email_info": self.env._(
                            "The email address is on the blacklist (unsubscribed)."
                        ),
                    }
                )
            else:
                # queued at the end of the step, in this transaction
                step._followup_set(
                    {
                        "email_state": "sent",
                        "email_info": step.recipient_id.email_formatted,
                    }
                )
                by_template[template] |= step
        return by_template

    def _followup_email_summary(self):
        """The mail's preview text: "3 invoice(s), 1,250.00 SAR due", in the
        context's language."""
        self.ensure_one()
        return self.env._(
            "%(count)s invoice(s), %(amount)s due",
            count=len(self.move_ids),
            amount=self._get_followup_sms_amount(),
        )

    def _followup_invoice_attachments(self):
        """The invoices' own PDFs: the one Odoo keeps, else rendered now."""
        attachments = self.env["ir.attachment"]
        for move in self.move_ids:
            if move.invoice_pdf_report_id:
                attachments |= move.invoice_pdf_report_id
                continue
            pdf, _type = (
                self.env["ir.actions.report"]
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf("account.account_invoices", move.ids)
            )
            attachments |= self.env["ir.attachment"].create(
                {
                    "name": f"{move._get_move_display_name().replace('/', '_')}.pdf",
                    "raw": pdf,
                    "res_model": self._name,
                    "res_id": self.id,
                    "mimetype": "application/pdf",
                }
            )
        return attachments

    def _sms_get_recipients_info(self, force_field=False, partner_fallback=True):
        """The SMS of a step goes to its recipient's mobile (else phone), else to
        the customer's: {step id: {'partner', 'number', 'sanitized', ...}}."""
        result = {}
        for step in self:
            recipient, partner = step.recipient_id, step.partner_id
            number = (
                recipient.mobile or recipient.phone or partner.mobile or partner.phone
            )
            result[step.id] = {
                "partner": recipient,
                "number": number,
                "sanitized": number and recipient._phone_format(number=number),
                "partner_store": False,
                "field_store": False,
            }
        return result

    def _execute_sms(self):
        numbers = self._sms_get_recipients_info()
        by_template = defaultdict(lambda: self.browse())
        for step in self:
            template = step._followup_sms_template()
            number, sanitized = (
                numbers[step.id]["number"],
                numbers[step.id]["sanitized"],
            )
            if not step.partner_id.followup_use_sms:
                step._followup_set(
                    {
                        "sms_state": "skipped",
                        "sms_info": self.env._("The customer opted out of SMS."),
                    }
                )
            elif not template:
                step._followup_set(
                    {
                        "sms_state": "skipped",
                        "sms_info": self.env._("The stage has no SMS template."),
                    }
                )
            elif not number:
                step._followup_set(
                    {
                        "sms_state": "skipped",
                        "sms_info": self.env._("No mobile number."),
                    }
                )
            elif not sanitized:
                step._followup_set(
                    {
                        "sms_state": "skipped",
                        "sms_info": self.env._(
                            "Invalid phone number: %(number)s", number=number
                        ),
                    }
                )
            else:
                by_template[template] |= step
        for template, steps in by_template.items():
            # Odoo's mass SMS: rendered in each customer's language, queued, and
            # logged in each step's chatter, in one go
            sms_all = steps._message_sms_schedule_mass(
                template=template, mass_keep_log=True
            )
            messages = (
                self.env["mail.message"]
                .search(
                    [
                        ("model", "=", self._name),
                        ("res_id", "in", steps.ids),
                        ("message_type", "=", "sms"),
                    ]
                )
                .grouped("res_id")
            )
            failures = dict(
                self.env["sms.sms"]
                ._fields["failure_type"]
                ._description_selection(self.env)
            )
            for step, sms in zip(steps, sms_all, strict=True):
                if sms.state == "outgoing":
                    values = {"sms_state": "sent", "sms_info": sms.number}
                elif sms.failure_type in SMS_REFUSED:
                    # the customer asked for no SMS at this number: not a failure
                    values = {
                        "sms_state": "skipped",
                        "sms_info": failures.get(sms.failure_type),
                    }
                else:
                    values = {
                        "sms_state": "failed",
                        "sms_info": failures.get(sms.failure_type) or sms.failure_type,
                    }
                values["sms_message_id"] = messages.get(
                    step.id, self.env["mail.message"]
                )[-1:].id
                step._followup_set(values)
                # the provider's delivery report finds its step (models/sms_sms.py)
                sms.followup_log_id = step
        if by_template:
            # Odoo's SMS queue sends them at its next call rather than within the
            # hour of its own schedule
            self.env.ref("sms.ir_cron_sms_scheduler_action")._trigger()

    def _followup_whatsapp_template(self):
        """The WhatsApp template in this step's customer's language."""
        self.ensure_one()
        family = (
            self.variant_id.whatsapp_template_id or self.stage_id.whatsapp_template_id
        )
        return family and family._followup_for(
            self.recipient_id or self.partner_id, self.company_id
        )

    def _execute_whatsapp(self):
        """Queue the WhatsApp message of each step whose customer opted in
        (the queue sends it once the run has committed, see
        models/invoice_followup_whatsapp.py); skipped, with the reason, else."""
        gateway = self.env["invoice.followup.whatsapp"]
        queued = self.browse()
        for step in self:
            template = step._followup_whatsapp_template()
            reason = gateway._refusal(step, template)
            if reason:
                step._followup_set(
                    {"whatsapp_state": "skipped", "whatsapp_info": reason}
                )
                continue
            number = step.partner_id._followup_whatsapp_e164(step.recipient_id)
            values = gateway._step_values(step, template)
            step._followup_set(
                {
                    "whatsapp_state": "sent",
                    "whatsapp_info": number,
                    "whatsapp_status": "queued",
                    "whatsapp_number": number,
                    "whatsapp_template_id": template.id,
                    "whatsapp_body": values["body"],
                    "whatsapp_params": {
                        "params": values["params"],
                        "button": values["button"],
                    },
                }
            )
            queued |= step
        if queued:
            self.env.ref("invoice_followup.ir_cron_followup_whatsapp").sudo()._trigger()

    def _execute_letter(self, fallback=False):
        """Render the letters of these steps (many per wkhtmltopdf call) and
        queue them for printing; a letter that cannot be rendered fails alone."""
        if not self:
            return
        errors = self._render_letter()
        for step, error in errors.items():
            step.write({"letter_state": "failed", "letter_info": error})
        self.filtered(lambda step: step.id not in errors.keys()).write(
            {
                "letter_state": "to_print",
                "letter_info": self.env._(
                    "No email or SMS reached the customer: letter instead."
                )
                if fallback
                else False,
            }
        )

    def _render_letter(self):
        """Each step's letter as its own PDF (letter_attachment_id), rendered
        LETTERS_PER_CALL at a time: wkhtmltopdf's start costs more than a letter
        (about 1.8 s for one letter alone, 0.12 s each for 40 together). The PDF
        of a call is cut into letters by the reference each one prints on its
        first page (_split_letters). Returns {step: error} of those that failed."""
        report = self.env.ref("invoice_followup.action_report_followup_letter")
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        pdfs, errors = {}, {}
        for ids in split_every(LETTERS_PER_CALL, self.ids):
            steps = self.browse(ids)
            try:
                pdf, _type = Report._render_qweb_pdf(report, steps.ids)
                pieces = steps._split_letters(pdf)
            except Exception:  # noqa: BLE001 - rendered alone below, errors kept
                pieces = None
            if pieces is not None:
                pdfs.update(zip(steps, pieces, strict=True))
                continue
            if len(steps) > 1:
                _logger.info("Letters rendered one by one: %s", steps.ids)
            for step in steps:
                try:
                    pdfs[step] = Report._render_qweb_pdf(report, step.ids)[0]
                except Exception as error:  # noqa: BLE001 - the others still go
                    errors[step] = str(error)
        attachments = self.env["ir.attachment"].create(
            [
                {
                    "name": self.env._(
                        "Follow-up letter %(name)s.pdf",
                        name=step.partner_id.display_name,
                    ),
                    "raw": pdf,
                    "res_model": self._name,
                    "res_id": step.id,
                    "mimetype": "application/pdf",
                }
                for step, pdf in pdfs.items()
            ]
        )
        for step, attachment in zip(pdfs, attachments, strict=True):
            step.letter_attachment_id = attachment
        return errors

    def _followup_letter_ref(self):
        """The reference a letter prints (and its PDF is cut by): FU-000042."""
        self.ensure_one()
        return f"FU-{self.id:06d}" if isinstance(self.id, int) else ""

    def _split_letters(self, pdf):
        """The PDF of these steps' letters (rendered together, each from a new
        page) cut into one PDF per step, in order; None when the pages do not
        show exactly these letters' references in this order."""
        if len(self) == 1:
            return [pdf]
        reader = PdfFileReader(io.BytesIO(pdf))
        steps = {step.id: step for step in self}
        starts = []  # (page, step)
        for number in range(reader.numPages):
            text = reader.getPage(number).extract_text() or ""
            found = [int(ref) for ref in LETTER_REF.findall(text)]
            found = [steps[ref] for ref in found if ref in steps]
            if found:
                starts.append((number, found[0]))
        if [step for _page, step in starts] != list(self) or starts[0][0] != 0:
            return None
        pieces = []
        for index, (first, _step) in enumerate(starts):
            last = starts[index + 1][0] if index + 1 < len(starts) else reader.numPages
            writer = PdfFileWriter()
            for number in range(first, last):
                writer.addPage(reader.getPage(number))
            stream = io.BytesIO()
            writer.write(stream)
            pieces.append(stream.getvalue())
        return pieces

    def _execute_activity(self):
        """One activity per step on the customer, for the stage's user, else the
        customer's follow-up responsible; an escalation goes to the escalation
        user, who becomes the responsible. Created together; only escalations
        notify their user by mail (the others are in the responsible's
        activities every morning, not one mail each)."""
        today = fields.Date.context_today(self)
        todo = self.env.ref("mail.mail_activity_data_todo")
        partner_model = self.env["ir.model"]._get_id("res.partner")
        to_create = {False: [], True: []}  # notify: values
        for step in self:
            stage = step.stage_id
            partner = step.partner_id.with_company(step.company_id)
            user = self.env["res.users"]
            if stage.escalate:
                user = (
                    stage.escalation_user_id
                    or step.company_id.followup_escalation_user_id
                )
                if user:
                    # part of the step the user may run, even without the right to edit
                    # contacts
                    partner.sudo().followup_responsible_id = user
            if not user:
                user = (
                    stage.activity_user_id
                    if stage.activity_user_mode == "specific"
                    else step._get_followup_responsible()
                )
            activity_type = stage.activity_type_id or todo
            if not user:
                step._followup_set(
                    {
                        "activity_state": "skipped",
                        "activity_info": self.env._(
                            "Nobody is responsible for this customer's follow-up."
                        ),
                    }
                )
            elif (
                activity_type.category == "phonecall" and not partner.followup_use_phone
            ):
                step._followup_set(
                    {
                        "activity_state": "skipped",
                        "activity_info": self.env._(
                            "The customer does not want calls."
                        ),
                    }
                )
            else:
                to_create[bool(stage.escalate)].append(
                    {
                        "res_model_id": partner_model,
                        "res_id": partner.id,
                        "activity_type_id": activity_type.id,
                        "summary": stage.activity_summary or stage.name,
                        "note": stage.activity_note or step._followup_summary_html(),
                        "user_id": user.id,
                        "date_deadline": today,
                    }
                )
                step._followup_set(
                    {"activity_state": "sent", "activity_info": user.name}
                )
        Activity = self.env["mail.activity"].sudo()
        if to_create[False]:
            Activity.with_context(mail_activity_quick_update=True).create(
                to_create[False]
            )
        if to_create[True]:
            Activity.create(to_create[True])

    # ------------------------------------------------------------------
    # Traces
    # ------------------------------------------------------------------
    @api.model
    @tools.ormcache("self.env.lang")
    def _followup_channel_labels(self):
        """((channel label, state field, info field, {state: label}), ...) in the
        context's language; looked up once, not for every step."""
        return tuple(
            (
                label,
                state_field,
                info_field,
                dict(self._fields[state_field]._description_selection(self.env)),
            )
            for label, state_field, info_field in (
                (self.env._("Email"), "email_state", "email_info"),
                (self.env._("SMS"), "sms_state", "sms_info"),
                (self.env._("WhatsApp"), "whatsapp_state", "whatsapp_info"),
                (self.env._("Letter"), "letter_state", "letter_info"),
                (self.env._("Activity"), "activity_state", "activity_info"),
                (self.env._("Hand-over"), "handover_state", "handover_info"),
            )
        )

    def _followup_channel_summary(self):
        self.ensure_one()
        parts = []
        for label, state_field, info_field, states in self._followup_channel_labels():
            if self[state_field]:
                info = f" ({self[info_field]})" if self[info_field] else ""
                parts.append(f"{label}: {states[self[state_field]]}{info}")
        return parts

    def _followup_title(self):
        self.ensure_one()
        return self.env._(
            "Follow-up step %(stage)s for %(amount)s",
            stage=self.stage_id.name or "",
            amount=self.currency_id.format(self.amount_due or 0.0),
        )

    def _followup_summary_html(self):
        self.ensure_one()
        lines = self._followup_channel_summary()
        if self.error:
            lines.append(self.error)
        return Markup("<p>%s</p><ul>%s</ul>") % (
            self._followup_title(),
            Markup("").join(Markup("<li>%s</li>") % line for line in lines),
        )

    def _followup_chatter_html(self):
        """What the step did, with a link to it: its trace in the customer's chatter."""
        self.ensure_one()
        link = Markup('<a href="#" data-oe-model="%s" data-oe-id="%s">%s</a>') % (
            self._name,
            self.id,
            self.env._("Open the follow-up step"),
        )
        return self._followup_summary_html() + Markup("<p>%s</p>") % link

    def _log_in_chatters(self):
        """The steps' traces: a note in the customer's chatter when no mail's
        message holds it already; a line on each listed invoice when the company
        wants it (the invoice's Follow-up tab lists its steps anyway). One query
        per model for all the steps."""
        partner_bodies, move_bodies = {}, {}
        for step in self:
            if not step.mail_message_id:
                partner_bodies[step.partner_id.id] = step._followup_chatter_html()
            if step.company_id.followup_invoice_notes:
                line = Markup("<p>%s</p>") % "; ".join(
                    [step._followup_title()] + step._followup_channel_summary()
                )
                move_bodies.update(dict.fromkeys(step.move_ids.ids, line))
        if partner_bodies:
            self.env["res.partner"].browse(list(partner_bodies))._message_log_batch(
                partner_bodies
            )
        if move_bodies:
            self.env["account.move"].browse(list(move_bodies))._message_log_batch(
                move_bodies
            )

    # ------------------------------------------------------------------
    # The templates' values (mail, SMS): ``object._get_followup_*()`` in the
    # templates. They come from the one builder, invoice.followup.document.
    # ------------------------------------------------------------------
    def _get_followup_lines(self):
        """Listed invoices as dicts for the mails, oldest due first, with their
        absolute links: 'url' (the invoice in the portal) and 'action_urls'
        (the customer's answers)."""
        self.ensure_one()
        return self.env["invoice.followup.document"]._step_lines(self)

    def _get_followup_totals(self):
        """[(currency, amount due)] over the listed invoices, per currency."""
        self.ensure_one()
        return self.env["invoice.followup.document"]._totals(self.move_ids)

    def _get_followup_responsible(self):
        """Who follows this customer up (res.users)."""
        self.ensure_one()
        return self.partner_id._followup_get_responsible(self.company_id)

    def _get_followup_salutation(self):
        """ "Dear <name>," in the rendering language (word order left to
        translators)."""
        self.ensure_one()
        name = self.recipient_id.name or self.partner_id.name or ""
        return self.env._("Dear %(name)s,", name=name)

    def _get_followup_direction(self):
        """'rtl' or 'ltr': the direction of the recipient's language."""
        self.ensure_one()
        return (self.recipient_id or self.partner_id)._followup_text_direction()

    def _get_followup_align(self):
        """'right' for a right-to-left language, else 'left'."""
        self.ensure_one()
        return align(self._get_followup_direction())

    def _get_followup_align_end(self):
        self.ensure_one()
        return align(self._get_followup_direction(), end=True)

    def _get_followup_pay_url(self, move=None):
        """Where "Pay now" leads: the invoice's portal page, for several
        invoices the statement (absolute)."""
        self.ensure_one()
        return self.env["invoice.followup.document"]._pay_url(
            self.partner_id, move or self.move_ids
        )

    def _get_followup_statement_url(self):
        """The customer's statement in the portal (signed link, absolute)."""
        self.ensure_one()
        return self.partner_id._followup_get_statement_url()

    def _get_followup_policy_url(self):
        """Signed link to the company's payment policy in the portal, or False
        when the company wrote none."""
        self.ensure_one()
        return self.env["invoice.followup.document"]._policy_url(
            self.partner_id, self.company_id
        )

    def _get_followup_rate_url(self, rate):
        """Signed link by which the customer says whether this reminder helped:
        ``rate`` 5 (yes), 3 (somewhat) or 1 (no)."""
        self.ensure_one()
        return self.partner_id._followup_get_statement_url(
            f"/my/followup/rate/{self.id}/{rate}"
        )

    @api.model
    def _followup_to_rate(self, partner):
        """The customer's latest step of the last 30 days, when it has not said
        yet whether it helped (the statement then asks)."""
        step = self.search(
            [
                ("partner_id", "=", partner.commercial_partner_id.id),
                ("state", "=", "done"),
                ("date", ">=", fields.Date.subtract(fields.Date.today(), days=30)),
            ],
            limit=1,
        )
        rated = step.rating_ids.filtered("consumed")
        return step if step and not rated else self.browse()

    def _followup_rating_token(self):
        """The token of Odoo's rating page (rating.rating) for the customer's
        feedback on this step: one open rating per step, made when first asked."""
        self.ensure_one()
        return self.sudo()._rating_get_access_token(self.partner_id)

    def rating_apply(self, rate, token=None, rating=None, feedback=None, **kwargs):
        """A customer's feedback on a reminder (Odoo's rating pages): a low
        rating with a comment gives the customer's responsible an activity."""
        rating = super().rating_apply(
            rate, token=token, rating=rating, feedback=feedback, **kwargs
        )
        if rate <= 2 and (feedback or "").strip():
            step = self.sudo()
            user = step.partner_id._followup_get_responsible(step.company_id)
            if user:
                step.partner_id.with_context(
                    mail_activity_quick_update=True
                ).activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=self.env._("A customer found a reminder unhelpful"),
                    note=self.env._(
                        "%(customer)s rated %(step)s: %(feedback)s",
                        customer=step.partner_id.display_name,
                        step=step.display_name,
                        feedback=feedback,
                    ),
                    user_id=user.id,
                    date_deadline=fields.Date.context_today(self),
                )
        return rating

    def _rating_get_parent_field_name(self):
        return "stage_id"

    def _rating_get_operator(self):
        """Who is rated: the customer's follow-up responsible, not whoever
        happened to run the step."""
        return self.partner_id._followup_get_responsible(self.company_id).partner_id

    def _get_followup_interest(self):
        """The statutory interest accrued on this step's invoices on its day,
        for the stages that show it (the final notice) when the company claims
        interest: see invoice.followup.charge._interest_summary; else False."""
        self.ensure_one()
        if not (
            self.stage_id.show_interest and self.company_id.followup_interest_regime_id
        ):
            return False
        return self.env["invoice.followup.charge"]._interest_summary(
            self.partner_id, self.company_id, self.move_ids, self.date
        )

    def _get_followup_sms_url(self):
        """Short signed link to the statement, for SMS."""
        self.ensure_one()
        return self.partner_id._followup_get_short_url()

    def _get_followup_invoice_action_url(self, move, action):
        """Signed link for one invoice's answer in the portal: 'confirm'
        (receipt), 'question', 'paid' or 'promise'."""
        self.ensure_one()
        return self.env["invoice.followup.document"]._invoice_action_url(move, action)

    def _get_followup_oldest_due(self):
        self.ensure_one()
        dates = [d for d in self.move_ids.mapped("followup_date_due") if d]
        return min(dates) if dates else False

    def _get_followup_sms_amount(self):
        """The amount due as an SMS says it: "1,250.00 SAR, 80.00 $"."""
        self.ensure_one()
        return sms_amounts(self._get_followup_totals())

    def _get_followup_sms_segments(self, template=None):
        """Segments of the SMS this step sends (rendered in the customer's
        language): {'encoding', 'length', 'segments', 'per_segment', 'remaining'}."""
        self.ensure_one()
        template = template or self._followup_sms_template()
        body = (
            template._render_field("body", self.ids, compute_lang=True)[self.id]
            if template
            else ""
        )
        return sms_segments(body)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _action_show_result(self):
        if not self:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "warning",
                    "message": self.env._(
                        "Nothing to send: no follow-up step is due for these "
                        "invoices, or their customer "
                        "had its follow-up step today already."
                    ),
                },
            }
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "invoice_followup.invoice_followup_log_action"
        )
        action["domain"] = [("id", "in", self.ids)]
        if len(self) == 1:
            action.update(
                {"view_mode": "form", "views": [(False, "form")], "res_id": self.id}
            )
        return action

    def action_print_letters(self):
        """Print the selected letters as one PDF and mark them printed."""
        letters = self.filtered(
            lambda step: step.letter_state in ("to_print", "printed")
        )
        letters.filtered(
            lambda step: step.letter_state == "to_print"
        ).letter_state = "printed"
        return self.env.ref(
            "invoice_followup.action_report_followup_letter"
        ).report_action(letters)

    def action_open_letter(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.letter_attachment_id.id}?download=true",
            "target": "self",
        }
