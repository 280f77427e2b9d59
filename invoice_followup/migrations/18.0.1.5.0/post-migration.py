# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""18.0.1.4.0 -> 18.0.1.5.0 (late-payment terms), after the new columns exist:
the stages that send the final notice show the statutory interest, as the new
default stages do (nothing shows until a company chooses a regime: fees and
interest stay off, fee_type is "none" everywhere)."""

from openupgradelib import openupgrade


@openupgrade.migrate()
def migrate(env, version):
    final_notice = env.ref(
        "invoice_followup.mail_template_final_notice", raise_if_not_found=False
    )
    if final_notice:
        openupgrade.logged_query(
            env.cr,
            "UPDATE invoice_followup_stage SET show_interest = true "
            "WHERE mail_template_id = %s",
            (final_notice.id,),
        )
