# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""18.0.1.1.0 -> 18.0.1.2.0, before the module's data is loaded.

The payment plan sequence, the payment plan cron and the payment risk levels are
now ``noupdate="1"`` data: what a user changed (the sequence's prefix and next
number, the cron's time and interval, the risk levels' names) survives later
upgrades. Their xml ids get the flag here, so that this upgrade already keeps
them as they are.
"""

from openupgradelib import openupgrade

NOUPDATE_XMLIDS = [
    "seq_invoice_payment_plan",
    "ir_cron_payment_plans",
    "risk_level_low",
    "risk_level_medium",
    "risk_level_high",
]


@openupgrade.migrate()
def migrate(env, version):
    openupgrade.set_xml_ids_noupdate_value(
        env, "invoice_followup", NOUPDATE_XMLIDS, True
    )
