# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Hand-over to a collection agency or the legal department (issue 14): the
pre-legal file (one PDF in the customer's language: identities, statement,
every invoice, the follow-up history with each channel's outcome, the
customer's answers and payment plans, then the open invoices' own PDFs), sent
to the agency or attached to an activity for the responsible, and the
follow-up of the invoices paused "with agency". A process, not a record: the
step (invoice.followup.log._run_channels) calls _hand_over for the steps of
hand-over stages, inside the run's savepoint. Payments the agency reports are
recorded as usual and close the invoices."""

import logging

from odoo import api, fields, models
from odoo.tools import pdf as pdf_tools

_logger = logging.getLogger(__name__)

CUSTOMER_MOVE_TYPES = ("out_invoice", "out_refund", "out_receipt")


class InvoiceFollowupHandover(models.AbstractModel):
    _name = "invoice.followup.handover"
    _description = "Follow-up Hand-over"

    # ------------------------------------------------------------------
    # The step's channel
    # ------------------------------------------------------------------
    @api.model
    def _hand_over(self, steps):
        """Make the pre-legal file of each of ``steps`` (at hand-over stages),
        send it as the stage says, record the outcome on the step like its
        other channels, and pause the step's invoices once handed over."""
        for step in steps:
            stage = step.stage_id
            agency = stage.handover_partner_id
            if not agency:
                step._followup_set(
                    {
                        "handover_state": "skipped",
                        "handover_info": self.env._("The stage names no agency."),
                    }
                )
                continue
            try:
                with self.env.cr.savepoint():
                    attachment = self._make_file(step.partner_id, step.company_id, step)
            except Exception as error:  # noqa: BLE001 - the other channels still count
                _logger.warning(
                    "Pre-legal file of step %s failed", step.id, exc_info=True
                )
                step._followup_set(
                    {"handover_state": "failed", "handover_info": str(error)}
                )
                continue
            step._followup_set({"handover_attachment_id": attachment.id})
            if stage.handover_mode == "activity":
                values = self._attach_to_activity(step, attachment)
            else:
                values = self._send_to_agency(step, agency, attachment)
            step._followup_set(values)
            if values["handover_state"] == "sent":
                self._pause(step, agency)

    @api.model
    def _send_to_agency(self, step, agency, attachment):
        """Queue the mail to the agency with the file, in this transaction (it
        leaves with the mail queue once the run commits); its message is in
        the step's chatter, where the agency's replies land."""
        if not agency.email:
            return {
                "handover_state": "skipped",
                "handover_info": self.env._(
                    "The agency %(agency)s has no email address: the pre-legal "
                    "file is on the step, to send by hand.",
                    agency=agency.display_name,
                ),
            }
        template = self.env.ref("invoice_followup.mail_template_handover")
        step.message_post_with_source(
            template,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            attachment_ids=attachment.ids,
            force_send=False,
        )
        return {"handover_state": "sent", "handover_info": agency.email_formatted}

    @api.model
    def _attach_to_activity(self, step, attachment):
        """An activity on the customer for the escalation user (escalation
        stages) or the follow-up responsible, with the file, to send or print."""
        stage, company = step.stage_id, step.company_id
        user = self.env["res.users"]
        if stage.escalate:
            user = stage.escalation_user_id or company.followup_escalation_user_id
        user = user or step._get_followup_responsible()
        if not user:
            return {
                "handover_state": "skipped",
                "handover_info": self.env._(
                    "Nobody is responsible for this customer's follow-up: the "
                    "pre-legal file is on the step."
                ),
            }
        self.env["mail.activity"].sudo().create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": step.partner_id.id,
                "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                "summary": self.env._(
                    "Hand over to %(agency)s: send or print the pre-legal file",
                    agency=stage.handover_partner_id.display_name,
                ),
                "note": step._followup_summary_html(),
                "user_id": user.id,
                "date_deadline": fields.Date.context_today(self),
                "attachment_ids": [fields.Command.set(attachment.ids)],
            }
        )
        return {
            "handover_state": "sent",
            "handover_info": self.env._(
                "Attached to an activity for %(user)s", user=user.name
            ),
        }

    @api.model
    def _pause(self, step, agency):
        """The step's open invoices pause "with agency" (no end date) and the
        customer records which agency holds it and since when."""
        moves = step.move_ids.filtered(
            lambda m: m._followup_is_open() and not m.followup_pause_reason
        )
        moves.with_context(skip_invoice_sync=True, check_move_validity=False).write(
            {"followup_pause_reason": "agency", "followup_paused_until": False}
        )
        # part of the step the user may run, even without the right to edit contacts
        step.partner_id.sudo().write(
            {"followup_agency_id": agency.id, "followup_agency_date": step.date}
        )

    # ------------------------------------------------------------------
    # Taking the customer back
    # ------------------------------------------------------------------
    @api.model
    def _take_back(self, partners):
        """Resume the follow-up of ``partners``' invoices held by an agency."""
        moves = self.env["account.move"].search(
            [
                ("commercial_partner_id", "in", partners.commercial_partner_id.ids),
                ("followup_pause_reason", "=", "agency"),
            ]
        )
        if moves:
            moves.action_followup_resume()
        else:
            self._release_partners(partners)

    @api.model
    def _release_partners(self, partners):
        """The customers of ``partners`` with no invoice left paused with an
        agency are no longer with it (said in their chatter)."""
        held = partners.commercial_partner_id.filtered("followup_agency_id")
        if not held:
            return
        still = {
            partner.id
            for [partner] in self.env["account.move"]
            .sudo()
            ._read_group(
                [
                    ("commercial_partner_id", "in", held.ids),
                    ("followup_pause_reason", "=", "agency"),
                    *self.env["account.move"]._followup_open_domain(),
                ],
                ["commercial_partner_id"],
            )
        }
        released = held.filtered(lambda p: p.id not in still).sudo()
        for partner in released:
            partner._message_log(
                body=self.env._(
                    "Taken back from %(agency)s by %(user)s: follow-up resumes.",
                    agency=partner.followup_agency_id.display_name,
                    user=self.env.user.name,
                )
            )
        released.write({"followup_agency_id": False, "followup_agency_date": False})

    # ------------------------------------------------------------------
    # The pre-legal file
    # ------------------------------------------------------------------
    @api.model
    def _action_print(self, partner):
        """The customer's pre-legal file now, kept on the customer, downloaded."""
        attachment = self._make_file(partner, self.env.company)
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    @api.model
    def _make_file(self, partner, company, step=None):
        """Render the pre-legal file of ``partner`` in ``company`` (for ``step``,
        a hand-over step, when given) with the open invoices' PDFs appended,
        and save it on the step and on the customer. Returns the step's
        attachment (else the customer's)."""
        partner = partner.commercial_partner_id
        report = self.env.ref("invoice_followup.action_report_prelegal_file")
        pdf, _type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(
                report,
                partner.ids,
                data={"company_id": company.id, "step_id": step.id if step else False},
            )
        )
        pdf = self._append_invoices(
            pdf, partner.with_company(company)._followup_open_invoices()
        )
        name = self.env._(
            "Pre-legal file %(customer)s %(date)s.pdf",
            customer=partner.display_name,
            date=fields.Date.to_string(
                step.date if step else fields.Date.context_today(self)
            ),
        ).replace("/", "_")
        Attachment = self.env["ir.attachment"]
        values = {"name": name, "raw": pdf, "mimetype": "application/pdf"}
        # the customer's copy (same content: one file in the filestore)
        on_partner = Attachment.sudo().create(
            {**values, "res_model": "res.partner", "res_id": partner.id}
        )
        if not step:
            return on_partner.sudo(False)
        return Attachment.create({**values, "res_model": step._name, "res_id": step.id})

    @api.model
    def _append_invoices(self, pdf, moves):
        """``pdf`` followed by each of ``moves``' own PDF (the one Odoo keeps,
        else account's invoice report). A PDF that cannot be merged (encrypted,
        damaged) leaves the file without the appendix rather than without a file."""
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        invoices = []
        for move in moves:
            if move.invoice_pdf_report_id:
                invoices.append(move.invoice_pdf_report_id.raw)
            else:
                invoices.append(
                    Report._render_qweb_pdf("account.account_invoices", move.ids)[0]
                )
        if not invoices:
            return pdf
        try:
            return pdf_tools.merge_pdf([pdf, *invoices])
        except Exception:  # noqa: BLE001 - the file itself matters more
            _logger.warning("Pre-legal file: invoices not appended", exc_info=True)
            return pdf

    @api.model
    def _file_values(self, partner, company, step=None):
        """What the pre-legal file of ``partner`` in ``company`` shows, in the
        customer's language: the statement of its open invoices (the builder,
        invoice.followup.document), every posted invoice and credit note, every
        follow-up step with its channels' outcomes, its answers and its payment
        plans with their instalments."""
        partner = partner.commercial_partner_id
        st = self.env["invoice.followup.document"]._statement_values(partner, company)
        env = self.with_context(lang=st["lang"]).env

        def labels(model, field):
            return dict(env[model]._fields[field]._description_selection(env))

        domain = [("company_id", "=", company.id)]
        moves = env["account.move"].search(
            [
                ("commercial_partner_id", "=", partner.id),
                ("move_type", "in", CUSTOMER_MOVE_TYPES),
                ("state", "=", "posted"),
                *domain,
            ],
            order="invoice_date desc, id desc",
        )
        move_types = labels("account.move", "move_type")
        payment_states = labels("account.move", "payment_state")
        pauses = labels("account.move", "followup_pause_reason")
        invoices = [
            {
                "name": move.name,
                "type": move_types.get(move.move_type),
                "invoice_date": move.invoice_date,
                "date_due": move.invoice_date_due,
                "amount_total": move.amount_total_in_currency_signed,
                "amount_residual": move.amount_residual
                * (-1 if move.move_type == "out_refund" else 1),
                "currency": move.currency_id,
                "payment_state": payment_states.get(move.payment_state),
                "pause": pauses.get(move.followup_pause_reason),
            }
            for move in moves
        ]
        Step = env["invoice.followup.log"]
        step_states = labels("invoice.followup.log", "state")
        history = []
        for past in Step.search(
            [("partner_id", "=", partner.id), *domain], order="date, id"
        ):
            channels = [
                (label, states[past[state_field]], past[info_field] or "")
                for label, state_field, info_field, states in (
                    Step._followup_channel_labels()
                )
                if past[state_field]
            ]
            history.append(
                {
                    "date": past.date,
                    "stage": past.stage_id.with_env(env).name or "",
                    "state": step_states.get(past.state),
                    "error": past.error or "",
                    "channels": channels,
                    "amount_due": past.amount_due,
                    "currency": past.currency_id,
                    "invoices": ", ".join(past.move_ids.mapped("name")),
                    "run_by": past.user_id.name if past.run_by == "user" else "",
                }
            )
        kinds = labels("invoice.followup.answer", "kind")
        answers = [
            {
                "date": answer.date,
                "kind": kinds.get(answer.kind),
                "invoices": ", ".join(answer.move_ids.mapped("name")),
                "reason": answer.reason_id.with_env(env).display_name or "",
                "note": answer.note or "",
                "answered_by": answer.answered_by or answer.user_id.name or "",
                "promise_date": answer.promise_date,
                "promise_amount": answer.promise_amount,
                "currency": answer.currency_id,
                "resolved_date": answer.resolved_date,
            }
            for answer in env["invoice.followup.answer"].search(
                [("partner_id", "=", partner.id), *domain], order="date, id"
            )
        ]
        plan_states = labels("invoice.payment.plan", "state")
        line_states = labels("invoice.payment.plan.line", "state")
        plans = [
            {
                "name": plan.name,
                "state": plan_states.get(plan.state),
                "amount_total": plan.amount_total,
                "amount_paid": plan.amount_paid,
                "currency": plan.currency_id,
                "invoices": ", ".join(plan.move_ids.mapped("name")),
                "accepted_by": plan.accepted_by or "",
                "accepted_date": plan.accepted_date,
                "lines": [
                    {
                        "date_due": line.date_due,
                        "amount": line.amount,
                        "amount_paid": line.amount_paid,
                        "state": line_states.get(line.state),
                    }
                    for line in plan.line_ids
                ],
            }
            for plan in env["invoice.payment.plan"].search(
                [("partner_id", "=", partner.id), *domain], order="id"
            )
        ]
        agency = (
            step.stage_id.handover_partner_id if step else partner.followup_agency_id
        )
        overdue = [line for line in st["lines"] if line["days_late"]]
        return {
            **st,
            "step": step and step.with_env(env),
            "agency": agency,
            "agency_kind": labels("res.partner", "followup_agency_kind").get(
                agency.followup_agency_kind
            ),
            "agency_since": partner.followup_agency_date,
            "overdue_totals": self.env["invoice.followup.document"]._totals(
                self.env["account.move"].concat(*(line["move"] for line in overdue))
            ),
            "max_days_late": max((line["days_late"] for line in overdue), default=0),
            "invoices": invoices,
            "history": history,
            "answers": answers,
            "plans": plans,
            "appended": [line["name"] for line in st["lines"]],
            "lang_name": env["res.lang"]._lang_get(st["lang"]).name,
        }
