# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""18.0.1.0.0 -> 18.0.1.1.0, after the new schema is loaded: the mail template
of the new statement link is new data (noupdate) and comes with the update; the
payment plans that 18.0.1.0.0 allowed over the same invoice are reported, never
changed (an accountant decides which one stays)."""

import logging

from openupgradelib import openupgrade

_logger = logging.getLogger(__name__)


@openupgrade.migrate()
def migrate(env, version):
    env.cr.execute("""
        SELECT rel.account_move_id, array_agg(plan.name ORDER BY plan.id)
          FROM account_move_invoice_payment_plan_rel rel
          JOIN invoice_payment_plan plan ON plan.id = rel.invoice_payment_plan_id
         WHERE plan.state IN ('draft', 'proposed', 'active')
         GROUP BY rel.account_move_id HAVING count(*) > 1
    """)
    for move_id, plans in env.cr.fetchall():
        _logger.warning(
            "Invoice %s is in several live payment plans (%s): cancel all but one.",
            move_id,
            ", ".join(plans),
        )
