# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""18.0.1.0.0 -> 18.0.1.1.0, before the module's new schema is loaded.

- invoice_followup_log.is_day_step: the step of the day per customer and company,
  guarded by a unique index (created by the model's init() right after this):
  every existing step that did not fail is the step of its day, except that a
  day which already had several (a payment plan breaking on the day of a reminder,
  "Send now" twice) keeps its latest as the day's step. No step is removed.
- account_move.followup_promise_broken_count and followup_promise_made_date, and
  res_partner.followup_promise_broken_count: the broken-promise record only grows
  from now on; it starts from what 18.0.1.0.0 recorded.
"""

from openupgradelib import openupgrade


@openupgrade.migrate()
def migrate(env, version):
    openupgrade.add_fields(
        env,
        [
            (
                "is_day_step",
                "invoice.followup.log",
                "invoice_followup_log",
                "boolean",
                False,
                "invoice_followup",
            ),
            (
                "followup_promise_broken_count",
                "account.move",
                "account_move",
                "integer",
                False,
                "invoice_followup",
                0,
            ),
            (
                "followup_promise_made_date",
                "account.move",
                "account_move",
                "date",
                False,
                "invoice_followup",
            ),
            (
                "followup_promise_broken_count",
                "res.partner",
                "res_partner",
                "integer",
                False,
                "invoice_followup",
                0,
            ),
        ],
    )
    openupgrade.logged_query(
        env.cr,
        """
        UPDATE invoice_followup_log log SET is_day_step = TRUE
         WHERE log.state IS DISTINCT FROM 'failed'
           AND log.id = (SELECT max(other.id) FROM invoice_followup_log other
                          WHERE other.partner_id = log.partner_id AND other.company_id =
                              log.company_id
                            AND other.date = log.date AND other.state IS DISTINCT FROM
                                'failed')
    """,
    )
    openupgrade.logged_query(
        env.cr,
        """
        UPDATE account_move SET followup_promise_broken_count = 1
         WHERE followup_promise_broken AND COALESCE(followup_promise_broken_count, 0) =
             0
    """,
    )
    # A promise still pending: its date may not move past the one given (the day it
    # was first made is not known; counting the limit back from its date is the
    # prudent reading).
    openupgrade.logged_query(
        env.cr,
        """
        UPDATE account_move move SET followup_promise_made_date =
            move.followup_promise_date - company.followup_max_promise_days
          FROM res_company company
         WHERE company.id = move.company_id AND move.followup_promise_date >=
             CURRENT_DATE
           AND move.followup_promise_made_date IS NULL
    """,
    )
    openupgrade.logged_query(
        env.cr,
        """
        UPDATE res_partner partner SET followup_promise_broken_count = counts.n
          FROM (SELECT commercial_partner_id AS id, count(*) AS n FROM account_move
                 WHERE followup_promise_broken GROUP BY commercial_partner_id) counts
         WHERE partner.id = counts.id
    """,
    )
