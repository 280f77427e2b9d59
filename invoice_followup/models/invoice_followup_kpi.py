# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The receivables figures per company and month (the current month so far),
refreshed by the daily run for the last MONTHS months: the ledger's aggregates
in SQL (one statement per figure family for every company and month), the
countback of the DSO over those few numbers in Python. Each figure's formula is
its field's help, shown on the list and in the pivot's tooltips."""

import calendar
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

MONTHS = 13
COUNTBACK_MONTHS = 12  # the DSO counts back over at most this many months of sales


class InvoiceFollowupKpi(models.Model):
    _name = "invoice.followup.kpi"
    _description = "Receivables Figures"
    _order = "month desc, company_id"
    _rec_name = "month"

    month = fields.Date(required=True, readonly=True, index=True, help="Its 1st.")
    day_end = fields.Date(
        "As Of", readonly=True, help="The month's last day, or today for this month."
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    sales = fields.Monetary(
        "Credit Sales",
        readonly=True,
        help="Customer invoices less credit notes dated in the month.",
    )
    receivable_start = fields.Monetary(
        "Receivables at Start",
        readonly=True,
        help="Receivables at the end of the month before.",
    )
    receivable = fields.Monetary(
        "Receivables",
        readonly=True,
        help="Balance of the receivable accounts at the end of the month.",
    )
    overdue = fields.Monetary(
        readonly=True,
        help="What was still unpaid at the end of the month of the receivable items "
        "due before it.",
    )
    current = fields.Monetary(
        "Not Yet Due", readonly=True, help="Receivables - Overdue."
    )
    dso = fields.Float(
        "DSO (Countback)",
        readonly=True,
        digits=(16, 2),
        aggregator="avg",
        help="Days sales outstanding, countback method: the receivables at the end "
        "of the month are matched with the credit sales of that month, then of the "
        "months before, until used up: the days of each month fully used, plus the "
        "part of the last one (left over / its sales x its days).",
    )
    best_dso = fields.Float(
        "Best Possible DSO",
        readonly=True,
        digits=(16, 2),
        aggregator="avg",
        help="The same countback of the receivables not yet due only: the DSO if "
        "every customer paid on its due date.",
    )
    days_delinquent = fields.Float(
        "Average Days Delinquent",
        readonly=True,
        digits=(16, 2),
        aggregator="avg",
        help="DSO - Best Possible DSO: the days that late payments add.",
    )
    cei = fields.Float(
        "Collection Effectiveness (CEI, %)",
        readonly=True,
        digits=(16, 2),
        aggregator="avg",
        help="(Receivables at start + Credit sales - Receivables at end) / "
        "(Receivables at start + Credit sales - Not yet due at end) x 100: the "
        "share of what could be collected in the month that was.",
    )
    overdue_share = fields.Float(
        "Overdue Share (%)",
        readonly=True,
        digits=(16, 2),
        aggregator="avg",
        help="Overdue / Open items x 100, at the end of the month; open items are "
        "what is unpaid of the receivable items (invoices), before the customers' "
        "unapplied payments and credit notes.",
    )
    promises_due = fields.Integer(
        readonly=True, help="Promises to pay whose date fell in the month."
    )
    promises_kept = fields.Integer(
        readonly=True,
        help="Of those, the promises whose amount was paid by their date.",
    )
    promise_kept_rate = fields.Float(
        "Promises Kept (%)",
        readonly=True,
        digits=(16, 2),
        aggregator="avg",
        help="Promises kept / Promises due x 100.",
    )
    disputes_settled = fields.Integer(
        readonly=True,
        help="Questions and disputes an accountant resolved in the month.",
    )
    dispute_days = fields.Float(
        "Days to Settle a Dispute",
        readonly=True,
        digits=(16, 2),
        aggregator="avg",
        help="Average days from the customer's question or dispute to its "
        "resolution, over those resolved in the month.",
    )
    collected_14 = fields.Monetary(
        "Collected within 14 Days of a Reminder",
        readonly=True,
        help="Payments applied to the invoices of the month's follow-up steps "
        "within 14 days of the step (each payment counted for the last step before "
        "it).",
    )
    refresh_date = fields.Date(readonly=True)

    _sql_constraints = [
        (
            "company_month_uniq",
            "unique(company_id, month)",
            "One row of figures per company and month.",
        )
    ]

    @api.model
    def _months(self, today):
        first = today.replace(day=1)
        return [first - relativedelta(months=n) for n in range(MONTHS - 1, -1, -1)]

    @api.model
    def _ledger_figures(self, ends):
        """{(company id, day): (receivables, overdue, open items)} at the end of
        each of
        ``ends`` ([(company id, day)])."""
        rows = self.env.execute_query(
            SQL(
                """
            WITH ends AS (
                SELECT * FROM unnest(%(companies)s::int[], %(days)s::date[])
                    AS e(company_id, day_end)
            ), lines AS (
                SELECT l.id, l.company_id, l.date, l.date_maturity, l.balance
                  FROM account_move_line l
                  JOIN account_account a ON a.id = l.account_id
                 WHERE a.account_type = 'asset_receivable'
                   AND l.parent_state = 'posted'
                   AND l.company_id = ANY(%(companies)s)
            ), total AS (
                SELECT e.company_id, e.day_end, sum(l.balance) AS receivable,
                       sum(l.balance) FILTER (WHERE l.balance > 0
                           AND l.date_maturity < e.day_end) AS overdue_gross,
                       sum(l.balance) FILTER (WHERE l.balance > 0) AS open_gross
                  FROM ends e
                  JOIN lines l ON l.company_id = e.company_id AND l.date <= e.day_end
                 GROUP BY e.company_id, e.day_end
            ), applied AS (  -- paid by then on the items open then
                SELECT e.company_id, e.day_end, sum(p.amount) AS paid,
                       sum(p.amount) FILTER (WHERE l.date_maturity < e.day_end)
                           AS paid_overdue
                  FROM ends e
                  JOIN lines l ON l.company_id = e.company_id AND l.balance > 0
                       AND l.date <= e.day_end
                  JOIN account_partial_reconcile p ON p.debit_move_id = l.id
                       AND p.max_date <= e.day_end
                 GROUP BY e.company_id, e.day_end
            )
            SELECT e.company_id, e.day_end, COALESCE(t.receivable, 0),
                   COALESCE(t.overdue_gross, 0) - COALESCE(a.paid_overdue, 0),
                   COALESCE(t.open_gross, 0) - COALESCE(a.paid, 0)
              FROM ends e
              LEFT JOIN total t USING (company_id, day_end)
              LEFT JOIN applied a USING (company_id, day_end)
                """,
                companies=[company for company, _day in ends],
                days=[day for _company, day in ends],
            )
        )
        return {(row[0], row[1]): (row[2], row[3], row[4]) for row in rows}

    @api.model
    def _sales(self, companies, since):
        """{(company id, month): credit sales} from ``since`` on."""
        rows = self.env.execute_query(
            SQL(
                """SELECT company_id, date_trunc('month', invoice_date)::date,
                          sum(amount_total_signed)
                     FROM account_move
                    WHERE move_type IN ('out_invoice', 'out_refund')
                      AND state = 'posted' AND invoice_date >= %s
                      AND company_id = ANY(%s)
                    GROUP BY 1, 2""",
                since,
                companies.ids,
            )
        )
        return {(row[0], row[1]): row[2] for row in rows}

    @api.model
    def _countback(self, balance, sales_back, day_end):
        """Days of sales that ``balance`` represents: ``sales_back`` is the
        list of [(month, its sales)] from the month of ``day_end`` back."""
        days = 0.0
        left = balance
        for month, sales in sales_back:
            month_days = (
                day_end.day
                if month == day_end.replace(day=1)
                else calendar.monthrange(month.year, month.month)[1]
            )
            if left <= 0:
                break
            if sales <= 0:
                days += month_days
                continue
            if left > sales:
                days += month_days
                left -= sales
            else:
                days += left / sales * month_days
                left = 0
        return days

    @api.model
    def _promise_figures(self, companies, since, today):
        """{(company id, month): (promises due, kept)}: promises whose date fell
        in the month and is past; kept when the invoices' payments from the day
        of the promise to its date reach the promised amount."""
        rows = self.env.execute_query(
            SQL(
                """
            WITH promises AS (
                SELECT a.id, a.company_id, a.promise_date, a.promise_amount,
                       a.date::date AS made_on
                  FROM invoice_followup_answer a
                 WHERE a.promise_date IS NOT NULL AND a.promise_date >= %(since)s
                   AND a.promise_date < %(today)s AND a.company_id = ANY(%(companies)s)
            ), paid AS (
                SELECT pr.id, COALESCE(sum(p.amount), 0) AS paid
                  FROM promises pr
                  JOIN invoice_followup_answer_move_rel r ON r.answer_id = pr.id
                  JOIN account_move_line l ON l.move_id = r.move_id
                       AND l.display_type = 'payment_term'
                  JOIN account_partial_reconcile p ON p.debit_move_id = l.id
                       AND p.max_date >= pr.made_on AND p.max_date <= pr.promise_date
                 GROUP BY pr.id
            )
            SELECT pr.company_id, date_trunc('month', pr.promise_date)::date,
                   count(*),
                   count(*) FILTER (WHERE COALESCE(pd.paid, 0)
                                          >= pr.promise_amount - 0.005)
              FROM promises pr LEFT JOIN paid pd ON pd.id = pr.id
             GROUP BY 1, 2
                """,
                since=since,
                today=today,
                companies=companies.ids,
            )
        )
        return {(row[0], row[1]): (row[2], row[3]) for row in rows}

    @api.model
    def _monthly(self, query, companies, since):
        rows = self.env.execute_query(SQL(query, companies=companies.ids, since=since))
        return {(row[0], row[1]): row[2:] for row in rows}

    @api.model
    def _refresh(self, today=None):
        """Compute the figures of the last MONTHS months for every company and
        store them (insert or update)."""
        self = self.sudo()  # noqa: PLW0642 the figures are the same for everyone
        today = today or fields.Date.context_today(self)
        self.env.flush_all()
        companies = self.env["res.company"].sudo().search([])
        months = self._months(today)
        first = months[0]

        def end_of(month):
            return min(month + relativedelta(months=1) - timedelta(days=1), today)

        ends = [
            (company.id, day)
            for company in companies
            for day in [first - timedelta(days=1)] + [end_of(m) for m in months]
        ]
        ledger = self._ledger_figures(ends)
        sales = self._sales(companies, first - relativedelta(months=COUNTBACK_MONTHS))
        promises = self._promise_figures(companies, first, today)
        disputes = self._monthly(
            """SELECT company_id, date_trunc('month', resolved_date)::date,
                      count(*), avg(extract(epoch FROM resolved_date - date) / 86400)
                 FROM invoice_followup_answer
                WHERE kind IN ('question', 'dispute') AND resolved_date >= %(since)s
                  AND company_id = ANY(%(companies)s)
                GROUP BY 1, 2""",
            companies,
            first,
        )
        collected = self._monthly(
            """SELECT company_id, date_trunc('month', date)::date,
                      COALESCE(sum(paid_14_amount), 0)
                 FROM invoice_followup_log
                WHERE state = 'done' AND date >= %(since)s
                  AND company_id = ANY(%(companies)s)
                GROUP BY 1, 2""",
            companies,
            first,
        )
        existing = {
            (row.company_id.id, row.month): row
            for row in self.search(
                [("company_id", "in", companies.ids), ("month", ">=", first)]
            )
        }
        to_create = []
        for company in companies:
            for month in months:
                day_end = end_of(month)
                before = month - timedelta(days=1)
                receivable, overdue, open_items = ledger.get(
                    (company.id, day_end), (0.0, 0.0, 0.0)
                )
                start = ledger.get((company.id, before), (0.0, 0.0, 0.0))[0]
                current = receivable - overdue
                month_sales = sales.get((company.id, month), 0.0)
                back = [
                    (m, sales.get((company.id, m), 0.0))
                    for m in (
                        month - relativedelta(months=n) for n in range(COUNTBACK_MONTHS)
                    )
                ]
                dso = self._countback(receivable, back, day_end)
                best = self._countback(current, back, day_end)
                collectible = start + month_sales - current
                due, kept = promises.get((company.id, month), (0, 0))
                settled, settle_days = disputes.get((company.id, month), (0, 0.0))
                values = {
                    "day_end": day_end,
                    "sales": month_sales,
                    "receivable_start": start,
                    "receivable": receivable,
                    "overdue": overdue,
                    "current": current,
                    "dso": dso,
                    "best_dso": best,
                    "days_delinquent": dso - best,
                    "cei": (start + month_sales - receivable) / collectible * 100
                    if collectible > 0
                    else 0.0,
                    "overdue_share": overdue / open_items * 100
                    if open_items > 0
                    else 0.0,
                    "promises_due": due,
                    "promises_kept": kept,
                    "promise_kept_rate": kept / due * 100 if due else 0.0,
                    "disputes_settled": settled,
                    "dispute_days": settle_days or 0.0,
                    "collected_14": collected.get((company.id, month), (0.0,))[0],
                    "refresh_date": today,
                }
                row = existing.get((company.id, month))
                if row:
                    row.write(values)
                else:
                    to_create.append(
                        {"company_id": company.id, "month": month, **values}
                    )
        self.create(to_create)

    @api.model
    def _action_refresh(self):
        """Refresh what happened after the recent steps and the figures now
        (the daily run does it too)."""
        self.env["invoice.followup.effect"].sudo()._refresh()
        self.sudo()._refresh()
        return {
            "type": "ir.actions.client",
            "tag": "soft_reload",
        }
