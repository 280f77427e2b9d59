# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""How each customer pays, learnt from the ledger: one row per commercial
partner and company, computed in SQL for all customers at once (one statement,
no Python loop over invoices) and stored, so that lists sort, filter and group
by it. Refreshed by the daily run and on demand from the customer's form."""

from odoo import api, fields, models
from odoo.tools import SQL

from .account_move import FOLLOWUP_MOVE_TYPES
from .invoice_followup_risk_level import RISK_LEVELS

# "usually late": at least this many paid invoices, paid this many days late on average
USUALLY_LATE_MIN_PAID = 3
USUALLY_LATE_DAYS = 7
# "getting worse": the last 90 days this many days later than the 12 months before
GETTING_WORSE_DAYS = 7
# The risk score, 0 to 100: the points of each figure (its weight, and the value
# that gives all of them). Said once: the SQL score and the reasons read it.
SCORE_POINTS = (
    # (figure, points, value giving all the points)
    ("late", 40, 60),  # average days late
    ("after_due", 15, 1),  # share of the amount paid after the due date
    ("promises", 15, 3),  # broken promises
    ("plans", 10, 2),  # broken payment plans
    ("owes", 10, 2),  # open amount above the usual one (ratio - 1)
    ("worse", 10, 30),  # days later than before
)
# score below the first bound: low; below the second: medium; else high
BAND_BOUNDS = (34, 67)


class InvoiceFollowupBehaviour(models.Model):
    _name = "invoice.followup.behaviour"
    _description = "Payment Behaviour"
    _order = "avg_days_late desc, id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner",
        "Customer",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    paid_count = fields.Integer(
        "Paid Invoices",
        readonly=True,
        help="Invoices with at least one payment (or credit note) applied.",
    )
    avg_days_late = fields.Float(
        "Average Days Late",
        readonly=True,
        digits=(16, 1),
        help="Days between each instalment's due date and its payment, weighted by "
        "the amount paid (a payment before the due date counts 0).",
    )
    days_late_spread = fields.Float(
        "Spread of Days Late",
        readonly=True,
        digits=(16, 1),
        help="Standard deviation of the days late of the payments.",
    )
    share_on_time = fields.Float(
        "Paid by the Due Date",
        readonly=True,
        help="Share of the amount paid that was paid by its due date (0 to 1).",
    )
    share_partial = fields.Float(
        "Paid in Part",
        readonly=True,
        help="Share of the paid invoices that were paid in more than one payment.",
    )
    avg_days_to_pay = fields.Float(
        "Average Days to Pay",
        readonly=True,
        digits=(16, 1),
        help="Days between the invoice date and the payment, weighted by amount.",
    )
    recent_days_late = fields.Float(
        "Days Late (last 90 days)", readonly=True, digits=(16, 1)
    )
    earlier_days_late = fields.Float(
        "Days Late (12 months before)", readonly=True, digits=(16, 1)
    )
    trend_days = fields.Float(
        "Trend (days)",
        readonly=True,
        digits=(16, 1),
        help="Average days late of the last 90 days minus that of the 12 months "
        "before: positive when the customer pays later than it used to.",
    )
    open_amount = fields.Monetary(readonly=True)
    usual_open_amount = fields.Monetary(
        readonly=True,
        help="What the customer usually owes: its invoicing of the last 12 months "
        "per day, times its average days to pay.",
    )
    open_ratio = fields.Float(
        "Open / Usual",
        readonly=True,
        digits=(16, 1),
        help="Open amount divided by the usual open amount.",
    )
    promises_made = fields.Integer(readonly=True)
    promises_kept = fields.Integer(readonly=True)
    promises_broken = fields.Integer(readonly=True)
    plans_kept = fields.Integer(readonly=True)
    plans_broken = fields.Integer(readonly=True)
    question_count = fields.Integer("Questions", readonly=True)
    dispute_count = fields.Integer("Disputes", readonly=True)
    usually_late = fields.Boolean(
        readonly=True,
        help=f"At least {USUALLY_LATE_MIN_PAID} paid invoices, paid more than "
        f"{USUALLY_LATE_DAYS} days late on average.",
    )
    getting_worse = fields.Boolean(
        readonly=True,
        help=f"The last 90 days paid more than {GETTING_WORSE_DAYS} days later on "
        "average than the 12 months before.",
    )
    refresh_date = fields.Date("Computed On", readonly=True)
    risk_score = fields.Integer(
        readonly=True,
        help="0 (pays on time) to 100: days late (40 points at 60 days), the amount "
        "paid after the due date (15), broken promises (15 at 3), broken plans (10 "
        "at 2), owing more than usual (10 at 3 times), paying later than before "
        "(10 at 30 days).",
    )
    risk_band = fields.Selection(
        RISK_LEVELS,
        readonly=True,
        help="From the score (low below 34, high from 67); the company's band for "
        "customers without payment history.",
    )
    risk_reasons = fields.Char(compute="_compute_risk_reasons")

    @api.depends_context("lang")
    def _compute_risk_reasons(self):
        for row in self:
            row.risk_reasons = "; ".join(row._risk_reasons())

    def _score_parts(self):
        """{figure: points} of this customer's score (see SCORE_POINTS)."""
        self.ensure_one()
        values = {
            "late": self.avg_days_late,
            "after_due": 1 - self.share_on_time,
            "promises": self.promises_broken,
            "plans": self.plans_broken,
            "owes": self.open_ratio - 1,
            "worse": self.trend_days,
        }
        return {
            name: points * min(max(values[name], 0) / full, 1)
            for name, points, full in SCORE_POINTS
        }

    def _risk_reasons(self):
        """The two or three figures that weigh most in the score, in words."""
        self.ensure_one()
        if not self.paid_count:
            return [self.env._("No payment history yet: the company's default band")]
        words = {
            "late": lambda: self.env._(
                "pays %(days)s days late on average", days=round(self.avg_days_late)
            ),
            "after_due": lambda: self.env._(
                "%(share)s%% of the amount paid after the due date",
                share=round((1 - self.share_on_time) * 100),
            ),
            "promises": lambda: self.env._(
                "%(count)s broken promise(s)", count=self.promises_broken
            ),
            "plans": lambda: self.env._(
                "%(count)s broken payment plan(s)", count=self.plans_broken
            ),
            "owes": lambda: self.env._(
                "owes %(ratio)sx the usual amount", ratio=round(self.open_ratio, 1)
            ),
            "worse": lambda: self.env._(
                "pays %(days)s days later than before", days=round(self.trend_days)
            ),
        }
        parts = sorted(self._score_parts().items(), key=lambda item: -item[1])
        reasons = [words[name]() for name, points in parts if points >= 1][:3]
        return reasons or [self.env._("pays on time")]

    _sql_constraints = [
        (
            "partner_company_uniq",
            "unique(partner_id, company_id)",
            "One payment behaviour per customer and company.",
        ),
    ]

    @api.model
    def _refresh(self, partners=None):
        """Compute the payment behaviour of every customer (or of ``partners``'
        commercial partners) in every company, in one SQL statement, and store
        it (insert or update)."""
        today = fields.Date.context_today(self)
        Move = self.env["account.move"]
        Move.flush_model()
        self.env["account.move.line"].flush_model()
        self.env["account.partial.reconcile"].flush_model()
        self.env["invoice.payment.plan"].flush_model()
        self.flush_model()
        only = (
            SQL(
                "AND m.commercial_partner_id = ANY(%s)",
                partners.commercial_partner_id.ids,
            )
            if partners is not None
            else SQL()
        )
        self.env.execute_query(
            SQL(
                """
            WITH paid AS (  -- each payment applied to an invoice's instalment
                SELECT m.commercial_partner_id AS partner_id, m.company_id,
                       m.id AS move_id, p.amount,
                       GREATEST(p.max_date - l.date_maturity, 0) AS late,
                       GREATEST(p.max_date - m.invoice_date, 0) AS to_pay,
                       p.max_date,
                       count(*) OVER (PARTITION BY m.id) AS move_payments
                  FROM account_partial_reconcile p
                  JOIN account_move_line l ON l.id = p.debit_move_id
                  JOIN account_move m ON m.id = l.move_id
                 WHERE m.move_type IN %(types)s AND m.state = 'posted'
                   AND l.display_type = 'payment_term'
                   AND l.date_maturity IS NOT NULL AND p.amount > 0 %(only)s
            ), ledger AS (
                SELECT partner_id, company_id,
                       count(DISTINCT move_id) AS paid_count,
                       count(DISTINCT move_id) FILTER (WHERE move_payments > 1)::float
                           / count(DISTINCT move_id) AS share_partial,
                       sum(amount * late) / sum(amount) AS avg_days_late,
                       stddev_pop(late) AS days_late_spread,
                       COALESCE(sum(amount) FILTER (WHERE late = 0), 0)
                           / sum(amount) AS share_on_time,
                       sum(amount * to_pay) / sum(amount) AS avg_days_to_pay,
                       sum(amount * late) FILTER (WHERE max_date > %(recent)s)
                           / NULLIF(sum(amount) FILTER (WHERE max_date > %(recent)s), 0)
                           AS recent_days_late,
                       sum(amount * late) FILTER (
                           WHERE max_date <= %(recent)s
                             AND max_date > %(earlier)s)
                           / NULLIF(sum(amount) FILTER (
                                   WHERE max_date <= %(recent)s
                                 AND max_date > %(earlier)s), 0)
                           AS earlier_days_late
                  FROM paid GROUP BY partner_id, company_id
                HAVING sum(amount) > 0
            ), moves AS (
                SELECT m.commercial_partner_id AS partner_id, m.company_id,
                       COALESCE(sum(m.amount_residual_signed) FILTER (
                           WHERE m.payment_state IN ('not_paid', 'partial')), 0)
                           AS open_amount,
                       COALESCE(sum(m.amount_total_signed) FILTER (
                           WHERE m.invoice_date > %(year)s), 0) AS invoiced_year,
                       COALESCE(sum(m.followup_promise_broken_count), 0)
                           + count(*) FILTER (WHERE m.followup_promise_date IS NOT NULL
                                AND NOT COALESCE(m.followup_promise_broken, FALSE))
                           AS promises_made,
                       count(*) FILTER (WHERE m.followup_promise_date IS NOT NULL
                                AND NOT COALESCE(m.followup_promise_broken, FALSE)
                                AND m.payment_state IN ('paid', 'in_payment'))
                           AS promises_kept,
                       COALESCE(sum(m.followup_promise_broken_count), 0)
                           AS promises_broken,
                       count(*) FILTER (
                           WHERE m.followup_question_type IN ('question', 'paid'))
                           AS question_count,
                       count(*) FILTER (WHERE m.followup_question_type = 'dispute')
                           AS dispute_count
                  FROM account_move m
                 WHERE m.move_type IN %(types)s AND m.state = 'posted' %(only)s
                 GROUP BY m.commercial_partner_id, m.company_id
            ), plans AS (
                SELECT cp.commercial_partner_id AS partner_id, pl.company_id,
                       count(*) FILTER (WHERE pl.state = 'done') AS plans_kept,
                       count(*) FILTER (WHERE pl.state = 'broken') AS plans_broken
                  FROM invoice_payment_plan pl
                  JOIN res_partner cp ON cp.id = pl.partner_id
                 GROUP BY cp.commercial_partner_id, pl.company_id
            ), figures AS (
                SELECT mv.partner_id, mv.company_id,
                       COALESCE(lg.paid_count, 0) AS paid_count,
                       COALESCE(lg.avg_days_late, 0) AS avg_days_late,
                       COALESCE(lg.days_late_spread, 0) AS days_late_spread,
                       COALESCE(lg.share_on_time, 0) AS share_on_time,
                       COALESCE(lg.share_partial, 0) AS share_partial,
                       COALESCE(lg.avg_days_to_pay, 0) AS avg_days_to_pay,
                       COALESCE(lg.recent_days_late, 0) AS recent_days_late,
                       COALESCE(lg.earlier_days_late, 0) AS earlier_days_late,
                       CASE WHEN lg.recent_days_late IS NOT NULL
                                 AND lg.earlier_days_late IS NOT NULL
                            THEN lg.recent_days_late - lg.earlier_days_late ELSE 0
                       END AS trend_days,
                       mv.open_amount,
                       mv.invoiced_year / 365.0 * COALESCE(lg.avg_days_to_pay, 0)
                           AS usual_open_amount,
                       mv.promises_made, mv.promises_kept, mv.promises_broken,
                       COALESCE(pl.plans_kept, 0) AS plans_kept,
                       COALESCE(pl.plans_broken, 0) AS plans_broken,
                       mv.question_count, mv.dispute_count
                  FROM moves mv
                  LEFT JOIN ledger lg USING (partner_id, company_id)
                  LEFT JOIN plans pl USING (partner_id, company_id)
            ), ratios AS (
                SELECT f.*,
                       CASE WHEN f.usual_open_amount > 0
                            THEN f.open_amount / f.usual_open_amount ELSE 0 END
                           AS open_ratio,
                       co.followup_default_risk AS default_risk
                  FROM figures f
                  JOIN res_company co ON co.id = f.company_id
            ), scored AS (
                SELECT r.*, %(score)s AS score FROM ratios r
            )
            INSERT INTO invoice_followup_behaviour (
                partner_id, company_id, paid_count, avg_days_late, days_late_spread,
                share_on_time, share_partial, avg_days_to_pay, recent_days_late,
                earlier_days_late, trend_days, open_amount, usual_open_amount,
                open_ratio, promises_made, promises_kept, promises_broken,
                plans_kept, plans_broken, question_count, dispute_count,
                usually_late, getting_worse, risk_score, risk_band, refresh_date,
                create_uid, create_date, write_uid, write_date)
            SELECT partner_id, company_id, paid_count, avg_days_late, days_late_spread,
                   share_on_time, share_partial, avg_days_to_pay, recent_days_late,
                   earlier_days_late, trend_days, open_amount, usual_open_amount,
                   open_ratio,
                   promises_made, promises_kept, promises_broken,
                   plans_kept, plans_broken, question_count, dispute_count,
                   paid_count >= %(min_paid)s AND avg_days_late > %(late_days)s,
                   trend_days > %(worse_days)s,
                   CASE WHEN paid_count > 0 THEN round(score) ELSE 0 END,
                   CASE WHEN paid_count = 0 THEN default_risk
                        WHEN score < %(low)s THEN 'low'
                        WHEN score < %(medium)s THEN 'medium'
                        ELSE 'high' END,
                   %(today)s, %(uid)s, now() at time zone 'UTC',
                   %(uid)s, now() at time zone 'UTC'
              FROM scored
            ON CONFLICT (partner_id, company_id) DO UPDATE SET
                paid_count = EXCLUDED.paid_count,
                avg_days_late = EXCLUDED.avg_days_late,
                days_late_spread = EXCLUDED.days_late_spread,
                share_on_time = EXCLUDED.share_on_time,
                share_partial = EXCLUDED.share_partial,
                avg_days_to_pay = EXCLUDED.avg_days_to_pay,
                recent_days_late = EXCLUDED.recent_days_late,
                earlier_days_late = EXCLUDED.earlier_days_late,
                trend_days = EXCLUDED.trend_days,
                open_amount = EXCLUDED.open_amount,
                usual_open_amount = EXCLUDED.usual_open_amount,
                open_ratio = EXCLUDED.open_ratio,
                promises_made = EXCLUDED.promises_made,
                promises_kept = EXCLUDED.promises_kept,
                promises_broken = EXCLUDED.promises_broken,
                plans_kept = EXCLUDED.plans_kept,
                plans_broken = EXCLUDED.plans_broken,
                question_count = EXCLUDED.question_count,
                dispute_count = EXCLUDED.dispute_count,
                usually_late = EXCLUDED.usually_late,
                getting_worse = EXCLUDED.getting_worse,
                risk_score = EXCLUDED.risk_score,
                risk_band = EXCLUDED.risk_band,
                refresh_date = EXCLUDED.refresh_date,
                write_uid = EXCLUDED.write_uid,
                write_date = EXCLUDED.write_date
            """,
                types=FOLLOWUP_MOVE_TYPES,
                only=only,
                recent=fields.Date.subtract(today, days=90),
                earlier=fields.Date.subtract(today, days=455),
                year=fields.Date.subtract(today, days=365),
                min_paid=USUALLY_LATE_MIN_PAID,
                late_days=USUALLY_LATE_DAYS,
                worse_days=GETTING_WORSE_DAYS,
                score=self._score_sql(),
                low=BAND_BOUNDS[0],
                medium=BAND_BOUNDS[1],
                today=today,
                uid=self.env.uid,
            )
        )
        self.invalidate_model()

    @api.model
    def _score_sql(self):
        """SCORE_POINTS as a SQL expression over the columns of ``ratios``."""
        columns = {
            "late": SQL("r.avg_days_late"),
            "after_due": SQL("(1 - r.share_on_time)"),
            "promises": SQL("r.promises_broken"),
            "plans": SQL("r.plans_broken"),
            "owes": SQL("(r.open_ratio - 1)"),
            "worse": SQL("r.trend_days"),
        }
        terms = [
            SQL(
                "%s * LEAST(GREATEST(%s, 0)::float / %s, 1)",
                points,
                columns[name],
                full,
            )
            for name, points, full in SCORE_POINTS
        ]
        return SQL(" + ").join(terms)
