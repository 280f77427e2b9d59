# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The cash coming in: a 13-week forecast by week and currency, refreshed by the
daily run, and for each past week the forecast made at its start against what
was really paid.

- Open invoices count at their predicted payment date (invoice.followup.prediction),
  in full; invoices of an active payment plan count through the plan's open
  instalments, weighted by how the company's plans are kept; invoices with a
  pending promise count at the promised date for the promised amount, weighted
  by how the customer keeps its promises (both rates (kept + 1) / (settled + 2),
  so that no history gives one half).
- Future weeks are made again at each refresh; the current week's rows are made
  by its first refresh and then kept, so that a past week shows what was
  forecast for it against what came in (kind "actual": payments applied to the
  customer invoices, credit notes excluded)."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .account_move import FOLLOWUP_MOVE_TYPES

WEEKS = 13
KINDS = [
    ("invoice", "Open invoice"),
    ("instalment", "Plan instalment"),
    ("promise", "Promise to pay"),
    ("actual", "Paid"),
]


class InvoiceFollowupCashin(models.Model):
    _name = "invoice.followup.cashin"
    _description = "Cash-in Forecast"
    _order = "week, id"
    _rec_name = "week"

    week = fields.Date(required=True, readonly=True, index=True, help="Its Monday.")
    made_on = fields.Date("Forecast Made On", readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner", "Customer", readonly=True, ondelete="cascade"
    )
    move_id = fields.Many2one("account.move", "Invoice", readonly=True)
    kind = fields.Selection(KINDS, required=True, readonly=True)
    expected = fields.Monetary(
        "Due", readonly=True, help="The amount expected, before weighting."
    )
    weight = fields.Float(readonly=True, digits=(16, 2))
    forecast = fields.Monetary(
        readonly=True, help="The amount expected, times its weight."
    )
    actual = fields.Monetary("Paid", readonly=True)

    @api.model
    def _week_of(self, day):
        return day - timedelta(days=day.weekday())

    @api.model
    def _refresh(self, today=None):
        """Make the forecast of the coming weeks again and record what was paid
        in the weeks forecast so far."""
        today = today or fields.Date.context_today(self)
        week0 = self._week_of(today)
        last = week0 + timedelta(weeks=WEEKS - 1)
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                """DELETE FROM invoice_followup_cashin
                    WHERE kind != 'actual' AND week > %s""",
                week0,
            )
        )
        frozen = {
            company_id
            for (company_id,) in self.env.execute_query(
                SQL(
                    """SELECT DISTINCT company_id FROM invoice_followup_cashin
                        WHERE kind != 'actual' AND week = %s""",
                    week0,
                )
            )
        }
        # the first week a company already has stays as it was made
        keep = SQL(
            "AND NOT (%(week)s = %(week0)s AND %(company)s = ANY(%(frozen)s))",
            week0=week0,
            frozen=list(frozen) or [0],
            week=SQL("fc.week"),
            company=SQL("fc.company_id"),
        )
        self.env.execute_query(
            SQL(
                """
            WITH plans AS (  -- invoices of a live payment plan count as instalments
                SELECT DISTINCT rel.account_move_id AS move_id
                  FROM account_move_invoice_payment_plan_rel rel
                  JOIN invoice_payment_plan pl ON pl.id = rel.invoice_payment_plan_id
                 WHERE pl.state = 'active'
            ), promise_rate AS (
                SELECT partner_id, company_id,
                       (promises_kept + 1)::float
                           / (promises_kept + promises_broken + 2) AS rate
                  FROM invoice_followup_behaviour
            ), fc AS (
                SELECT m.company_id, m.currency_id, m.commercial_partner_id,
                       m.id AS move_id,
                       CASE WHEN m.followup_promise_date >= %(today)s
                                 AND NOT COALESCE(m.followup_promise_broken, FALSE)
                            THEN 'promise' ELSE 'invoice' END AS kind,
                       CASE WHEN m.followup_promise_date >= %(today)s
                                 AND NOT COALESCE(m.followup_promise_broken, FALSE)
                            THEN LEAST(COALESCE(NULLIF(m.followup_promise_amount, 0),
                                                m.amount_residual), m.amount_residual)
                            ELSE m.amount_residual END AS expected,
                       CASE WHEN m.followup_promise_date >= %(today)s
                                 AND NOT COALESCE(m.followup_promise_broken, FALSE)
                            THEN COALESCE(pr.rate, 0.5) ELSE 1 END AS weight,
                       date_trunc('week', CASE
                           WHEN m.followup_promise_date >= %(today)s
                                AND NOT COALESCE(m.followup_promise_broken, FALSE)
                           THEN m.followup_promise_date
                           ELSE GREATEST(COALESCE(m.followup_predicted_date,
                                                  m.followup_date_due), %(today)s)
                           END)::date AS week
                  FROM account_move m
                  LEFT JOIN promise_rate pr ON pr.partner_id = m.commercial_partner_id
                       AND pr.company_id = m.company_id
                 WHERE m.move_type IN %(types)s AND m.state = 'posted'
                   AND m.payment_state IN ('not_paid', 'partial')
                   AND m.amount_residual > 0
                   AND m.followup_date_due IS NOT NULL
                   AND m.id NOT IN (SELECT move_id FROM plans)
            )
            INSERT INTO invoice_followup_cashin (
                week, made_on, company_id, currency_id, partner_id, move_id, kind,
                expected, weight, forecast, actual,
                create_uid, create_date, write_uid, write_date)
            SELECT fc.week, %(today)s, fc.company_id, fc.currency_id,
                   fc.commercial_partner_id, fc.move_id, fc.kind, fc.expected,
                   fc.weight, fc.expected * fc.weight, 0,
                   %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
              FROM fc
             WHERE fc.week <= %(last)s %(keep)s
                """,
                today=today,
                types=FOLLOWUP_MOVE_TYPES,
                last=last,
                uid=self.env.uid,
                keep=keep,
            )
        )
        self._add_instalments(today, week0, last, frozen)
        self._record_actuals(week0)
        self.invalidate_model()

    @api.model
    def _action_refresh(self):
        """Refresh predictions and forecast now (the daily run does it too)."""
        self.env["invoice.followup.prediction"].sudo()._refresh()
        self.sudo()._refresh()
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    @api.model
    def _plan_rates(self):
        """{company id: share of the settled plans that were kept}, smoothed."""
        rows = (
            self.env["invoice.payment.plan"]
            .sudo()
            ._read_group(
                [("state", "in", ("done", "broken"))],
                ["company_id", "state"],
                ["__count"],
            )
        )
        kept, settled = {}, {}
        for company, state, count in rows:
            settled[company.id] = settled.get(company.id, 0) + count
            if state == "done":
                kept[company.id] = kept.get(company.id, 0) + count
        return lambda company_id: (kept.get(company_id, 0) + 1) / (
            settled.get(company_id, 0) + 2
        )

    @api.model
    def _add_instalments(self, today, week0, last, frozen):
        plans = (
            self.env["invoice.payment.plan"].sudo().search([("state", "=", "active")])
        )
        rate = self._plan_rates()
        values = []
        for line in plans.line_ids:
            plan = line.plan_id
            left = line.amount - line.amount_paid
            if plan.currency_id.compare_amounts(left, 0) <= 0:
                continue
            week = self._week_of(max(line.date_due, today))
            if week > last or (week == week0 and plan.company_id.id in frozen):
                continue
            weight = rate(plan.company_id.id)
            values.append(
                {
                    "week": week,
                    "made_on": today,
                    "company_id": plan.company_id.id,
                    "currency_id": plan.currency_id.id,
                    "partner_id": plan.partner_id.commercial_partner_id.id,
                    "kind": "instalment",
                    "expected": left,
                    "weight": weight,
                    "forecast": left * weight,
                }
            )
        self.sudo().create(values)

    @api.model
    def _record_actuals(self, week0):
        """What customers paid in each week since the first forecast: payments
        (not credit notes) applied to their invoices, by the payment's date."""
        self.env.execute_query(
            SQL("DELETE FROM invoice_followup_cashin WHERE kind = 'actual'")
        )
        self.env.execute_query(
            SQL(
                """
            WITH span AS (SELECT company_id, min(week) AS first
                            FROM invoice_followup_cashin
                           WHERE kind != 'actual' GROUP BY company_id)
            INSERT INTO invoice_followup_cashin (
                week, company_id, currency_id, partner_id, kind, expected, weight,
                forecast, actual, create_uid, create_date, write_uid, write_date)
            SELECT date_trunc('week', p.max_date)::date, m.company_id, m.currency_id,
                   m.commercial_partner_id, 'actual', 0, 0, 0,
                   sum(p.debit_amount_currency),
                   %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
              FROM account_partial_reconcile p
              JOIN account_move_line dl ON dl.id = p.debit_move_id
              JOIN account_move m ON m.id = dl.move_id
              JOIN account_move_line cl ON cl.id = p.credit_move_id
              JOIN account_move cm ON cm.id = cl.move_id
              JOIN span ON span.company_id = m.company_id
             WHERE m.move_type IN %(types)s AND m.state = 'posted'
               AND cm.move_type NOT IN ('out_refund', 'in_refund')
               AND p.max_date >= span.first
               AND p.max_date < %(next_week)s
             GROUP BY 1, m.company_id, m.currency_id, m.commercial_partner_id
                """,
                types=FOLLOWUP_MOVE_TYPES,
                next_week=week0 + timedelta(weeks=1),
                uid=self.env.uid,
            )
        )
