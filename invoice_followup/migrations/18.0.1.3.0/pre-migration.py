# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""18.0.1.2.0 -> 18.0.1.3.0, before the module's models are loaded.

- The customer's hand-set payment risk becomes an override of the band computed
  from its payment behaviour: ``payment_risk_level`` is now that effective level
  (computed), the hand-set value moves to ``payment_risk_override``. "low" was
  the old default, set on every customer without anyone choosing it: it does
  not become an override (the computed band applies); medium and high do.
- The invoice's request reason (a fixed selection) becomes a reason of the
  editable list, kept on the customers' answers: the old column is kept under a
  legacy name for the post-migration, which records the answers.
"""

from openupgradelib import openupgrade

LEGACY_REASON = openupgrade.get_legacy_name("followup_question_reason")


@openupgrade.migrate()
def migrate(env, version):
    cr = env.cr
    if openupgrade.column_exists(cr, "res_partner", "payment_risk_level"):
        openupgrade.rename_columns(
            cr, {"res_partner": [("payment_risk_level", "payment_risk_override")]}
        )
        openupgrade.logged_query(
            cr,
            "UPDATE res_partner SET payment_risk_override = NULL "
            "WHERE payment_risk_override = 'low'",
        )
        openupgrade.logged_query(
            cr,
            """ALTER TABLE res_partner
               ADD COLUMN IF NOT EXISTS payment_risk_override_date date""",
        )
        openupgrade.logged_query(
            cr,
            """UPDATE res_partner SET payment_risk_override_date = write_date::date
                WHERE payment_risk_override IS NOT NULL""",
        )
    if openupgrade.column_exists(cr, "account_move", "followup_question_reason"):
        openupgrade.rename_columns(
            cr, {"account_move": [("followup_question_reason", LEGACY_REASON)]}
        )
