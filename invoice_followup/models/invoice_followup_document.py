# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64

from odoo import api, fields, models
from odoo.tools.image import image_data_uri
from odoo.tools.misc import get_lang

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
        format_date, format_amount = formatters(get_lang(self.env))
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
                }
            )
        return lines

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
            "stage": step.stage_id if step else self.env["invoice.followup.stage"],
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
        }
