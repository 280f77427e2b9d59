# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""When each open invoice will be paid, from the customer's own history pulled
towards the company-wide pattern when the customer has few paid invoices.

Simple statistics, said in words: the median of how late (or early) the
customer's fully paid invoices were paid, shrunk towards the company's median:

    predicted days late = (n * customer median + k * company median) / (n + k)

The weight k of the company's median is learnt from the company's own ledger
(empirical Bayes, with robust spreads so that a few very late payments do not
decide it): k = (pi / 2) * (within / between) ** 2, where "within" is the median,
over customers with 2 paid invoices or more, of each customer's median absolute
deviation, and "between" the median absolute deviation of their medians (the
median of n invoices varies like pi / 2 * spread ** 2 / n). Customers who differ
much from each other and little from themselves get a small k (their own history
counts fast), alike customers a large one. Bounded to [K_MIN, K_MAX]; with fewer
than K_MIN_CUSTOMERS such customers there is nothing to learn from and k is
K_DEFAULT.

The same SQL serves the daily refresh (what is known today, for every open
invoice) and the back-test of benchmarks/forecast.py (what was known at the start
of each invoice's month, for invoices since paid)."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .account_move import FOLLOWUP_MOVE_TYPES

# the company-wide median counts as k of the customer's paid invoices (see above)
K_DEFAULT = 1
K_MIN = 0.05
K_MAX = 4
K_MIN_CUSTOMERS = 3
# the basis says "pulled towards the company's usual delay" from this pull (days)
PULL_DAYS = 1


class InvoiceFollowupPrediction(models.AbstractModel):
    _name = "invoice.followup.prediction"
    _description = "Payment Date Prediction"

    @api.model
    def _history_sql(self):
        """Each fully paid customer invoice: the day of its last payment and how
        many days after its due dates it was paid (signed, weighted by amount)."""
        return SQL(
            """
            SELECT m.id AS move_id, m.commercial_partner_id AS partner_id,
                   m.company_id, max(p.max_date) AS paid_on,
                   sum(p.amount * (p.max_date - l.date_maturity))::float
                       / sum(p.amount) AS late
              FROM account_partial_reconcile p
              JOIN account_move_line l ON l.id = p.debit_move_id
              JOIN account_move m ON m.id = l.move_id
             WHERE m.move_type IN %(types)s AND m.state = 'posted'
               AND m.payment_state IN ('paid', 'in_payment')
               AND l.display_type = 'payment_term'
               AND l.date_maturity IS NOT NULL AND p.amount > 0
             GROUP BY m.id
            """,
            types=FOLLOWUP_MOVE_TYPES,
        )

    @api.model
    def _predict_sql(self, targets, with_partner=False):
        """Rows (move_id, paid_count, median, mean, company_median, predicted,
        weight k of the company's median) for
        ``targets``, a SQL query of rows (move_id, partner_id, company_id, as_of):
        what the history paid before ``as_of`` says of each."""
        return SQL(
            """
            WITH hist AS (%(history)s),
            targets AS (%(targets)s),
            keys AS (SELECT DISTINCT partner_id, company_id, as_of FROM targets),
            cust AS (
                SELECT k.partner_id, k.company_id, k.as_of,
                       count(h.move_id) AS paid_count,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY h.late) AS median,
                       avg(h.late) AS mean
                  FROM keys k
                  LEFT JOIN hist h ON h.partner_id = k.partner_id
                       AND h.company_id = k.company_id AND h.paid_on < k.as_of
                 GROUP BY k.partner_id, k.company_id, k.as_of
            ), ckeys AS (SELECT DISTINCT company_id, as_of FROM targets),
            known AS (  -- the whole company's paid history before each as_of
                SELECT c.company_id, c.as_of, h.partner_id, h.late
                  FROM ckeys c
                  JOIN hist h ON h.company_id = c.company_id AND h.paid_on < c.as_of
            ), percust AS (
                SELECT company_id, as_of, partner_id, count(*) AS n,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY late) AS med
                  FROM known GROUP BY company_id, as_of, partner_id
            ), mads AS (  -- how much each customer differs from itself
                SELECT k.company_id, k.as_of, k.partner_id, e.med,
                       percentile_cont(0.5) WITHIN GROUP (
                           ORDER BY abs(k.late - e.med)) AS mad
                  FROM known k
                  JOIN percust e USING (company_id, as_of, partner_id)
                 WHERE e.n >= 2
                 GROUP BY k.company_id, k.as_of, k.partner_id, e.med
            ), centre AS (
                SELECT company_id, as_of, count(*) AS customers,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY mad) AS within_mad,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY med) AS mid
                  FROM mads GROUP BY company_id, as_of
            ), spread AS (  -- and how much customers differ from each other
                SELECT c.company_id, c.as_of, c.customers, c.within_mad,
                       percentile_cont(0.5) WITHIN GROUP (
                           ORDER BY abs(m.med - c.mid)) AS between_mad
                  FROM centre c
                  JOIN mads m ON m.company_id = c.company_id AND m.as_of = c.as_of
                 GROUP BY c.company_id, c.as_of, c.customers, c.within_mad
            ), comp AS (
                SELECT c.company_id, c.as_of,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY k.late)
                           AS company_median,
                       CASE WHEN min(s.customers) IS NULL
                                 OR min(s.customers) < %(k_customers)s
                            THEN %(k_default)s
                            WHEN min(s.between_mad) = 0 THEN %(k_max)s
                            ELSE LEAST(GREATEST(pi() / 2 * (min(s.within_mad)
                                 / min(s.between_mad)) ^ 2, %(k_min)s), %(k_max)s)
                       END AS k
                  FROM ckeys c
                  LEFT JOIN known k
                       ON k.company_id = c.company_id AND k.as_of = c.as_of
                  LEFT JOIN spread s
                       ON s.company_id = c.company_id AND s.as_of = c.as_of
                 GROUP BY c.company_id, c.as_of
            )
            SELECT t.move_id, %(partner)s cu.paid_count, cu.median, cu.mean,
                   COALESCE(co.company_median, 0) AS company_median,
                   (cu.paid_count * COALESCE(cu.median, 0)
                        + co.k * COALESCE(co.company_median, 0))
                       / (cu.paid_count + co.k) AS predicted,
                   co.k AS weight
              FROM targets t
              JOIN cust cu ON cu.partner_id = t.partner_id
                   AND cu.company_id = t.company_id AND cu.as_of = t.as_of
              JOIN comp co ON co.company_id = t.company_id AND co.as_of = t.as_of
            """,
            history=self._history_sql(),
            targets=targets,
            k_customers=K_MIN_CUSTOMERS,
            k_default=K_DEFAULT,
            k_min=K_MIN,
            k_max=K_MAX,
            partner=SQL("t.partner_id,") if with_partner else SQL(),
        )

    @api.model
    def _for_customers(self, partners, company, today=None):
        """{commercial partner id: (predicted days late, paid invoices, median)}
        of how a new invoice of each of ``partners`` would be paid."""
        today = today or fields.Date.context_today(self)
        ids = partners.commercial_partner_id.ids
        if not ids:
            return {}
        self.env["account.partial.reconcile"].flush_model()
        self.env["account.move"].flush_model()
        targets = SQL(
            """SELECT NULL::int AS move_id, p AS partner_id,
                      %(company)s AS company_id, %(as_of)s::date AS as_of
                 FROM unnest(%(ids)s) AS p""",
            company=company.id,
            as_of=today + timedelta(days=1),
            ids=ids,
        )
        rows = self.env.execute_query(
            SQL(
                """SELECT pr.partner_id, pr.predicted, pr.paid_count,
                          COALESCE(pr.median, pr.company_median)
                     FROM (%s) pr""",
                self._predict_sql(targets, with_partner=True),
            )
        )
        return {row[0]: row[1:] for row in rows}

    @api.model
    def _basis_words(self, count, median, late=False, predicted=None):
        """The prediction's basis in words: "12 paid invoices, median 9 days late";
        said "pulled towards the company's usual delay" when that moved the
        ``predicted`` days late by PULL_DAYS or more."""
        days = round(median)
        delay = (
            self.env._("%(days)s days late", days=days)
            if days > 0
            else self.env._("%(days)s days early", days=-days)
            if days < 0
            else self.env._("on the due date")
        )
        if not count:
            words = self.env._(
                "No paid invoice yet: the company's median, %(delay)s", delay=delay
            )
        elif predicted is not None and abs(predicted - median) >= PULL_DAYS:
            words = self.env._(
                "%(count)s paid invoice(s), median %(delay)s, pulled towards the "
                "company's usual delay",
                count=count,
                delay=delay,
            )
        else:
            words = self.env._(
                "%(count)s paid invoices, median %(delay)s", count=count, delay=delay
            )
        if late:
            words = self.env._("%(words)s; already later than that", words=words)
        return words

    @api.model
    def _refresh(self, partners=None, today=None):
        """Predict the payment date of every open invoice (of ``partners``' when
        given) with what is known today, and store it on the invoice."""
        Move = self.env["account.move"]
        today = today or fields.Date.context_today(self)
        Move.flush_model()
        self.env["account.move.line"].flush_model()
        self.env["account.partial.reconcile"].flush_model()
        only = (
            SQL(
                "AND m.commercial_partner_id = ANY(%s)",
                partners.commercial_partner_id.ids,
            )
            if partners is not None
            else SQL()
        )
        targets = SQL(
            """
            SELECT m.id AS move_id, m.commercial_partner_id AS partner_id,
                   m.company_id, %(tomorrow)s::date AS as_of
              FROM account_move m
             WHERE m.move_type IN %(types)s AND m.state = 'posted'
               AND m.payment_state IN ('not_paid', 'partial')
               AND m.followup_date_due IS NOT NULL %(only)s
            """,
            tomorrow=today + timedelta(days=1),
            types=FOLLOWUP_MOVE_TYPES,
            only=only,
        )
        self.env.execute_query(
            SQL(
                """
            UPDATE account_move m
               SET followup_predicted_days = pr.predicted,
                   followup_predicted_count = pr.paid_count,
                   followup_predicted_median = COALESCE(pr.median, pr.company_median),
                   followup_predicted_late = m.followup_date_due
                       + round(pr.predicted)::int < %(today)s,
                   followup_predicted_date = GREATEST(
                       m.followup_date_due + round(pr.predicted)::int, %(today)s)
              FROM (%(predict)s) pr
             WHERE m.id = pr.move_id
                """,
                predict=self._predict_sql(targets),
                today=today,
            )
        )
        Move.invalidate_model(
            [
                "followup_predicted_days",
                "followup_predicted_count",
                "followup_predicted_median",
                "followup_predicted_late",
                "followup_predicted_date",
            ]
        )
