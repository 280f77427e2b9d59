# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""18.0.1.2.0 -> 18.0.1.3.0, after the module's data is loaded: each invoice's
open or resolved customer request becomes an answer with its late-payment
reason (the old fixed reasons mapped onto the new list), so the reasons analysis
and the invoices' reason start with the history."""

from openupgradelib import openupgrade

from odoo.tools import SQL

LEGACY_REASON = openupgrade.get_legacy_name("followup_question_reason")

# old request reason -> xml id of the new list ("already paid" carries none)
REASON_MAP = {
    "not_received": "followup_reason_not_received",
    "wrong_amount": "followup_reason_disputed",
    "quality": "followup_reason_disputed",
    "wrong_details": "followup_reason_wrong_details",
    "other": "followup_reason_other",
}


@openupgrade.migrate()
def migrate(env, version):
    cr = env.cr
    if not openupgrade.column_exists(cr, "account_move", LEGACY_REASON):
        return
    cr.execute(
        SQL(
            """SELECT id, followup_question_type, %s, followup_question_note,
                      write_date
                 FROM account_move
                WHERE followup_question_type IS NOT NULL ORDER BY id""",
            SQL.identifier(LEGACY_REASON),
        )
    )
    Answer = env["invoice.followup.answer"].sudo()
    for move_id, kind, old_reason, note, when in cr.fetchall():
        move = env["account.move"].browse(move_id)
        xmlid = REASON_MAP.get(old_reason)
        reason = (
            env.ref(f"invoice_followup.{xmlid}", raise_if_not_found=False)
            if xmlid
            else None
        )
        answer = Answer._record(
            kind,
            move,
            reason or env["invoice.followup.reason"],
            note=note or "",
        )
        answer.write({"date": when})
