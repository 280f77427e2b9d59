# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64

import babel.dates

from odoo import api, fields, models
from odoo.tools import is_html_empty
from odoo.tools.image import image_data_uri
from odoo.tools.misc import babel_locale_parse, get_lang

from ..tools.formatting import (
    ageing_bucket,
    align,
    days_late,
    formatters,
    totals_per_currency,
)

INVOICE_ACTIONS = ("confirm", "question", "paid", "promise")


class InvoiceFollowupDocument(models.AbstractModel):
    """What the follow-up documents show, built in one place: the mail and SMS
    templates (through the step's ``_get_followup_*`` methods), the letter and
    the statement of account (through their reports' ``_get_report_values``)
    and the portal statement read their values here."""

    _name = "invoice.followup.document"
    _description = "Follow-up Document Values"

    @api.model
    def _lines(self, moves, today):
        """``moves`` as dicts, oldest due first, with their values formatted in
        the context's language (cheaper than QWeb widgets, per mail) and their
        portal links (relative)."""
        lang = get_lang(self.env)
        format_date, format_amount = formatters(lang)
        lines = []
        for move in moves.sorted(
            lambda m: (m.followup_date_due or m.invoice_date_due or today, m.id)
        ):
            due = move.followup_date_due or move.invoice_date_due
            lines.append(
                {
                    "move": move,
                    "name": move.name,
                    "ref": move.ref,
                    "invoice_date": move.invoice_date,
                    "date_due": due,
                    "days_late": days_late(due, today),
                    "amount_total": move.amount_total,
                    "amount_residual": move.amount_residual,
                    "currency": move.currency_id,
                    "invoice_date_text": format_date(move.invoice_date),
                    "date_due_text": format_date(due),
                    "amount_residual_text": format_amount(
                        move.amount_residual, move.currency_id
                    ),
                    "portal_url": move.get_portal_url(),
                    "pay_url": move.get_portal_url(
                        anchor="portal_pay", query_string="&payment=True"
                    ),
                    "pdf_url": move.get_portal_url(report_type="pdf", download=True),
                    "early_discount": self._early_discount(
                        move, today, lang, format_amount
                    ),
                }
            )
        return lines

    @api.model
    def _early_discount(self, move, today, lang=None, format_amount=None):
        """Odoo's early-payment discount of ``move`` still open on ``today``, or
        False (none on its payment term, partly paid, or past its date):
        {'amount' to pay, 'date' its last day, 'amount_full', 'text' the
        sentence "Pay 980.00 SAR by 12 March instead of 1,000.00 SAR" in the
        context's language}."""
        if not move.invoice_payment_term_id.early_discount or (
            not move._is_eligible_for_early_payment_discount(move.currency_id, today)
        ):
            return False
        terms = move.line_ids.filtered(
            lambda line: line.display_type == "payment_term" and not line.reconciled
        )
        date = min(terms.mapped("discount_date") or [False]) or False
        if not terms or not date or date < today:
            return False
        amount = -move.direction_sign * sum(terms.mapped("discount_amount_currency"))
        if move.currency_id.compare_amounts(amount, move.amount_residual) >= 0:
            return False
        lang = lang or get_lang(self.env)
        format_amount = format_amount or formatters(lang)[1]
        # an amount stays one left-to-right run inside a right-to-left sentence
        isolate = ("\N{LEFT-TO-RIGHT ISOLATE}", "\N{POP DIRECTIONAL ISOLATE}")
        if lang.direction != "rtl":
            isolate = ("", "")

        def money(value):
            return isolate[0] + format_amount(value, move.currency_id) + isolate[1]

        return {
            "amount": amount,
            "date": date,
            "amount_full": move.amount_residual,
            "text": self.env._(
                "Pay %(amount)s by %(date)s instead of %(amount_full)s",
                amount=money(amount),
                date=babel.dates.format_skeleton(
                    "MMMMd", date, locale=babel_locale_parse(lang.code)
                ),
                amount_full=money(move.amount_residual),
            ),
        }

    @api.model
    def _amount_to_pay(self, moves, today=None):
        """What paying ``moves`` online asks: each one's amount due, at its
        early-payment discount when still open (Odoo then reconciles it in full
        with the discount, see payment.transaction)."""
        today = today or fields.Date.context_today(self)
        total = 0.0
        for move in moves:
            discount = self._early_discount(move, today)
            total += discount["amount"] if discount else move.amount_residual
        return total

    @api.model
    def _totals(self, moves):
        """[(currency, amount due)] over ``moves``, per currency."""
        return totals_per_currency(
            (move.currency_id, move.amount_residual) for move in moves
        )

    @api.model
    def _ageing(self, partner, companies, today):
        """Ageing of ALL the customer's open invoices in ``companies``, per
        company and currency, by open instalment (payment-term line):
        [{'currency', 'buckets': [not due, 1-30, 31-60, 61-90, over 90], 'total'}]."""
        lines = self.env["account.move.line"].search(
            [
                (
                    "move_id",
                    "any",
                    [
                        (
                            "commercial_partner_id",
                            "=",
                            partner.commercial_partner_id.id,
                        ),
                        *self.env["account.move"]._followup_open_domain(),
                    ],
                ),
                ("company_id", "in", companies.ids),
                ("display_type", "=", "payment_term"),
                ("reconciled", "=", False),
            ]
        )
        rows = {}
        for line in lines.sorted(
            lambda line: (line.company_id.sequence, line.company_id.id)
        ):
            if line.currency_id.is_zero(line.amount_residual_currency):
                continue
            days = (today - (line.date_maturity or line.date)).days
            buckets = rows.setdefault((line.company_id, line.currency_id), [0.0] * 5)
            buckets[ageing_bucket(days)] += line.amount_residual_currency
        return [
            {"currency": currency, "buckets": buckets, "total": sum(buckets)}
            for (_company, currency), buckets in sorted(
                rows.items(),
                key=lambda item: (item[0][0].sequence, item[0][0].id, item[0][1].name),
            )
        ]

    @api.model
    def _open_credits(self, partners, companies):
        """{(commercial partner id, company id): unapplied credit notes and
        payments on the receivable} for ``partners`` (commercial partners) and
        their contacts, in one query."""
        groups = (
            self.env["account.move.line"]
            .sudo()
            ._read_group(
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
        )
        open_credits = dict.fromkeys(
            ((p.id, c.id) for p in partners for c in companies), 0.0
        )
        for partner, company, amount in groups:
            key = (partner.commercial_partner_id.id, company.id)
            open_credits[key] = open_credits.get(key, 0.0) - (amount or 0.0)
        return open_credits

    @api.model
    def _qr_src(self, value, size=150):
        """A QR code of ``value`` as a data URI: no HTTP request from wkhtmltopdf."""
        png = self.env["ir.actions.report"].barcode(
            "QR", value, width=size, height=size
        )
        return image_data_uri(base64.b64encode(png))

    @api.model
    def _invoice_action_url(self, move, action):
        """Signed link for one invoice's answer in the portal: 'confirm'
        (receipt), 'question', 'paid' or 'promise'."""
        return (
            f"{move.get_base_url()}/my/followup/invoice/{move.id}/{action}"
            f"?access_token={move._portal_ensure_token()}"
        )

    @api.model
    def _pay_url(self, partner, moves):
        """Where "Pay now" leads: the invoice's portal page (account_payment
        shows its Pay button there); for several invoices, the statement."""
        if len(moves) == 1:
            return moves.get_base_url() + moves.get_portal_url()
        return partner._followup_get_statement_url()

    @api.model
    def _step_lines(self, step):
        """The invoices of a step for its mail, with absolute links: 'url' (the
        invoice in the portal) and 'action_urls' (the customer's answers)."""
        base_url = step.get_base_url()
        lines = self._lines(step.move_ids, step.date)
        for line in lines:
            line["url"] = base_url + line["portal_url"]
            line["action_urls"] = {
                action: self._invoice_action_url(line["move"], action)
                for action in INVOICE_ACTIONS
            }
        return lines

    @api.model
    def _statement_values(self, partner, company, step=None):
        """Everything the letter of ``step`` or the statement of account (all
        open invoices of ``partner`` in ``company``) shows, formatted in the
        recipient's language ('lang', which the report renders in)."""
        partner = partner.commercial_partner_id
        if step:
            today, moves = step.date, step.move_ids
            recipient = step.recipient_id or partner
        else:
            today = fields.Date.context_today(self)
            moves = partner.with_company(company)._followup_open_invoices()
            recipient = partner._followup_get_recipient()
        lang = recipient.lang or partner.lang or self.env.lang or "en_US"
        document = self.with_context(lang=lang)
        direction = recipient._followup_text_direction()
        pay_url = self._pay_url(partner, moves)
        return {
            "step": step and step.with_context(lang=lang),
            # in the recipient's language (its name is the letter's title)
            "stage": step.stage_id.with_context(lang=lang)
            if step
            else self.env["invoice.followup.stage"],
            "partner": partner,
            "recipient": recipient,
            "company": company,
            "lang": lang,
            "direction": direction,
            "align": align(direction),
            "align_end": align(direction, end=True),
            "date": today,
            "lines": document._lines(moves, today),
            "totals": self._totals(moves),
            "credit": step.amount_credit
            if step
            else self._open_credits(partner, company)[partner.id, company.id],
            "credit_currency": company.currency_id,
            "ageing": self._ageing(partner, company, today),
            "statement_url": partner._followup_get_statement_url(),
            "pay_url": pay_url,
            "qr_src": self._qr_src(pay_url),
            "banks": company.partner_id.bank_ids,
            "responsible": partner._followup_get_responsible(company),
        }

    @api.model
    def _portal_values(self, partner):
        """Everything the portal statement of ``partner`` (a commercial partner,
        sudo, after the access check) shows: its open invoices in every company."""
        today = fields.Date.context_today(self)
        moves = partner._followup_open_invoices(all_companies=True)
        lines = self._lines(moves, today)
        overdue = [line for line in lines if line["days_late"]]
        return {
            "today": today,
            "overdue_lines": overdue,
            "upcoming_lines": [line for line in lines if not line["days_late"]],
            "totals": self._totals(moves),
            "overdue_totals": totals_per_currency(
                (line["currency"], line["amount_residual"]) for line in overdue
            ),
            "ageing": self._ageing(partner, moves.company_id, today),
            "recipient": partner._followup_get_recipient(),
            "languages": self.env["res.lang"].get_installed(),
            "policy_companies": self._policy_companies(partner).filtered(
                self._has_policy
            ),
        }

    # ------------------------------------------------------------------
    # The company's payment policy, shared with its customers
    # ------------------------------------------------------------------
    @api.model
    def _has_policy(self, company):
        """Whether ``company`` has written its payment policy (in any language:
        Odoo shows the English text where a translation is missing)."""
        return not is_html_empty(company.sudo().followup_payment_policy)

    @api.model
    def _policy_companies(self, partner):
        """The companies whose policy the customer ``partner`` may read: those
        that invoiced it, the ones of its open invoices first."""
        partner = partner.commercial_partner_id
        Move = self.env["account.move"].sudo()
        open_companies = (
            partner.sudo()._followup_open_invoices(all_companies=True).company_id
        )
        invoiced = Move._read_group(
            [
                ("commercial_partner_id", "=", partner.id),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("state", "=", "posted"),
            ],
            ["company_id"],
        )
        return open_companies | self.env["res.company"].sudo().union(
            *(company for (company,) in invoiced)
        )

    @api.model
    def _policy_values(self, partner, company_id=None):
        """What the policy page of ``partner`` (after the access check) shows:
        the policy of ``company_id`` when it invoiced the customer, else of the
        first company that did and wrote one; in the context's language.
        {'company', 'policy'} (empty when there is none to show)."""
        companies = self._policy_companies(partner)
        if company_id:
            companies = companies.filtered(lambda c: c.id == company_id)
        company = companies.filtered(self._has_policy)[:1]
        return {
            "company": company,
            "policy": company.with_context(lang=self.env.lang).followup_payment_policy
            if company
            else False,
        }

    @api.model
    def _policy_url(self, partner, company):
        """Signed link to ``company``'s payment policy for the customer
        ``partner``, or False when the company wrote none."""
        if not company or not self._has_policy(company):
            return False
        return (
            partner._followup_get_statement_url("/my/followup/policy")
            + f"&company_id={company.id}"
        )
