# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Credit hold (issue 14): a follow-up stage may put the customer on hold with
Odoo's own partner warning, the blocking message of res.partner's
``invoice_warn`` / ``invoice_warn_msg`` (and, with the invoice_followup_sale
bridge, ``sale_warn`` / ``sale_warn_msg``). The warning the customer had before
is kept on the customer and restored when the hold is lifted: when its overdue
invoices in the holding company are paid (account.partial.reconcile, and the
daily run as a safety net), when a payment plan is activated, or by hand.

Odoo's partner warning is one per customer for every company (it is not
company-dependent in 18.0): the holds themselves are the steps (one per
company that put the customer on hold); the warning stays until the last of
them is lifted. A process, not a record: an AbstractModel, as core keeps
"send invoices" in account.move.send."""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools.misc import format_date, formatLang, get_lang

HOLD_STATES = [("held", "On hold"), ("released", "Released"), ("skipped", "Skipped")]


class InvoiceFollowupCreditHold(models.AbstractModel):
    """Put customers on credit hold and lift the hold, with Odoo's partner
    warnings; the traces go to the customer's and the step's chatters."""

    _name = "invoice.followup.credit.hold"
    _description = "Follow-up Credit Hold"

    @api.model
    def _warning_fields(self):
        """Odoo's partner warnings a hold sets: [(warning field, message field)].
        The previous value of each is kept in ``followup_hold_prev_<field>``
        of res.partner. The sales bridge adds ("sale_warn", "sale_warn_msg")."""
        return [("invoice_warn", "invoice_warn_msg")]

    # ------------------------------------------------------------------
    # Hold
    # ------------------------------------------------------------------
    @api.model
    def _hold(self, steps):
        """Put the customers of ``steps`` (executed at a credit-hold stage) on
        hold, each step recording its outcome. A customer on hold already (by
        another company's follow-up, or an earlier step) keeps its warning; the
        step holds it too, so that the hold lasts until both are lifted."""
        today = fields.Date.context_today(self)
        for step in steps.sudo():  # part of the step, for whoever may run it
            partner = step.partner_id
            overdue = step.move_ids.filtered(
                lambda m, today=today: m._followup_is_open()
                and m.followup_date_due
                and m.followup_date_due < today
            )
            if not overdue:
                step._followup_set(
                    {
                        "hold_state": "skipped",
                        "hold_info": self.env._("Nothing is overdue: no credit hold."),
                    }
                )
                continue
            message = self._hold_message(step, overdue)
            values = {"hold_state": "held", "hold_date": today, "hold_message": message}
            current = partner.followup_hold_step_id
            if current:
                values["hold_info"] = self.env._(
                    "Already on credit hold since %(date)s (%(company)s).",
                    date=format_date(self.env, current.hold_date),
                    company=current.company_id.name,
                )
            step._followup_set(values)
            if not current:
                partner.write(self._hold_partner_values(partner, step, message))
            note = Markup("<p>%s</p><p>%s</p>") % (
                self.env._(
                    "Credit hold by the follow-up step %(step)s.",
                    step=step.display_name,
                ),
                message,
            )
            partner._message_log(body=note)
            step._message_log(body=note)

    @api.model
    def _hold_partner_values(self, partner, step, message):
        """What a new hold writes on the customer: the step that holds it, each
        warning blocking with ``message``, the previous warnings kept."""
        values = {"followup_hold_step_id": step.id}
        for warn_field, msg_field in self._warning_fields():
            values[f"followup_hold_prev_{warn_field}"] = (
                partner[warn_field] or "no-message"
            )
            values[f"followup_hold_prev_{msg_field}"] = partner[msg_field]
            values[warn_field] = "block"
            values[msg_field] = message
        return values

    @api.model
    def _hold_message(self, step, overdue):
        """The blocking message, in the language of the holding company: since
        when, for how much, whom to contact."""
        company = step.company_id
        env = self.with_context(
            lang=get_lang(self.env, company.partner_id.lang).code
        ).env
        user = step.partner_id._followup_get_responsible(company)
        if user:
            contact = f"{user.name} ({user.email})" if user.email else user.name
        else:
            contact = ", ".join(
                filter(None, [company.name, company.email, company.phone])
            )
        return env._(
            "Credit hold since %(date)s: %(amount)s overdue with %(company)s. "
            "Do not invoice or sell more to this customer before it is paid; "
            "contact %(contact)s.",
            date=format_date(env, step.date),
            amount=formatLang(
                env,
                sum(overdue.mapped("amount_residual_signed")),
                currency_obj=company.currency_id,
            ),
            company=company.name,
            contact=contact,
        )

    # ------------------------------------------------------------------
    # Release
    # ------------------------------------------------------------------
    @api.model
    def _release_paid(self, moves=None):
        """Lift the holds of the customers who have no overdue invoice left in
        the company that holds them (invoices in a live payment plan do not
        count: accepting the plan lifted the hold). ``moves``: only their
        customers and companies (a reconciliation); else every hold (the daily
        run). Returns the steps released."""
        Step = self.env["invoice.followup.log"].sudo()
        domain = [("hold_state", "=", "held")]
        if moves is not None:
            partners = moves.commercial_partner_id.filtered("followup_hold_step_id")
            if not partners:
                return Step
            domain += [
                ("partner_id", "in", partners.ids),
                ("company_id", "in", moves.company_id.ids),
            ]
        held = Step.search(domain)
        if not held:
            return Step
        Move = self.env["account.move"].sudo()
        still_overdue = {
            (partner.id, company.id)
            for partner, company in Move._read_group(
                [
                    ("commercial_partner_id", "in", held.partner_id.ids),
                    ("company_id", "in", held.company_id.ids),
                    *Move._followup_open_domain(),
                    ("followup_date_due", "<", fields.Date.context_today(self)),
                    ("followup_pause_reason", "!=", "payment_plan"),
                ],
                ["commercial_partner_id", "company_id"],
            )
        }
        paid = held.filtered(
            lambda s: (s.partner_id.id, s.company_id.id) not in still_overdue
        )
        released = Step
        for company, steps in paid.grouped("company_id").items():
            released |= self._release(
                steps.partner_id,
                company,
                self.env._("the overdue invoices are paid"),
            )
        return released

    @api.model
    def _release(self, partners, companies, reason):
        """Lift the holds that the follow-up of ``companies`` put on
        ``partners``, ``reason`` ("the overdue invoices are paid") said in the
        traces. The customer's previous warning comes back once no company
        holds it any more, unless someone changed the warning by hand
        meanwhile (then it is left as it is). Returns the steps released."""
        Step = self.env["invoice.followup.log"].sudo()
        held = Step.search(
            [
                ("partner_id", "in", partners.commercial_partner_id.ids),
                ("company_id", "in", companies.ids),
                ("hold_state", "=", "held"),
            ]
        )
        if not held:
            return held
        held._followup_set(
            {
                "hold_state": "released",
                "hold_released_date": fields.Date.context_today(self),
                "hold_info": self.env._("Lifted: %(reason)s.", reason=reason),
            }
        )
        for step in held:
            step._message_log(
                body=self.env._("Credit hold lifted: %(reason)s.", reason=reason)
            )
        for partner, steps in held.grouped("partner_id").items():
            self._release_partner(partner.sudo(), steps, reason)
        return held

    @api.model
    def _release_partner(self, partner, steps, reason):
        """The customer's side of a release of its held ``steps``."""
        remaining = (
            self.env["invoice.followup.log"]
            .sudo()
            .search(
                [("partner_id", "=", partner.id), ("hold_state", "=", "held")],
                order="hold_date, id",
                limit=1,
            )
        )
        current = partner.followup_hold_step_id
        # the warnings the hold set (one added since, e.g. Sales installed during
        # the hold, has nothing to restore), and which of them are still its own
        pairs = [
            (warn_field, msg_field)
            for warn_field, msg_field in self._warning_fields()
            if partner[f"followup_hold_prev_{warn_field}"]
        ]
        ours = {
            warn_field: partner[warn_field] == "block"
            and (partner[msg_field] or "") == (current.hold_message or "")
            for warn_field, msg_field in pairs
        }
        values = {"followup_hold_step_id": remaining.id}
        for warn_field, msg_field in pairs:
            if remaining:
                if ours[warn_field]:
                    values[msg_field] = remaining.hold_message
                continue
            if ours[warn_field]:
                values[warn_field] = (
                    partner[f"followup_hold_prev_{warn_field}"] or "no-message"
                )
                values[msg_field] = partner[f"followup_hold_prev_{msg_field}"]
            values[f"followup_hold_prev_{warn_field}"] = False
            values[f"followup_hold_prev_{msg_field}"] = False
        partner.write(values)
        companies = ", ".join(steps.company_id.mapped("name"))
        if remaining:
            body = self.env._(
                "Credit hold of %(companies)s lifted: %(reason)s. Still on hold "
                "for %(other)s.",
                companies=companies,
                reason=reason,
                other=remaining.company_id.name,
            )
        elif all(ours.values()):
            body = self.env._(
                "Credit hold of %(companies)s lifted: %(reason)s. The previous "
                "warning is restored.",
                companies=companies,
                reason=reason,
            )
        else:
            body = self.env._(
                "Credit hold of %(companies)s lifted: %(reason)s. The warning was "
                "changed by hand during the hold: it is left as it is.",
                companies=companies,
                reason=reason,
            )
        partner._message_log(body=body)
