# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools.image import image_data_uri

from ..tools.sms_segments import sms_segments

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
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_names_search = ["partner_id", "stage_id"]

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, readonly=True
    )
    recipient_id = fields.Many2one(
        "res.partner", string="Recipient", readonly=True,
        help="Contact the reminder was addressed to.",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    stage_id = fields.Many2one(
        "invoice.followup.stage", string="Stage", readonly=True, check_company=True, index=True
    )
    move_ids = fields.Many2many(
        "account.move",
        "invoice_followup_log_account_move_rel",
        "log_id",
        "move_id",
        string="Invoices",
        readonly=True,
    )
    date = fields.Date(default=fields.Date.context_today, required=True, index=True, readonly=True)
    run_by = fields.Selection(
        [("cron", "Daily run"), ("user", "User")], default="user", readonly=True
    )
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user, readonly=True)
    state = fields.Selection(
        [("done", "Done"), ("failed", "Failed"), ("skipped", "Skipped")],
        default="done",
        readonly=True,
        index=True,
    )
    error = fields.Text(readonly=True)
    amount_due = fields.Monetary(
        readonly=True, help="Amount due on the listed invoices then, in company currency."
    )
    amount_credit = fields.Monetary(
        "Open Credits", readonly=True,
        help="Credit notes and payments of the customer not yet applied to an invoice.",
    )
    email_state = fields.Selection(CHANNEL_STATES, "Email", readonly=True)
    email_info = fields.Char("Email Details", readonly=True)
    mail_message_id = fields.Many2one("mail.message", "Email Message", readonly=True)
    sms_state = fields.Selection(CHANNEL_STATES, "SMS", readonly=True)
    sms_info = fields.Char("SMS Details", readonly=True)
    sms_message_id = fields.Many2one("mail.message", "SMS Message", readonly=True)
    letter_state = fields.Selection(LETTER_STATES, "Letter", readonly=True, index=True)
    letter_info = fields.Char("Letter Details", readonly=True)
    letter_attachment_id = fields.Many2one("ir.attachment", "Letter PDF", readonly=True)
    receipt_date = fields.Datetime(
        "Receipt Confirmed On", readonly=True,
        help="When the customer confirmed, from this step's link, that the invoice arrived.",
    )
    activity_state = fields.Selection(CHANNEL_STATES, "Activity", readonly=True)
    activity_info = fields.Char("Activity Details", readonly=True)

    @api.depends("partner_id", "stage_id", "date")
    def _compute_display_name(self):
        for log in self:
            log.display_name = self.env._(
                "%(stage)s – %(customer)s (%(date)s)",
                stage=log.stage_id.name or self.env._("Follow-up"),
                customer=log.partner_id.display_name,
                date=fields.Date.to_string(log.date),
            )

    # ------------------------------------------------------------------
    # Creation
    # ------------------------------------------------------------------
    @api.model
    def _followup_recipient(self, partner):
        """The follow-up contact, else the invoice address, else the customer."""
        if partner.followup_partner_id:
            return partner.followup_partner_id
        return self.env["res.partner"].browse(partner.address_get(["invoice"])["invoice"])

    @api.model
    def _create_for_step(self, partner, company, stage, moves, run_by):
        """Create the log of a step: the invoices of the step plus every other
        overdue invoice of the customer that is not paused."""
        today = fields.Date.context_today(self)
        overdue = self.env["account.move"].search(
            [
                ("commercial_partner_id", "=", partner.id),
                ("company_id", "=", company.id),
                ("move_type", "in", ("out_invoice", "out_receipt")),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("followup_date_due", "<", today),
                ("followup_state", "in", ("planned", "action_needed", "done")),
                ("id", "not in", moves.ids),
            ]
        )
        listed = (moves | overdue).sorted(lambda m: (m.followup_date_due or today, m.id))
        return self.with_context(mail_create_nosubscribe=True).create(
            {
                "partner_id": partner.id,
                "recipient_id": self._followup_recipient(partner).id,
                "company_id": company.id,
                "stage_id": stage.id,
                "move_ids": [fields.Command.set(listed.ids)],
                "run_by": run_by,
                "amount_due": sum(listed.mapped("amount_residual_signed")),
                "amount_credit": self._followup_open_credit(partner, company),
            }
        )

    @api.model
    def _followup_open_credit(self, partner, company):
        """Unapplied credit notes and payments on the customer's receivable."""
        groups = self.env["account.move.line"].sudo()._read_group(
            [
                ("partner_id", "child_of", partner.id),
                ("company_id", "=", company.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0),
            ],
            [],
            ["amount_residual:sum"],
        )
        return -(groups[0][0] or 0.0)

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------
    def _execute(self):
        """Run the stage's channels for this step, filtered by the customer's
        preferences, record each outcome and leave a trace in the chatters."""
        self.ensure_one()
        stage = self.stage_id
        partner = self.partner_id
        if self.currency_id.compare_amounts(self.amount_due, self.amount_credit) <= 0:
            self.write({
                "state": "skipped",
                "error": self.env._("The customer's open credits cover the amount due."),
            })
            self._log_in_chatters()
            return
        self.move_ids._invoice_followup_ensure_tokens()  # the mail, SMS and letter link them
        if stage.send_email:
            self._execute_email()
        if stage.send_sms:
            self._execute_sms()
        reached = "sent" in (self.email_state, self.sms_state)
        wanted_remote = stage.send_email or stage.send_sms
        if stage.send_letter:
            if partner.followup_use_letter:
                self._execute_letter()
            else:
                self.letter_state = "skipped"
                self.letter_info = self.env._("The customer does not want letters.")
        elif wanted_remote and not reached and self.company_id.followup_letter_fallback:
            self._execute_letter(fallback=True)
        if stage.create_activity or stage.escalate:
            self._execute_activity()
        self._log_in_chatters()

    def _execute_email(self):
        recipient = self.recipient_id
        template = self.stage_id.mail_template_id
        if not self.partner_id.followup_use_email:
            self.write({"email_state": "skipped", "email_info": self.env._("The customer opted out of emails.")})
        elif not template:
            self.write({"email_state": "skipped", "email_info": self.env._("The stage has no email template.")})
        elif not recipient.email:
            self.write({"email_state": "skipped", "email_info": self.env._("No email address.")})
        else:
            attachments = self._followup_invoice_attachments() if self.stage_id.attach_invoices else []
            values = {"force_send": False}
            if attachments:
                values["attachment_ids"] = [fields.Command.set([a.id for a in attachments])]
            messages = self.with_context(mail_notify_force_send=False).message_post_with_source(
                template,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                **values,
            )
            self.write({
                "email_state": "sent",
                "email_info": recipient.email_formatted,
                "mail_message_id": messages[:1].id,
            })

    def _followup_invoice_attachments(self):
        """The invoices' own PDFs: the one Odoo keeps, else rendered now."""
        attachments = self.env["ir.attachment"]
        for move in self.move_ids:
            if move.invoice_pdf_report_id:
                attachments |= move.invoice_pdf_report_id
                continue
            pdf, _type = self.env["ir.actions.report"].with_context(
                force_report_rendering=True
            )._render_qweb_pdf("account.account_invoices", move.ids)
            attachments |= self.env["ir.attachment"].create({
                "name": f"{move._get_move_display_name().replace('/', '_')}.pdf",
                "raw": pdf,
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "application/pdf",
            })
        return attachments

    def _execute_sms(self):
        recipient = self.recipient_id
        template = self.stage_id.sms_template_id
        number = recipient.mobile or recipient.phone or self.partner_id.mobile or self.partner_id.phone
        if not self.partner_id.followup_use_sms:
            self.write({"sms_state": "skipped", "sms_info": self.env._("The customer opted out of SMS.")})
        elif not template:
            self.write({"sms_state": "skipped", "sms_info": self.env._("The stage has no SMS template.")})
        elif not number:
            self.write({"sms_state": "skipped", "sms_info": self.env._("No mobile number.")})
        elif not (sanitized := recipient._phone_format(number=number)):
            self.write({
                "sms_state": "skipped",
                "sms_info": self.env._("Invalid phone number: %(number)s", number=number),
            })
        else:
            message = self._message_sms_with_template(
                template=template,
                partner_ids=recipient.ids,
                sms_pid_to_number={recipient.id: sanitized},
                put_in_queue=True,
            )
            self.write({"sms_state": "sent", "sms_info": sanitized, "sms_message_id": message.id})

    def _execute_letter(self, fallback=False):
        try:
            self._render_letter()
        except Exception as error:  # noqa: BLE001 - the other channels still count
            self.write({"letter_state": "failed", "letter_info": str(error)})
            return
        self.write({
            "letter_state": "to_print",
            "letter_info": self.env._("No email or SMS reached the customer: letter instead.")
            if fallback else False,
        })

    def _render_letter(self):
        report = self.env.ref("invoice_followup.action_report_followup_letter")
        pdf, _type = self.env["ir.actions.report"].with_context(
            force_report_rendering=True
        )._render_qweb_pdf(report, self.ids)
        self.letter_attachment_id = self.env["ir.attachment"].create({
            "name": self.env._("Follow-up letter %(name)s.pdf", name=self.partner_id.display_name),
            "raw": pdf,
            "res_model": self._name,
            "res_id": self.id,
            "mimetype": "application/pdf",
        })

    def _followup_responsible(self):
        return self.partner_id._followup_get_responsible(self.company_id)

    def _execute_activity(self):
        stage = self.stage_id
        partner = self.partner_id.with_company(self.company_id)
        user = self.env["res.users"]
        if stage.escalate:
            user = stage.escalation_user_id or self.company_id.followup_escalation_user_id
            if user:
                partner.followup_responsible_id = user
        if not user:
            user = stage.activity_user_id if stage.activity_user_mode == "specific" else self._followup_responsible()
        activity_type = stage.activity_type_id or self.env.ref("mail.mail_activity_data_todo")
        if not user:
            self.write({
                "activity_state": "skipped",
                "activity_info": self.env._("Nobody is responsible for this customer's follow-up."),
            })
            return
        if activity_type.category == "phonecall" and not partner.followup_use_phone:
            self.write({"activity_state": "skipped", "activity_info": self.env._("The customer does not want calls.")})
            return
        partner.activity_schedule(
            activity_type_id=activity_type.id,
            summary=stage.activity_summary or stage.name,
            note=stage.activity_note or self._followup_summary_html(),
            user_id=user.id,
            date_deadline=fields.Date.context_today(self),
        )
        self.write({"activity_state": "sent", "activity_info": user.name})

    # ------------------------------------------------------------------
    # Traces
    # ------------------------------------------------------------------
    def _followup_channel_summary(self):
        self.ensure_one()
        parts = []
        for label, state_field, info_field in (
            (self.env._("Email"), "email_state", "email_info"),
            (self.env._("SMS"), "sms_state", "sms_info"),
            (self.env._("Letter"), "letter_state", "letter_info"),
            (self.env._("Activity"), "activity_state", "activity_info"),
        ):
            if self[state_field]:
                state_label = dict(self._fields[state_field]._description_selection(self.env))[self[state_field]]
                info = f" ({self[info_field]})" if self[info_field] else ""
                parts.append(f"{label}: {state_label}{info}")
        return parts

    def _followup_summary_html(self):
        self.ensure_one()
        lines = self._followup_channel_summary()
        if self.error:
            lines.append(self.error)
        title = self.env._(
            "Follow-up step %(stage)s for %(amount)s",
            stage=self.stage_id.name or "",
            amount=self.currency_id.format(self.amount_due or 0.0),
        )
        return Markup("<p>%s</p><ul>%s</ul>") % (
            title,
            Markup("").join(Markup("<li>%s</li>") % line for line in lines),
        )

    def _log_in_chatters(self):
        self.ensure_one()
        body = self._followup_summary_html() + Markup('<p><a href="#" data-oe-model="%s" data-oe-id="%s">%s</a></p>') % (
            self._name, self.id, self.env._("Open the follow-up step")
        )
        self.partner_id._message_log_batch({self.partner_id.id: body})
        if self.move_ids:
            self.move_ids._message_log_batch({move.id: body for move in self.move_ids})

    # ------------------------------------------------------------------
    # Rendering helpers (templates, letter)
    # ------------------------------------------------------------------
    def _get_followup_lines(self):
        """Listed invoices as dicts for the templates, oldest due first."""
        self.ensure_one()
        return self._get_followup_move_lines(self.move_ids, self.date)

    def _get_followup_totals(self):
        """[(currency, amount due)] over the listed invoices, per currency."""
        self.ensure_one()
        totals = defaultdict(float)
        for move in self.move_ids:
            totals[move.currency_id] += move.amount_residual
        return sorted(totals.items(), key=lambda item: item[0].name)

    def _get_followup_responsible(self):
        self.ensure_one()
        return self._followup_responsible()

    def _get_followup_salutation(self):
        """"Dear <name>," in the rendering language (word order left to translators)."""
        self.ensure_one()
        name = self.recipient_id.name or self.partner_id.name or ""
        return self.env._("Dear %(name)s,", name=name)

    def _get_followup_align(self):
        """'right' for a right-to-left language, else 'left': mail clients
        such as Outlook ignore ``text-align: start / end``."""
        self.ensure_one()
        return "right" if self._get_followup_direction() == "rtl" else "left"

    def _get_followup_align_end(self):
        self.ensure_one()
        return "left" if self._get_followup_direction() == "rtl" else "right"

    def _get_followup_pay_url(self, move=None):
        """Where "Pay now" leads: the invoice's portal page (account_payment
        shows its Pay button there); for several invoices, the statement."""
        self.ensure_one()
        moves = move or self.move_ids
        if len(moves) == 1:
            return self.get_base_url() + moves.get_portal_url()
        return self._get_followup_short_url()

    def _get_followup_sms_segments(self, template=None):
        """Segments of the SMS this step sends (rendered in the customer's
        language): {'encoding', 'length', 'segments', 'per_segment', 'remaining'}."""
        self.ensure_one()
        template = template or self.stage_id.sms_template_id
        body = template._render_field("body", self.ids, compute_lang=True)[self.id] if template else ""
        return sms_segments(body)

    @api.model
    def _get_followup_move_lines(self, moves, today=None):
        """``moves`` as dicts for the letter and statement, oldest due first."""
        today = today or fields.Date.context_today(self)
        lines = []
        for move in moves.sorted(lambda m: (m.followup_date_due or m.invoice_date_due or today, m.id)):
            due = move.followup_date_due or move.invoice_date_due
            lines.append({
                "move": move,
                "name": move.name,
                "ref": move.ref,
                "portal_url": move.get_portal_url(),
                "invoice_date": move.invoice_date,
                "date_due": due,
                "days_late": max((today - due).days, 0) if due else 0,
                "amount_total": move.amount_total,
                "amount_residual": move.amount_residual,
                "currency": move.currency_id,
            })
        return lines

    @api.model
    def _get_followup_currency_totals(self, moves):
        """[(currency, amount due)] over ``moves``, per currency."""
        totals = defaultdict(float)
        for move in moves:
            totals[move.currency_id] += move.amount_residual
        return sorted(totals.items(), key=lambda item: item[0].name)

    @api.model
    def _get_followup_ageing(self, partner, company, today=None):
        """Ageing of ALL the customer's open invoices in ``company``, per
        currency, by open instalment (payment-term line): [{'currency',
        'buckets': [not due, 1-30, 31-60, 61-90, over 90], 'total'}]."""
        today = today or fields.Date.context_today(self)
        lines = self.env["account.move.line"].search([
            ("move_id.commercial_partner_id", "=", partner.commercial_partner_id.id),
            ("company_id", "=", company.id),
            ("move_id.move_type", "in", ("out_invoice", "out_receipt")),
            ("move_id.state", "=", "posted"),
            ("move_id.payment_state", "in", ("not_paid", "partial")),
            ("display_type", "=", "payment_term"),
            ("reconciled", "=", False),
        ])
        by_currency = {}
        for line in lines:
            if line.currency_id.is_zero(line.amount_residual_currency):
                continue
            days = (today - (line.date_maturity or line.date)).days
            index = 0 if days <= 0 else 1 if days <= 30 else 2 if days <= 60 else 3 if days <= 90 else 4
            row = by_currency.setdefault(line.currency_id, [0.0] * 5)
            row[index] += line.amount_residual_currency
        return [
            {"currency": currency, "buckets": buckets, "total": sum(buckets)}
            for currency, buckets in sorted(by_currency.items(), key=lambda item: item[0].name)
        ]

    @api.model
    def _get_followup_qr_src(self, value, size=150):
        """A QR code of ``value`` as a data URI: no HTTP request from wkhtmltopdf."""
        png = self.env["ir.actions.report"].barcode("QR", value, width=size, height=size)
        return image_data_uri(base64.b64encode(png))

    @api.model
    def _get_followup_statement(self, partner, company, log=None):
        """Everything the letter (``log`` given) or the statement of account
        (all open invoices of ``partner``) shows, for one customer and company."""
        partner = partner.commercial_partner_id
        today = log.date if log else fields.Date.context_today(self)
        if log:
            moves = log.move_ids
            recipient = log.recipient_id or partner
        else:
            moves = partner.with_company(company)._followup_open_invoices()
            recipient = self._followup_recipient(partner)
        lang = recipient.lang or partner.lang or self.env.lang or "en_US"
        direction = recipient._followup_text_direction()
        statement_url = partner._followup_get_statement_url()
        pay_url = (
            partner.get_base_url() + moves.get_portal_url() if len(moves) == 1 else statement_url
        )
        return {
            "log": log,
            "stage": log.stage_id if log else self.env["invoice.followup.stage"],
            "partner": partner,
            "recipient": recipient,
            "company": company,
            "lang": lang,
            "direction": direction,
            "align": "right" if direction == "rtl" else "left",
            "align_end": "left" if direction == "rtl" else "right",
            "date": today,
            "lines": self._get_followup_move_lines(moves, today),
            "totals": self._get_followup_currency_totals(moves),
            "credit": log.amount_credit if log else self._followup_open_credit(partner, company),
            "credit_currency": company.currency_id,
            "ageing": self._get_followup_ageing(partner, company, today),
            "statement_url": statement_url,
            "pay_url": pay_url,
            "qr_src": self._get_followup_qr_src(pay_url),
            "banks": company.partner_id.bank_ids,
            "responsible": partner._followup_get_responsible(company),
        }

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
                    "message": self.env._("Nothing to send: no follow-up step is due for these invoices."),
                },
            }
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "invoice_followup.invoice_followup_log_action"
        )
        action["domain"] = [("id", "in", self.ids)]
        if len(self) == 1:
            action.update({"view_mode": "form", "views": [(False, "form")], "res_id": self.id})
        return action

    def action_print_letters(self):
        """Print the selected letters as one PDF and mark them printed."""
        letters = self.filtered(lambda log: log.letter_state in ("to_print", "printed"))
        letters.filtered(lambda log: log.letter_state == "to_print").letter_state = "printed"
        return self.env.ref("invoice_followup.action_report_followup_letter").report_action(letters)

    def action_open_letter(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.letter_attachment_id.id}?download=true",
            "target": "self",
        }

    def _get_followup_direction(self):
        self.ensure_one()
        return (self.recipient_id or self.partner_id)._followup_text_direction()

    def _get_followup_oldest_due(self):
        self.ensure_one()
        dates = [d for d in self.move_ids.mapped("followup_date_due") if d]
        return min(dates) if dates else False

    def _get_followup_sms_amount(self):
        self.ensure_one()
        # no-break spaces of the amount format would turn the SMS into UCS-2
        return ", ".join(
            currency.format(amount).replace("\N{NO-BREAK SPACE}", " ").replace("\N{NARROW NO-BREAK SPACE}", " ")
            for currency, amount in self._get_followup_totals()
        )

    def _get_followup_short_url(self):
        """The customer's statement in the portal (signed link)."""
        self.ensure_one()
        return self.partner_id._followup_get_statement_url()

    def _get_followup_sms_url(self):
        """Short signed link to the statement, for SMS."""
        self.ensure_one()
        return self.partner_id._followup_get_short_url()

    def _get_followup_invoice_action_url(self, move, action):
        """Signed link for one invoice's portal action: 'confirm' (receipt),
        'question', 'paid' or 'promise'. Served by the portal controller."""
        self.ensure_one()
        return "%s/my/followup/invoice/%s/%s?access_token=%s" % (
            self.get_base_url(), move.id, action, move._portal_ensure_token(),
        )
