# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import ast
import base64
import logging
from collections import defaultdict

import babel.dates
from markupsafe import Markup

from psycopg2 import errors as pg_errors

from odoo import api, fields, models, tools
from odoo.tools import SQL
from odoo.tools.image import image_data_uri
from odoo.tools.mail import is_html_empty
from odoo.tools.misc import babel_locale_parse, get_lang, posix_to_ldml

from odoo.addons.base.models.res_lang import intersperse

from ..tools.sms_segments import sms_segments

_logger = logging.getLogger(__name__)

DAY_STEP_INDEX = "invoice_followup_log_day_step_uniq"
# the advisory lock of one (customer p, company c) step, for every run
STEP_LOCK_KEY = SQL("hashtextextended('invoice_followup.step:' || c || ':' || p, 0)")
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
    is_day_step = fields.Boolean(
        "Step of the Day", readonly=True, copy=False,
        help="This step is the customer's follow-up step of its day in its company: PostgreSQL "
        "allows one, so that two runs at once or a run after a crash never send a second one. "
        "Failed attempts and previews are not.",
    )

    def init(self):
        # one step per customer, company and day, whoever runs it (cron workers,
        # servers, an accountant's "Send now"): guarded by PostgreSQL itself
        self.env.cr.execute(SQL(
            "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (partner_id, company_id, date) WHERE is_day_step",
            SQL.identifier(DAY_STEP_INDEX), SQL.identifier(self._table),
        ))

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
    def _create_for_step(self, partner, company, stage, moves, run_by, day_step=True):
        """The log of one step (see _create_for_steps)."""
        step = {"partner": partner, "company": company, "stage": stage, "targets": dict.fromkeys(moves, stage)}
        return self._create_for_steps([step], run_by, day_step=day_step)

    @api.model
    def _create_for_steps(self, steps, run_by, day_step=True):
        """Create the logs of ``steps`` (see account.move._invoice_followup_plan_steps)
        in one go. A log lists the invoices of its step plus every other overdue
        invoice of the customer that is not paused. ``day_step``: the logs are
        the customers' steps of the day (not a failed attempt nor a preview)."""
        today = fields.Date.context_today(self)
        Move = self.env["account.move"]
        partners = self.env["res.partner"].concat(*(step["partner"] for step in steps))
        companies = self.env["res.company"].concat(*(step["company"] for step in steps))
        step_moves = Move.concat(*(Move.concat(*step["targets"]) for step in steps))
        overdue = Move.search(
            [
                ("commercial_partner_id", "in", partners.ids),
                ("company_id", "in", companies.ids),
                ("move_type", "in", ("out_invoice", "out_receipt")),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("followup_date_due", "<", today),
                ("followup_state", "in", ("planned", "action_needed", "done")),
                ("id", "not in", step_moves.ids),
            ]
        ).grouped(lambda m: (m.commercial_partner_id, m.company_id))
        credits = self._followup_open_credits(partners, companies)
        vals_list = []
        for step in steps:
            partner, company = step["partner"], step["company"]
            listed = Move.concat(*step["targets"]) | overdue.get((partner, company), Move)
            listed = listed.sorted(lambda m: (m.followup_date_due or today, m.id))
            vals_list.append({
                "partner_id": partner.id,
                "recipient_id": self._followup_recipient(partner).id,
                "company_id": company.id,
                "stage_id": step["stage"].id,
                "move_ids": [fields.Command.set(listed.ids)],
                "run_by": run_by,
                "amount_due": sum(listed.mapped("amount_residual_signed")),
                "amount_credit": credits[partner.id, company.id],
                "is_day_step": day_step,
            })
        return self.with_context(mail_create_nosubscribe=True, mail_create_nolog=True).create(vals_list)

    @api.model
    def _followup_run_steps(self, steps, run_by):
        """Create and execute the logs of ``steps``, then move their invoices on.
        Each run first locks its customers (see _followup_claim_steps: a
        customer another run works on is waited for, one that had its step
        today is left out), and the unique index on the day's step stops what a
        concurrent run committed meanwhile."""
        steps = self._followup_claim_steps(steps)
        return self._followup_execute_steps(steps, run_by)

    @api.model
    def _followup_claim_steps(self, steps):
        """The steps this transaction may execute: their (customer, company) locked
        for this transaction and no step of the day yet. A customer another run
        holds is waited for (at most invoice_followup.lock_wait_seconds, 60 by
        default; all locks taken in one order, so two runs never deadlock on
        them): when that run commits, the unique index leaves the customer to it;
        when it dies, this run does the step. Past the wait, the customers still
        held are left out of this run (the daily run comes back to them)."""
        if not steps:
            return steps
        keys = [(step["partner"].id, step["company"].id) for step in steps]
        partner_ids, company_ids = [key[0] for key in keys], [key[1] for key in keys]
        wait = self.env["ir.config_parameter"].sudo().get_param("invoice_followup.lock_wait_seconds", "60")
        wait = int(wait) if str(wait).isdigit() else 60
        try:
            with self.env.cr.savepoint(flush=False):
                [(previous,)] = self.env.execute_query(SQL("SELECT current_setting('lock_timeout')"))
                self.env.execute_query(SQL("SELECT set_config('lock_timeout', %s, true)", f"{wait * 1000}ms"))
                # a lock timeout is an expected outcome here, not an error to log
                self.env.cr.execute(SQL(
                    """SELECT pg_advisory_xact_lock(lock_key) FROM (
                           SELECT %s AS lock_key FROM unnest(%s::int[], %s::int[]) AS k(p, c) ORDER BY 1) AS keys""",
                    STEP_LOCK_KEY, partner_ids, company_ids,
                ), log_exceptions=False)
                self.env.execute_query(SQL("SELECT set_config('lock_timeout', %s, true)", previous))
            locked = set(keys)
        except pg_errors.LockNotAvailable:
            locked = {
                (partner_id, company_id)
                for partner_id, company_id in self.env.execute_query(SQL(
                    "SELECT p, c FROM unnest(%s::int[], %s::int[]) AS k(p, c) WHERE pg_try_advisory_xact_lock(%s)",
                    partner_ids, company_ids, STEP_LOCK_KEY,
                ))
            }
        self.flush_model(["partner_id", "company_id", "date", "is_day_step"])
        done = set(self.env.execute_query(SQL(
            """SELECT partner_id, company_id FROM invoice_followup_log
                WHERE is_day_step AND date = %s AND partner_id = ANY(%s) AND company_id = ANY(%s)""",
            fields.Date.context_today(self), partner_ids, company_ids,
        )))
        claimed = [step for step, key in zip(steps, keys, strict=True) if key in locked and key not in done]
        if len(claimed) < len(steps):
            _logger.info("Follow-up: %s customer(s) left out (another run holds them or they had their step today)",
                         len(steps) - len(claimed))
        return claimed

    @api.model
    def _followup_execute_steps(self, steps, run_by):
        """Execute the claimed ``steps`` together (one query per kind of record
        for all of them). When something fails, the work is rolled back and done
        again in halves until the failing customer is alone: it gets a failed
        log, the others go out. A customer whose step another run committed in
        the meantime (the unique index refuses a second one) is left alone."""
        if not steps:
            return self
        try:
            with self.env.cr.savepoint():
                logs = self._create_for_steps(steps, run_by)
                logs._execute()
                self.env["account.move"]._invoice_followup_mark_done(steps)
            return logs
        except Exception as error:  # noqa: BLE001 - recorded on the log, the run goes on
            if len(steps) > 1:
                half = len(steps) // 2
                return (
                    self._followup_execute_steps(steps[:half], run_by)
                    | self._followup_execute_steps(steps[half:], run_by)
                )
            if isinstance(error, pg_errors.UniqueViolation) and DAY_STEP_INDEX in str(error):
                _logger.info("Follow-up: customer %s had its step from another run", steps[0]["partner"].id)
                return self
            _logger.warning("Follow-up failed for customer %s: %s", steps[0]["partner"].id, error, exc_info=True)
            log = self._create_for_steps(steps, run_by, day_step=False)
            log._followup_set({"state": "failed", "error": str(error)})
            return log

    @api.model
    def _followup_open_credit(self, partner, company):
        """Unapplied credit notes and payments on the customer's receivable."""
        partner = partner.commercial_partner_id
        return self._followup_open_credits(partner, company)[partner.id, company.id]

    @api.model
    def _followup_open_credits(self, partners, companies):
        """{(commercial partner id, company id): unapplied credit} for ``partners``
        (commercial partners) and their contacts, in one query."""
        groups = self.env["account.move.line"].sudo()._read_group(
            [
                ("partner_id", "child_of", partners.ids),
                ("company_id", "in", companies.ids),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0),
            ],
            ["partner_id", "company_id"],
            ["amount_residual:sum"],
        )
        credits = defaultdict(float)
        for partner, company, amount in groups:
            credits[partner.commercial_partner_id.id, company.id] -= amount or 0.0
        return credits

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------
    def _execute(self):
        """Run the stages' channels for these steps, filtered by each customer's
        preferences, record each outcome and leave a trace in the chatters.
        Each channel works on all the steps at once."""
        covered = self.filtered(
            lambda log: log.currency_id.compare_amounts(log.amount_due, log.amount_credit) <= 0
        )
        covered._followup_set({
            "state": "skipped",
            "error": self.env._("The customer's open credits cover the amount due."),
        })
        todo = self - covered
        # the mail, SMS and letter link the invoices and the statement
        todo.move_ids._invoice_followup_ensure_tokens()
        todo.partner_id._followup_ensure_access_tokens()
        # the mails go last: their message in the customer's chatter says what
        # every channel did
        emails = todo.filtered("stage_id.send_email")._followup_plan_emails()
        todo.filtered("stage_id.send_sms")._execute_sms()
        for log in todo:
            stage = log.stage_id
            reached = "sent" in (log.email_state, log.sms_state)
            if stage.send_letter:
                if log.partner_id.followup_use_letter:
                    log._execute_letter()
                else:
                    log._followup_set({
                        "letter_state": "skipped",
                        "letter_info": self.env._("The customer does not want letters."),
                    })
            elif (stage.send_email or stage.send_sms) and not reached and log.company_id.followup_letter_fallback:
                log._execute_letter(fallback=True)
        todo.filtered(lambda log: log.stage_id.create_activity or log.stage_id.escalate)._execute_activity()
        for template, logs in emails.items():
            logs._followup_queue_emails(template)
        self._log_in_chatters()

    def _followup_set(self, values):
        """Record outcomes on steps (no field of theirs is tracked: skip the
        tracking preparation, which costs more than the write)."""
        return self.with_context(tracking_disable=True).write(values)

    def _execute_email(self):
        """The mail of these steps alone (_execute() sends it with the others)."""
        for template, logs in self._followup_plan_emails().items():
            logs._followup_queue_emails(template)

    def _followup_plan_emails(self):
        """Record why a step gets no mail; {template: steps} for the others."""
        by_template = defaultdict(lambda: self.browse())
        for log in self:
            template = log.stage_id.mail_template_id
            if not log.partner_id.followup_use_email:
                log._followup_set({"email_state": "skipped", "email_info": self.env._("The customer opted out of emails.")})
            elif not template:
                log._followup_set({"email_state": "skipped", "email_info": self.env._("The stage has no email template.")})
            elif not log.recipient_id.email:
                log._followup_set({"email_state": "skipped", "email_info": self.env._("No email address.")})
            else:
                # queued at the end of the step, in this transaction
                log._followup_set({"email_state": "sent", "email_info": log.recipient_id.email_formatted})
                by_template[template] |= log
        return by_template

    def _followup_queue_emails(self, template):
        """Queue the mails of these steps through ``template``, all at once: what
        message_post_with_source() does for one record (render in the customer's
        language, wrap in the template's layout, a message in the chatter, a
        queued mail.mail and its notification), in one query per kind of record.
        The message goes to the customer's chatter, where replies land too; it
        says what the step did (it is the customer's trace of the step)."""
        rendered = template._generate_template(
            self.ids,
            ("subject", "body_html", "email_from", "email_to", "email_cc", "partner_to",
             "reply_to", "mail_server_id", "scheduled_date"),
            find_or_create_partners=True,
        )
        langs = template._render_lang(self.ids)
        author = self.env.user.partner_id
        reply_tos = self.partner_id._notify_get_reply_to(default=author.email_formatted)
        comment = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")
        layout = template.email_layout_xmlid
        Partner = self.env["res.partner"]
        mail_values = []
        for log in self:
            values = rendered[log.id]
            lang = langs.get(log.id) or self.env.lang
            recipients = Partner.browse(values.get("partner_ids") or log.recipient_id.ids)
            if recipients != log.recipient_id:  # the template adds or changes recipients
                log._followup_set({"email_info": ", ".join(recipients.mapped("email_formatted"))})
            attachments = log._followup_invoice_attachments() if log.stage_id.attach_invoices else []
            body = values.get("body_html") or ""
            mail_values.append({
                # the message in the customer's chatter: what the step did (the
                # whole mail would cost the sanitizer more than all the rest)
                "model": "res.partner",
                "res_id": log.partner_id.id,
                "record_name": log.partner_id.display_name,
                "message_type": "comment",
                "subtype_id": comment,
                "author_id": author.id,
                "email_from": values.get("email_from") or author.email_formatted,
                "reply_to": values.get("reply_to") or reply_tos[log.partner_id.id],
                "subject": values.get("subject"),
                "body": log._followup_chatter_html(),
                "partner_ids": [fields.Command.set(recipients.ids)],
                **({"attachment_ids": [fields.Command.set([a.id for a in attachments])]} if attachments else {}),
                # the mail, with a one-line summary as its preview text
                "body_html": log._followup_render_email_layout(
                    layout, body, log.with_context(lang=lang)._followup_email_summary(), lang
                ),
                "recipient_ids": [fields.Command.set(recipients.ids)],
                "email_cc": values.get("email_cc"),
                "mail_server_id": values.get("mail_server_id"),
                "scheduled_date": values.get("scheduled_date"),
                "auto_delete": template.auto_delete,
                "is_notification": True,
                "state": "outgoing",
            })
        mails = self.env["mail.mail"].sudo().create(mail_values)
        self.env["mail.notification"].sudo().create([
            {
                "author_id": author.id,
                "mail_message_id": mail.mail_message_id.id,
                "mail_mail_id": mail.id,
                "res_partner_id": partner.id,
                "notification_type": "email",
                "notification_status": "ready",
                "is_read": True,
            }
            for mail in mails
            for partner in mail.recipient_ids
        ])
        for log, mail in zip(self, mails, strict=True):
            log._followup_set({"mail_message_id": mail.mail_message_id.id})

    def _followup_email_summary(self):
        """The mail's preview text: "3 invoice(s), 1,250.00 SAR due", in the
        context's language."""
        self.ensure_one()
        return self.env._(
            "%(count)s invoice(s), %(amount)s due", count=len(self.move_ids), amount=self._get_followup_sms_amount()
        )

    def _followup_render_email_layout(self, layout, body, preview, lang):
        """``body`` wrapped in the mail layout ``layout`` with the values
        mail.thread's notification gives it; ``preview`` is the text mail
        clients show next to the subject. The body's links are already absolute."""
        self.ensure_one()
        if not layout:
            return body
        html = self.env["ir.qweb"].with_context(lang=lang)._render(layout, {
            "message": self.env["mail.message"],
            "followup_body": body,
            "followup_preview": preview,
            "subtype": self.env["mail.message.subtype"].sudo(),
            "model_description": self._followup_model_description(lang),
            "record": self,
            "record_name": False,
            "subtitles": False,
            "company": self.company_id,
            "email_add_signature": False,
            "signature": "",
            "website_url": "",
            "lang": lang,
            "is_html_empty": is_html_empty,
        }, minimal_qcontext=True, raise_if_not_found=False)
        return html or body

    @api.model
    @tools.ormcache("lang")
    def _followup_model_description(self, lang):
        return self.env["ir.model"]._get(self._name).with_context(lang=lang).display_name

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

    def _sms_get_recipients_info(self, force_field=False, partner_fallback=True):
        """The SMS of a step goes to its recipient's mobile (else phone), else to
        the customer's: {log id: {'partner', 'number', 'sanitized', ...}}."""
        result = {}
        for log in self:
            recipient, partner = log.recipient_id, log.partner_id
            number = recipient.mobile or recipient.phone or partner.mobile or partner.phone
            result[log.id] = {
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
        for log in self:
            template = log.stage_id.sms_template_id
            number, sanitized = numbers[log.id]["number"], numbers[log.id]["sanitized"]
            if not log.partner_id.followup_use_sms:
                log._followup_set({"sms_state": "skipped", "sms_info": self.env._("The customer opted out of SMS.")})
            elif not template:
                log._followup_set({"sms_state": "skipped", "sms_info": self.env._("The stage has no SMS template.")})
            elif not number:
                log._followup_set({"sms_state": "skipped", "sms_info": self.env._("No mobile number.")})
            elif not sanitized:
                log._followup_set({
                    "sms_state": "skipped",
                    "sms_info": self.env._("Invalid phone number: %(number)s", number=number),
                })
            else:
                by_template[template] |= log
        for template, logs in by_template.items():
            # Odoo's mass SMS: rendered in each customer's language, queued, and
            # logged in each step's chatter, in one go
            sms_all = logs._message_sms_schedule_mass(template=template, mass_keep_log=True)
            messages = self.env["mail.message"].search([
                ("model", "=", self._name), ("res_id", "in", logs.ids), ("message_type", "=", "sms"),
            ]).grouped("res_id")
            failures = dict(self.env["sms.sms"]._fields["failure_type"]._description_selection(self.env))
            for log, sms in zip(logs, sms_all, strict=True):
                if sms.state == "outgoing":
                    values = {"sms_state": "sent", "sms_info": sms.number}
                else:
                    values = {"sms_state": "failed", "sms_info": failures.get(sms.failure_type) or sms.failure_type}
                values["sms_message_id"] = messages.get(log.id, self.env["mail.message"])[-1:].id
                log._followup_set(values)

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
        """One activity per step on the customer, for the stage's user, else the
        customer's follow-up responsible; an escalation goes to the escalation
        user, who becomes the responsible. Created together; only escalations
        notify their user by mail (the others are in the responsible's
        activities every morning, not one mail each)."""
        today = fields.Date.context_today(self)
        todo = self.env.ref("mail.mail_activity_data_todo")
        partner_model = self.env["ir.model"]._get_id("res.partner")
        to_create = {False: [], True: []}  # notify: values
        for log in self:
            stage = log.stage_id
            partner = log.partner_id.with_company(log.company_id)
            user = self.env["res.users"]
            if stage.escalate:
                user = stage.escalation_user_id or log.company_id.followup_escalation_user_id
                if user:
                    # part of the step the user may run, even without the right to edit contacts
                    partner.sudo().followup_responsible_id = user
            if not user:
                user = stage.activity_user_id if stage.activity_user_mode == "specific" else log._followup_responsible()
            activity_type = stage.activity_type_id or todo
            if not user:
                log._followup_set({
                    "activity_state": "skipped",
                    "activity_info": self.env._("Nobody is responsible for this customer's follow-up."),
                })
            elif activity_type.category == "phonecall" and not partner.followup_use_phone:
                log._followup_set({"activity_state": "skipped", "activity_info": self.env._("The customer does not want calls.")})
            else:
                to_create[bool(stage.escalate)].append({
                    "res_model_id": partner_model,
                    "res_id": partner.id,
                    "activity_type_id": activity_type.id,
                    "summary": stage.activity_summary or stage.name,
                    "note": stage.activity_note or log._followup_summary_html(),
                    "user_id": user.id,
                    "date_deadline": today,
                })
                log._followup_set({"activity_state": "sent", "activity_info": user.name})
        Activity = self.env["mail.activity"].sudo()
        if to_create[False]:
            Activity.with_context(mail_activity_quick_update=True).create(to_create[False])
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
            (label, state_field, info_field, dict(self._fields[state_field]._description_selection(self.env)))
            for label, state_field, info_field in (
                (self.env._("Email"), "email_state", "email_info"),
                (self.env._("SMS"), "sms_state", "sms_info"),
                (self.env._("Letter"), "letter_state", "letter_info"),
                (self.env._("Activity"), "activity_state", "activity_info"),
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
            self._name, self.id, self.env._("Open the follow-up step")
        )
        return self._followup_summary_html() + Markup("<p>%s</p>") % link

    def _log_in_chatters(self):
        """The steps' traces: a note in the customer's chatter when no mail's
        message holds it already; a line on each listed invoice when the company
        wants it (the invoice's Follow-up tab lists its steps anyway). One query
        per model for all the steps."""
        partner_bodies, move_bodies = {}, {}
        for log in self:
            if not log.mail_message_id:
                partner_bodies[log.partner_id.id] = log._followup_chatter_html()
            if log.company_id.followup_invoice_notes:
                line = Markup("<p>%s</p>") % "; ".join([log._followup_title()] + log._followup_channel_summary())
                move_bodies.update(dict.fromkeys(log.move_ids.ids, line))
        if partner_bodies:
            self.env["res.partner"].browse(list(partner_bodies))._message_log_batch(partner_bodies)
        if move_bodies:
            self.env["account.move"].browse(list(move_bodies))._message_log_batch(move_bodies)

    # ------------------------------------------------------------------
    # Rendering helpers (templates, letter)
    # ------------------------------------------------------------------
    def _get_followup_lines(self):
        """Listed invoices as dicts for the mails, oldest due first, with their
        absolute links: 'url' (the invoice in the portal) and 'action_urls'
        (the customer's answers, see _get_followup_invoice_action_url)."""
        self.ensure_one()
        base_url = self.get_base_url()
        lines = self._get_followup_move_lines(self.move_ids, self.date)
        for line in lines:
            line["url"] = base_url + line["portal_url"]
            line["action_urls"] = {
                action: self._followup_action_url(base_url, line["move"], action)
                for action in ("confirm", "question", "paid", "promise")
            }
        return lines

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
        format_date, format_amount = self._followup_formatters()
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
                # formatted in the rendering language (cheaper than QWeb widgets, per mail)
                "invoice_date_text": format_date(move.invoice_date),
                "date_due_text": format_date(due),
                "amount_residual_text": format_amount(move.amount_residual, move.currency_id),
            })
        return lines

    @api.model
    def _followup_formatters(self):
        """(format_date(date), format_amount(amount, currency)) in the context's
        language, as odoo.tools.format_date / format_amount give them, with the
        language looked up once instead of at every value (a mail has many)."""
        lang = get_lang(self.env)
        locale = babel_locale_parse(lang.code)
        date_format = posix_to_ldml(lang.date_format, locale=locale)
        grouping = ast.literal_eval(lang.grouping)

        def format_date(value):
            return babel.dates.format_date(value, format=date_format, locale=locale) if value else ""

        def format_amount(amount, currency):
            # res.lang.format(), its grouping parsed once
            parts = (f"%.{currency.decimal_places}f" % currency.round(amount)).split(".")
            parts[0] = intersperse(parts[0], grouping, lang.thousands_sep or "")[0]
            number = lang.decimal_point.join(parts)
            number = number.replace(" ", "\N{NO-BREAK SPACE}").replace("-", "-\N{ZERO WIDTH NO-BREAK SPACE}")
            if currency.position == "before":
                return f"{currency.symbol or ''}\N{NO-BREAK SPACE}{number}"
            return f"{number}\N{NO-BREAK SPACE}{currency.symbol or ''}"

        return format_date, format_amount

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
                    "message": self.env._(
                        "Nothing to send: no follow-up step is due for these invoices, or their customer "
                        "had its follow-up step today already."
                    ),
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
        return self._followup_action_url(self.get_base_url(), move, action)

    @api.model
    def _followup_action_url(self, base_url, move, action):
        return "%s/my/followup/invoice/%s/%s?access_token=%s" % (
            base_url, move.id, action, move._portal_ensure_token(),
        )
