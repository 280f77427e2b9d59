# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Failed deliveries come back and fall back (issue 15): a bounced mail, an
email that could not be sent, an SMS or WhatsApp message not delivered marks
the step's channel failed (invoice.followup.log._followup_channel_failed, called
by models/mail_notification.py, models/sms_sms.py and the WhatsApp channel);
the step then plans one fallback: the next channel of
_followup_fallback_channels() it did not use, that the customer accepts and
has contact details for, else a letter. The next daily run
(invoice.followup.run._run_daily) sends it through that channel's own
execution method, once; the customer's failed deliveries in a row are counted
for the worklist.

The step's fields and methods for this live here, apart from
models/invoice_followup_log.py, because they are one concern that reads in one
place."""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL

# failed deliveries in a row from which a customer's contact details are "failing"
FAILING_AFTER = 2
# how many failure reasons the customer keeps (newest first)
FAILURES_KEPT = 5
# a channel a step "used": it went out (and perhaps failed after)
USED_STATES = ("sent", "failed", "to_print", "printed")


class InvoiceFollowupLog(models.Model):
    _inherit = "invoice.followup.log"

    # the failures find their step by its messages (models/mail_notification.py)
    mail_message_id = fields.Many2one(index="btree_not_null")
    sms_message_id = fields.Many2one(index="btree_not_null")
    fallback_channel = fields.Selection(
        [
            ("email", "Email"),
            ("whatsapp", "WhatsApp"),
            ("sms", "SMS"),
            ("letter", "Letter"),
        ],
        readonly=True,
        copy=False,
        help="The channel that takes over the message of a channel that failed.",
    )
    fallback_state = fields.Selection(
        [
            ("planned", "Planned"),
            ("done", "Sent"),
            ("failed", "Failed"),
            ("none", "Nothing sent"),
        ],
        "Fallback",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Planned: the next daily run sends the message through the fallback "
        "channel. A step falls back once: when the fallback fails too, nothing more "
        "is sent.",
    )
    fallback_info = fields.Char("Fallback Details", readonly=True, copy=False)
    fallback_date = fields.Date("Fallback Sent On", readonly=True, copy=False)

    # ------------------------------------------------------------------
    # A channel failed: count it, plan the fallback
    # ------------------------------------------------------------------
    def _followup_channel_failed(self, channel, reason, contact=True):
        """Also plans each changed step's fallback (once) and, when ``contact``
        (the customer's address or number failed, not our mail server or SMS
        account), counts a failed delivery on the customer."""
        steps = super()._followup_channel_failed(channel, reason)
        if steps:
            steps = steps.sudo()
            if contact:
                steps._followup_count_failure(channel, reason)
            steps._followup_plan_fallback(channel, reason)
        return steps

    def _followup_channel_delivered(self, channel):
        """A message of these steps reached the customer through ``channel`` (a
        delivery report): its contact details work, the failures in a row end."""
        self.partner_id.sudo().filtered("followup_failure_count").write(
            {"followup_failure_count": 0, "followup_failure_info": False}
        )

    def _followup_count_failure(self, channel, reason):
        labels = dict(self._fields["fallback_channel"]._description_selection(self.env))
        for partner, steps in self.grouped("partner_id").items():
            lines = [
                f"{fields.Date.to_string(fields.Date.context_today(self))} "
                f"{labels.get(channel, channel)}: {reason}"
                for _step in steps
            ]
            kept = lines + (partner.followup_failure_info or "").splitlines()
            partner.write(
                {
                    "followup_failure_count": partner.followup_failure_count
                    + len(steps),
                    "followup_failure_info": "\n".join(kept[:FAILURES_KEPT]),
                }
            )

    @api.model
    def _followup_fallback_channels(self):
        """The channels a failed one falls back to, in this order (WhatsApp only
        reaches customers who opted in). A letter, last, is what is left."""
        return ["email", "whatsapp", "sms", "letter"]

    def _followup_used_channels(self):
        self.ensure_one()
        return {
            channel
            for channel in self._followup_fallback_channels()
            if f"{channel}_state" in self._fields
            and self[f"{channel}_state"] in USED_STATES
        }

    def _followup_fallback_refusal(self, channel):
        """Why this step cannot fall back to ``channel`` (the customer refuses it,
        has no address or number for it, ...), or False when it can."""
        self.ensure_one()
        partner, recipient = self.partner_id, self.recipient_id or self.partner_id
        _ = self.env._
        if channel == "email":
            if not partner.followup_use_email:
                return _("The customer opted out of emails.")
            if not recipient.email:
                return _("No email address.")
            if self.env["invoice.followup.bulk"]._blacklisted_partners(recipient):
                return _("The email address is on the blacklist (unsubscribed).")
            if not (
                self._followup_mail_template()
                or self._followup_default_template("email")
            ):
                return _("The stage has no email template.")
            return False
        if channel == "sms":
            if not partner.followup_use_sms:
                return _("The customer opted out of SMS.")
            info = self._sms_get_recipients_info()[self.id]
            if not info["sanitized"]:
                return _("No mobile number.")
            if (
                self.env["phone.blacklist"]
                .sudo()
                .search_count([("number", "=", info["sanitized"])], limit=1)
            ):
                return _("The number is on the SMS blacklist.")
            if not (
                self._followup_sms_template() or self._followup_default_template("sms")
            ):
                return _("The stage has no SMS template.")
            return False
        if channel == "whatsapp":
            return self.env["invoice.followup.whatsapp"]._refusal(
                self,
                self._followup_whatsapp_template()
                or self._followup_default_template("whatsapp"),
            )
        if channel == "letter":
            if not partner.followup_use_letter:
                return _("The customer does not want letters.")
            if not self.company_id.followup_letter_fallback:
                return _("The company sends no letter when nothing else is left.")
            return False
        return _("No fallback through %(channel)s.", channel=channel)

    def _followup_plan_fallback(self, channel, reason):
        """After ``channel`` failed: the step's fallback, once. A planned one
        stands; the failure of the fallback itself is recorded and ends there."""
        labels = dict(self._fields["fallback_channel"]._description_selection(self.env))
        notes = {}
        for step in self:
            failed = self.env._(
                "%(channel)s failed: %(reason)s",
                channel=labels.get(channel, channel),
                reason=reason,
            )
            if step.fallback_state == "planned":
                continue
            if step.fallback_state in ("done", "failed", "none"):
                if step.fallback_state == "done" and channel == step.fallback_channel:
                    values = {
                        "fallback_state": "failed",
                        "fallback_info": self.env._(
                            "The fallback failed too (%(reason)s): no further "
                            "fallback.",
                            reason=reason,
                        ),
                    }
                    step._followup_set(values)
                    notes[step] = f"{failed} {values['fallback_info']}"
                continue
            used = step._followup_used_channels()
            refusals = []
            target = False
            for candidate in step._followup_fallback_channels():
                if candidate in used:
                    continue
                refusal = step._followup_fallback_refusal(candidate)
                if not refusal:
                    target = candidate
                    break
                refusals.append(f"{labels.get(candidate, candidate)}: {refusal}")
            if target:
                values = {
                    "fallback_channel": target,
                    "fallback_state": "planned",
                    "fallback_info": self.env._(
                        "%(channel)s at the next daily run.",
                        channel=labels[target],
                    ),
                }
            else:
                values = {
                    "fallback_state": "none",
                    "fallback_info": self.env._(
                        "No channel left: %(reasons)s",
                        reasons="; ".join(refusals)
                        or self.env._("every channel was used."),
                    ),
                }
            step._followup_set(values)
            notes[step] = self.env._(
                "%(failed)s Fallback: %(fallback)s",
                failed=failed,
                fallback=values["fallback_info"],
            )
        self._followup_log_fallback(notes)

    def _followup_log_fallback(self, notes):
        """{step: text}: a note in the step's and in the customer's chatter."""
        if not notes:
            return
        bodies = {
            step: Markup("<p>%s</p><p>%s</p>")
            % (
                text,
                Markup('<a href="#" data-oe-model="%s" data-oe-id="%s">%s</a>')
                % (step._name, step.id, step.display_name),
            )
            for step, text in notes.items()
        }
        steps = self.browse([step.id for step in bodies])
        steps._message_log_batch({step.id: body for step, body in bodies.items()})
        by_partner = {}
        for step, body in bodies.items():
            by_partner[step.partner_id.id] = (
                by_partner.get(step.partner_id.id, Markup()) + body
            )
        self.env["res.partner"].sudo().browse(list(by_partner))._message_log_batch(
            by_partner
        )

    # ------------------------------------------------------------------
    # The fallback's templates: the step's own, else the defaults
    # ------------------------------------------------------------------
    @api.model
    def _followup_default_template(self, channel):
        """The template a fallback through ``channel`` uses when the step's stage
        has none of its own: the module's first reminder (mail) or SMS reminder."""
        if channel == "whatsapp":
            # payment_reminder, in the customer's language
            default = self.env.ref(
                "invoice_followup.whatsapp_template_payment_reminder_en",
                raise_if_not_found=False,
            )
            return (
                default._followup_for(
                    self.recipient_id or self.partner_id, self.company_id
                )
                if default
                else self.env["invoice.followup.whatsapp.template"]
            )
        xmlid = {
            "email": "invoice_followup.mail_template_first_reminder",
            "sms": "invoice_followup.sms_template_reminder",
        }.get(channel)
        return xmlid and self.env.ref(xmlid, raise_if_not_found=False)

    def _followup_mail_template(self):
        return (
            super()._followup_mail_template()
            or (
                self.fallback_channel == "email"
                and self._followup_default_template("email")
            )
            or self.env["mail.template"]
        )

    def _followup_whatsapp_template(self):
        template = super()._followup_whatsapp_template()
        if not template and self.fallback_channel == "whatsapp":
            template = self._followup_default_template("whatsapp")
        return template or self.env["invoice.followup.whatsapp.template"]

    def _followup_sms_template(self):
        return (
            super()._followup_sms_template()
            or (
                self.fallback_channel == "sms"
                and self._followup_default_template("sms")
            )
            or self.env["sms.template"]
        )

    def _followup_channel_summary(self):
        parts = super()._followup_channel_summary()
        if self.fallback_state:
            states = dict(
                self._fields["fallback_state"]._description_selection(self.env)
            )
            parts.append(
                self.env._(
                    "Fallback: %(state)s (%(info)s)",
                    state=states[self.fallback_state],
                    info=self.fallback_info or "",
                )
            )
        return parts

    # ------------------------------------------------------------------
    # Sending the planned fallbacks (the daily run, or an accountant)
    # ------------------------------------------------------------------
    @api.model
    def _followup_send_fallbacks(self, companies, limit=None):
        """Send the planned fallbacks of ``companies``' steps, at most ``limit``:
        the rows are locked (FOR UPDATE SKIP LOCKED: another run skips them) and
        become "done" in the transaction that queues their messages, so a second
        run or a run after a crash never sends one twice. Returns the steps."""
        if not companies:
            return self.browse()
        self.flush_model(["fallback_state", "company_id"])
        rows = self.env.execute_query(
            SQL(
                """SELECT id FROM invoice_followup_log
                    WHERE fallback_state = 'planned' AND company_id = ANY(%s)
                    ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED""",
                companies.ids,
                limit,
            )
        )
        steps = self.sudo().browse([row[0] for row in rows])
        for company, company_steps in steps.grouped("company_id").items():
            company_steps.with_company(company)._followup_execute_fallback()
        return steps

    def action_followup_send_fallback(self):
        """The step's planned fallback now (its row locked as the run locks it)."""
        self.check_access("read")
        steps = self.filtered(lambda step: step.fallback_state == "planned")
        if steps:
            self.flush_model(["fallback_state"])
            rows = self.env.execute_query(
                SQL(
                    """SELECT id FROM invoice_followup_log
                        WHERE id = ANY(%s) AND fallback_state = 'planned'
                        FOR UPDATE SKIP LOCKED""",
                    steps.ids,
                )
            )
            for company, company_steps in (
                self.sudo()
                .browse([row[0] for row in rows])
                .grouped("company_id")
                .items()
            ):
                company_steps.with_company(company)._followup_execute_fallback()
        return True

    def _followup_execute_fallback(self):
        """Relevance first (paid meanwhile, covered by credits), then each channel
        for all its steps at once through the channel's own method; a crash of one
        step fails its fallback, not the others'."""
        if not self:
            return
        today = fields.Date.context_today(self)
        open_credits = self.env["invoice.followup.document"]._open_credits(
            self.partner_id, self.company_id
        )
        todo = self.browse()
        notes = {}
        for step in self:
            due = sum(
                move.amount_residual_signed
                for move in step.move_ids
                if move._followup_is_open()
            )
            credit = open_credits.get((step.partner_id.id, step.company_id.id), 0.0)
            if step.currency_id.compare_amounts(due, 0.0) <= 0:
                info = self.env._("Paid meanwhile: nothing sent.")
            elif step.currency_id.compare_amounts(due, credit) <= 0:
                info = self.env._(
                    "The customer's open credits cover the amount due meanwhile: "
                    "nothing sent."
                )
            else:
                todo |= step
                continue
            step._followup_set({"fallback_state": "none", "fallback_info": info})
            notes[step] = info
        try:
            with self.env.cr.savepoint():
                todo._followup_fallback_send()
        except Exception:  # noqa: BLE001 - each step alone, the failing one recorded
            for step in todo:
                try:
                    with self.env.cr.savepoint():
                        step._followup_fallback_send()
                except Exception as error:  # noqa: BLE001
                    step._followup_set(
                        {
                            "fallback_state": "failed",
                            "fallback_info": self.env._(
                                "The fallback could not be sent: %(error)s",
                                error=str(error),
                            ),
                        }
                    )
        labels = dict(self._fields["fallback_channel"]._description_selection(self.env))
        for step in todo.filtered(lambda s: s.fallback_state == "planned"):
            channel = step.fallback_channel
            state = (
                step[f"{channel}_state"]
                if f"{channel}_state" in step._fields
                else False
            )
            info = (
                step[f"{channel}_info"] if f"{channel}_info" in step._fields else False
            )
            if state in ("sent", "to_print"):
                values = {
                    "fallback_state": "done",
                    "fallback_date": today,
                    "fallback_info": self.env._(
                        "Sent by %(channel)s.", channel=labels.get(channel, channel)
                    )
                    + (f" ({info})" if info else ""),
                }
            else:
                values = {
                    "fallback_state": "failed",
                    "fallback_info": self.env._(
                        "%(channel)s not sent (%(reason)s): no further fallback.",
                        channel=labels.get(channel, channel),
                        reason=info or "",
                    ),
                }
            step._followup_set(values)
            notes[step] = values["fallback_info"]
        for step in todo.filtered(lambda s: s.fallback_state == "failed"):
            notes.setdefault(step, step.fallback_info)
        self._followup_log_fallback(notes)

    def _followup_fallback_send(self):
        """Send each step's message through its fallback channel, with the
        channel's own method."""
        Bulk = self.env["invoice.followup.bulk"]
        Bulk._ensure_invoice_tokens(self.move_ids)
        Bulk._ensure_statement_tokens(self.partner_id)
        by_channel = self.grouped("fallback_channel")
        if steps := by_channel.get("email"):
            for template, template_steps in steps._followup_plan_emails().items():
                Bulk._queue_mails(template_steps, template)
        if steps := by_channel.get("sms"):
            steps._execute_sms()
        if steps := by_channel.get("whatsapp"):
            steps._execute_whatsapp()
        by_channel.get("letter", self.browse())._execute_letter(fallback=True)
