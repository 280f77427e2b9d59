# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What happened after each follow-up step, computed for all recent steps in one
SQL statement by the daily run and kept on the step (invoice.followup.log) for
the Follow-up Analysis.

Every event is attributed to the step that came last before it: a payment
applied to one of the step's invoices (credit notes are not cash), an online
payment transaction on them, an answer (its step_id, set when it was recorded),
the first visit of the customer's signed link (opened_date, written by the
portal). A step then reads:

- paid within 7, 14 and 30 days of its date: the amounts so attributed, in
  company currency, and their share of the amount claimed (amount_due);
- opened, answered (the first answer's kind), promised, paid online;
- its outcome, the best of: paid (the whole claim within 30 days), paid in part,
  promised, answered, opened; "nothing" once 30 days passed without any,
  "waiting" before.

Steps older than REFRESH_DAYS keep their figures: nothing after 30 days counts."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

WINDOW_DAYS = 30
REFRESH_DAYS = 45
CHANNELS = [
    ("email", "Email"),
    ("sms", "SMS"),
    ("letter", "Letter"),
    ("call", "Activity"),
]
OUTCOMES = [
    ("paid", "Paid"),
    ("part_paid", "Paid in part"),
    ("promised", "Promised"),
    ("answered", "Answered"),
    ("opened", "Opened the link"),
    ("nothing", "Nothing"),
    ("waiting", "Waiting (under 30 days)"),
]
WEEKDAYS = [
    ("1", "Monday"),
    ("2", "Tuesday"),
    ("3", "Wednesday"),
    ("4", "Thursday"),
    ("5", "Friday"),
    ("6", "Saturday"),
    ("7", "Sunday"),
]


def channel_mixes():
    """Every combination of the channels, as (code, label): ("email+sms",
    "Email + SMS"); "none" when the step sent nothing."""
    mixes = [("none", "None")]
    for mask in range(1, 2 ** len(CHANNELS)):
        chosen = [channel for i, channel in enumerate(CHANNELS) if mask >> i & 1]
        mixes.append(
            (
                "+".join(code for code, _label in chosen),
                " + ".join(label for _code, label in chosen),
            )
        )
    return mixes


class InvoiceFollowupEffect(models.AbstractModel):
    _name = "invoice.followup.effect"
    _description = "Follow-up Step Effect"

    @api.model
    def _refresh(self, since=None, today=None):
        """Compute what happened after every done step dated ``since`` or later
        (default: the last REFRESH_DAYS days; False: all steps)."""
        today = today or fields.Date.context_today(self)
        if since is None:
            since = today - timedelta(days=REFRESH_DAYS)
        self.env.flush_all()
        since = since or fields.Date.to_date("1900-01-01")
        self.env.execute_query(
            SQL(
                """
            WITH steps AS (
                SELECT s.id, s.date, s.amount_due
                  FROM invoice_followup_log s
                 WHERE s.state = 'done' AND s.date >= %(since)s
            ), pays AS (  -- each payment on a step's invoice, to the last step before
                SELECT DISTINCT ON (p.id) s.id AS step_id, p.max_date, p.amount
                  FROM account_partial_reconcile p
                  JOIN account_move_line l ON l.id = p.debit_move_id
                  JOIN account_move_line cl ON cl.id = p.credit_move_id
                  JOIN account_move cm ON cm.id = cl.move_id
                  JOIN invoice_followup_log_account_move_rel r ON r.move_id = l.move_id
                  JOIN invoice_followup_log s ON s.id = r.log_id
                       AND s.state = 'done' AND s.date <= p.max_date
                 WHERE l.display_type = 'payment_term' AND p.amount > 0
                   AND cm.move_type NOT IN ('out_refund', 'in_refund')
                   AND p.max_date >= %(since)s
                 ORDER BY p.id, s.date DESC, s.id DESC
            ), paid AS (
                SELECT st.id AS step_id,
                       sum(pa.amount) FILTER (WHERE pa.max_date <= st.date + 7) AS d7,
                       sum(pa.amount) FILTER (WHERE pa.max_date <= st.date + 14) AS d14,
                       sum(pa.amount) FILTER (WHERE pa.max_date <= st.date + 30) AS d30,
                       max(pa.max_date) FILTER (WHERE pa.max_date <= st.date + 30)
                           - st.date AS last_day
                  FROM pays pa JOIN steps st ON st.id = pa.step_id
                 GROUP BY st.id, st.date
            ), txs AS (  -- each done online payment, to the last step before
                SELECT DISTINCT ON (t.id) s.id AS step_id
                  FROM payment_transaction t
                  JOIN account_invoice_transaction_rel tr ON tr.transaction_id = t.id
                  JOIN invoice_followup_log_account_move_rel r
                       ON r.move_id = tr.invoice_id
                  JOIN invoice_followup_log s ON s.id = r.log_id
                       AND s.state = 'done' AND s.date <= t.create_date::date
                 WHERE t.state = 'done' AND t.create_date >= %(since)s
                 ORDER BY t.id, s.date DESC, s.id DESC
            ), answers AS (
                SELECT DISTINCT ON (a.step_id) a.step_id, a.kind,
                       bool_or(a.promise_date IS NOT NULL) OVER (PARTITION BY a.step_id)
                           AS promised
                  FROM invoice_followup_answer a
                  JOIN steps st ON st.id = a.step_id
                 ORDER BY a.step_id, a.date, a.id
            ), figures AS (
                SELECT st.id, st.date, st.amount_due,
                       COALESCE(pd.d7, 0) AS d7, COALESCE(pd.d14, 0) AS d14,
                       COALESCE(pd.d30, 0) AS d30, pd.last_day,
                       an.kind AS answer_kind, COALESCE(an.promised, FALSE) AS promised,
                       EXISTS (SELECT 1 FROM txs WHERE txs.step_id = st.id) AS online
                  FROM steps st
                  LEFT JOIN paid pd ON pd.step_id = st.id
                  LEFT JOIN answers an ON an.step_id = st.id
            )
            UPDATE invoice_followup_log s
               SET paid_7_amount = f.d7, paid_14_amount = f.d14,
                   paid_30_amount = f.d30,
                   days_to_pay = CASE WHEN f.d30 > 0 AND f.d30 >= f.amount_due - 0.005
                       THEN f.last_day END,
                   paid_7_share = CASE WHEN f.amount_due > 0
                       THEN LEAST(f.d7 / f.amount_due, 1) ELSE 0 END,
                   paid_14_share = CASE WHEN f.amount_due > 0
                       THEN LEAST(f.d14 / f.amount_due, 1) ELSE 0 END,
                   paid_30_share = CASE WHEN f.amount_due > 0
                       THEN LEAST(f.d30 / f.amount_due, 1) ELSE 0 END,
                   answer_kind = COALESCE(f.answer_kind,
                       CASE WHEN s.receipt_date IS NOT NULL THEN 'receipt' END),
                   promised = f.promised,
                   paid_online = f.online,
                   outcome = CASE
                       WHEN f.d30 > 0 AND f.d30 >= f.amount_due - 0.005 THEN 'paid'
                       WHEN f.d30 > 0 THEN 'part_paid'
                       WHEN f.promised THEN 'promised'
                       WHEN f.answer_kind IS NOT NULL
                            OR s.receipt_date IS NOT NULL THEN 'answered'
                       WHEN s.opened_date IS NOT NULL THEN 'opened'
                       WHEN f.date + %(window)s < %(today)s THEN 'nothing'
                       ELSE 'waiting' END,
                   channel_mix = COALESCE(NULLIF(concat_ws('+',
                       CASE WHEN s.email_state = 'sent' THEN 'email' END,
                       CASE WHEN s.sms_state = 'sent' THEN 'sms' END,
                       CASE WHEN s.letter_state IN ('to_print', 'printed')
                            THEN 'letter' END,
                       CASE WHEN s.activity_state = 'sent' THEN 'call' END), ''),
                       'none'),
                   effect_date = %(today)s
              FROM figures f
             WHERE s.id = f.id
                """,
                since=since,
                today=today,
                window=WINDOW_DAYS,
            )
        )
        self._describe_new_steps()
        self.env["invoice.followup.log"].invalidate_model()

    @api.model
    def _describe_new_steps(self):
        """Once per step, at its first refresh (the evening of its day): the
        customer's language and effective risk band then, the template of its
        email, and the weekday and hour it was sent in its company's time zone
        (UTC when unknown)."""
        self.env.execute_query(
            SQL(
                """
            WITH zones AS (
                SELECT co.id AS company_id,
                       COALESCE(z.name, 'UTC') AS tz, co.followup_default_risk
                  FROM res_company co
                  JOIN res_partner cp ON cp.id = co.partner_id
                  LEFT JOIN pg_timezone_names z ON z.name = cp.tz
            ), sent AS (
                SELECT s.id,
                       (s.create_date AT TIME ZONE 'UTC') AT TIME ZONE zo.tz AS local,
                       COALESCE(rc.lang, p.lang) AS lang,
                       COALESCE(p.payment_risk_override, b.risk_band,
                                zo.followup_default_risk) AS band,
                       CASE WHEN s.email_state = 'sent'
                            THEN COALESCE(va.mail_template_id, st.mail_template_id)
                       END AS template_id
                  FROM invoice_followup_log s
                  LEFT JOIN invoice_followup_stage st ON st.id = s.stage_id
                  LEFT JOIN invoice_followup_variant va ON va.id = s.variant_id
                  JOIN zones zo ON zo.company_id = s.company_id
                  JOIN res_partner p ON p.id = s.partner_id
                  LEFT JOIN res_partner rc ON rc.id = s.recipient_id
                  LEFT JOIN invoice_followup_behaviour b
                       ON b.partner_id = s.partner_id AND b.company_id = s.company_id
                 WHERE s.sent_hour IS NULL AND s.create_date IS NOT NULL
            )
            UPDATE invoice_followup_log s
               SET sent_weekday = extract(isodow FROM sent.local)::int::text,
                   sent_hour = extract(hour FROM sent.local)::int,
                   lang = sent.lang, risk_band = sent.band,
                   mail_template_id = COALESCE(s.mail_template_id, sent.template_id)
              FROM sent
             WHERE s.id = sent.id
                """
            )
        )

    @api.model
    def _action_refresh_all(self):
        """Server action: every step again, however old."""
        self._refresh(since=False)
