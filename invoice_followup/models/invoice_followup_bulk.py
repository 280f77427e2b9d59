# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Where the daily run leaves Odoo's public API, and why: the one list.

Each shortcut below is kept only because `make bench` (benchmarks/README.md,
2,000 customers, 10,000 invoices) shows it is worth it; everything else uses the
public API (message_post_with_source, _message_log_batch, write, create,
mail.template._generate_template).

1. Portal tokens of invoices and customers in one UPDATE each
   (_ensure_invoice_tokens, _ensure_statement_tokens, here): account.move.write()
   resynchronises the journal items of every invoice it writes, and
   portal.mixin._portal_ensure_token() writes one invoice at a time.
2. One compilation of a follow-up template per batch of steps
   (models/mail_template.py, mail.template._render_template_qweb, through
   ir.qweb._prepare_environment and ir.qweb._compile): the generic method
   compiles the template again for every record, which costs about as much as
   rendering it (about 2.5 ms per customer).
3. The mails of a batch queued together (_queue_mails, here:
   mail.mail and mail.notification created for all steps at once, which is what
   message_post_with_source() does for one record): with message_post_with_source()
   per step the run made 10.1 customers per second, 92 with the batch.

SQL written by hand for correctness, not speed (the ORM has no word for these):
the run's advisory locks and lock timeout (invoice.followup.run._claim), the
unique index of a customer's step of the day (invoice.followup.log.init), the
row locks of invoice.payment.plan._check_one_live_plan, the atomic counter of
portal answers (invoice.followup.portal.mixin._followup_count_answer) and the
worklist's SQL view.
"""

import pytz

from odoo import api, fields, models, tools
from odoo.tools import SQL
from odoo.tools.mail import is_html_empty


class InvoiceFollowupBulk(models.AbstractModel):
    _name = "invoice.followup.bulk"
    _description = "Follow-up Bulk Writes"

    @api.model
    def _ensure_invoice_tokens(self, moves):
        """Give the invoices that have none their portal access token (a UUID,
        as portal.mixin makes them), in one UPDATE."""
        missing = moves.filtered(lambda m: not m.access_token)
        if missing:
            missing.flush_recordset(["access_token"])
            self.env.execute_query(
                SQL(
                    "UPDATE account_move SET access_token = "
                    "gen_random_uuid()::text WHERE id IN %s AND access_token IS "
                    "NULL",
                    tuple(missing.ids),
                )
            )
            missing.invalidate_recordset(["access_token"])

    @api.model
    def _ensure_statement_tokens(self, partners):
        """Give the customers that have none their statement token
        (res.partner._followup_new_access_token), in one UPDATE."""
        missing = partners.commercial_partner_id.sudo().filtered(
            lambda p: not p.followup_access_token
        )
        if missing:
            missing.flush_recordset(["followup_access_token"])
            tokens = [missing._followup_new_access_token() for _partner in missing]
            self.env.execute_query(
                SQL(
                    """UPDATE res_partner p SET followup_access_token = t.token
                     FROM unnest(%s::int[], %s::text[]) AS t(id, token)
                    WHERE p.id = t.id AND p.followup_access_token IS NULL""",
                    missing.ids,
                    tokens,
                )
            )
            missing.invalidate_recordset(["followup_access_token"])

    @api.model
    def _queue_mails(self, steps, template):
        """Queue the mails of ``steps`` (invoice.followup.log) through ``template``, all
        at once: what message_post_with_source() does for one record (render in the
        customer's language, wrap in the template's layout, a message in the chatter, a
        queued mail.mail and its notification), in one query per kind of record.
        The message goes to the customer's chatter, where replies land too; it
        says what the step did (it is the customer's trace of the step)."""
        rendered = template._generate_template(
            steps.ids,
            (
                "subject",
                "body_html",
                "email_from",
                "email_to",
                "email_cc",
                "partner_to",
                "reply_to",
                "mail_server_id",
                "scheduled_date",
            ),
            find_or_create_partners=True,
        )
        langs = template._render_lang(steps.ids)
        author = self.env.user.partner_id
        reply_tos = steps.partner_id._notify_get_reply_to(
            default=author.email_formatted
        )
        comment = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")
        layout = template.email_layout_xmlid
        Partner = self.env["res.partner"]
        recipients_of = {
            step.id: Partner.browse(
                rendered[step.id].get("partner_ids") or step.recipient_id.ids
            )
            for step in steps
        }
        # the steps' own recipients passed the blacklist already
        # (invoice.followup.log._followup_plan_emails); those a template adds too
        blacklisted = self._blacklisted_partners(
            Partner.union(*recipients_of.values()) - steps.recipient_id
        )
        mail_values = []
        queued = self.env["invoice.followup.log"]
        for step in steps:
            values = rendered[step.id]
            lang = langs.get(step.id) or self.env.lang
            recipients = recipients_of[step.id] - blacklisted
            if not recipients:
                step._followup_set(
                    {
                        "email_state": "skipped",
                        "email_info": self.env._(
                            "The email address is on the blacklist (unsubscribed)."
                        ),
                    }
                )
                continue
            queued |= step
            if (
                recipients != step.recipient_id
            ):  # the template adds or changes recipients
                step._followup_set(
                    {"email_info": ", ".join(recipients.mapped("email_formatted"))}
                )
            attachments = (
                step._followup_invoice_attachments()
                if step.stage_id.attach_invoices
                else []
            )
            body = values.get("body_html") or ""
            mail_values.append(
                {
                    # the message in the customer's chatter: what the step did (the
                    # whole mail would cost the sanitizer more than all the rest)
                    "model": "res.partner",
                    "res_id": step.partner_id.id,
                    "record_name": step.partner_id.display_name,
                    "message_type": "comment",
                    "subtype_id": comment,
                    "author_id": author.id,
                    "email_from": values.get("email_from") or author.email_formatted,
                    "reply_to": values.get("reply_to") or reply_tos[step.partner_id.id],
                    "subject": values.get("subject"),
                    "body": step._followup_chatter_html(),
                    "partner_ids": [fields.Command.set(recipients.ids)],
                    **(
                        {
                            "attachment_ids": [
                                fields.Command.set([a.id for a in attachments])
                            ]
                        }
                        if attachments
                        else {}
                    ),
                    # the mail, with a one-line summary as its preview text
                    "body_html": self._render_email_layout(
                        step,
                        layout,
                        body,
                        step.with_context(lang=lang)._followup_email_summary(),
                        lang,
                    ),
                    "recipient_ids": [fields.Command.set(recipients.ids)],
                    "email_cc": values.get("email_cc"),
                    "mail_server_id": values.get("mail_server_id"),
                    "scheduled_date": self._variant_send_time(step)
                    or values.get("scheduled_date"),
                    "auto_delete": template.auto_delete,
                    "is_notification": True,
                    "state": "outgoing",
                }
            )
        mails = self.env["mail.mail"].sudo().create(mail_values)
        self.env["mail.notification"].sudo().create(
            [
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
            ]
        )
        if mails:
            # Odoo's mail queue sends them at its next call rather than within the
            # hour of its own schedule (as event registrations ask it): now, and at
            # the A/B variants' send hours
            self.env.ref("mail.ir_cron_mail_scheduler_action")._trigger(
                {fields.Datetime.now()}
                | {date for date in mails.mapped("scheduled_date") if date}
            )
        for step, mail in zip(queued, mails, strict=True):
            step._followup_set(
                {
                    "mail_message_id": mail.mail_message_id.id,
                    "mail_template_id": template.id,
                }
            )

    @api.model
    def _blacklisted_partners(self, partners):
        """Those of ``partners`` whose address is on Odoo's active email blacklist
        (mail.blacklist), in one query; none when ``partners`` is empty."""
        emails = [email for email in partners.mapped("email_normalized") if email]
        if not emails:
            return partners.browse()
        listed = set(
            self.env["mail.blacklist"]
            .sudo()
            .search_fetch([("email", "in", emails)], ["email"])
            .mapped("email")
        )
        return partners.filtered(lambda p: p.email_normalized in listed)

    @api.model
    def _variant_send_time(self, step):
        """When the mail of ``step`` leaves if its A/B variant sets an hour: today
        at that hour in the company's time zone (UTC, naive, as mail.mail keeps
        it); False when no hour is set or the hour has passed (now)."""
        hour = step.variant_id.send_hour
        if not hour:
            return False
        try:
            zone = pytz.timezone(step.company_id.partner_id.tz or "UTC")
        except pytz.UnknownTimeZoneError:
            zone = pytz.utc
        now = pytz.utc.localize(fields.Datetime.now()).astimezone(zone)
        minutes = min(round(hour * 60), 24 * 60 - 1)
        at = now.replace(
            hour=minutes // 60, minute=minutes % 60, second=0, microsecond=0
        )
        if at <= now:
            return False
        return at.astimezone(pytz.utc).replace(tzinfo=None)

    @api.model
    def _render_email_layout(self, step, layout, body, preview, lang):
        """``body`` of ``step``'s mail wrapped in the mail layout ``layout`` with the
        values mail.thread's notification gives it; ``preview`` is the text mail
        clients show next to the subject. The body's links are already absolute."""
        if not layout:
            return body
        html = (
            self.env["ir.qweb"]
            .with_context(lang=lang)
            ._render(
                layout,
                {
                    "message": self.env["mail.message"],
                    "followup_body": body,
                    "followup_preview": preview,
                    "subtype": self.env["mail.message.subtype"].sudo(),
                    "model_description": self._step_model_description(lang),
                    "record": step,
                    "record_name": False,
                    "subtitles": False,
                    "company": step.company_id,
                    "email_add_signature": False,
                    "signature": "",
                    "website_url": "",
                    "lang": lang,
                    "is_html_empty": is_html_empty,
                },
                minimal_qcontext=True,
                raise_if_not_found=False,
            )
        )
        return html or body

    @api.model
    @tools.ormcache("lang")
    def _step_model_description(self, lang):
        return (
            self.env["ir.model"]
            ._get("invoice.followup.log")
            .with_context(lang=lang)
            .display_name
        )
