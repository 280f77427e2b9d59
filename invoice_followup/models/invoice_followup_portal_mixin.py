# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

DEFAULT_ANSWERS_PER_DAY = 10


class InvoiceFollowupPortalMixin(models.AbstractModel):
    """What customers do through a portal link (an invoice's or a statement's)
    is counted per record and day, so that a link cannot flood the accountants
    with messages, activities or plans."""

    _name = "invoice.followup.portal.mixin"
    _description = "Follow-up: customer answers of the day"

    followup_answer_date = fields.Date(
        "Last Customer Answer", copy=False, readonly=True
    )
    followup_answer_count = fields.Integer(
        "Customer Answers That Day",
        copy=False,
        readonly=True,
        help="Answers sent through the portal on the day of the last answer.",
    )

    def _followup_count_answer(self):
        """Count one answer from the portal on this record today; raise a
        translated error once the day's limit (system parameter
        invoice_followup.portal_answers_per_day) is passed. One UPDATE, so two
        requests at once are both counted."""
        self.ensure_one()
        limit = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(
                "invoice_followup.portal_answers_per_day", DEFAULT_ANSWERS_PER_DAY
            )
        )
        today = fields.Date.context_today(self)
        self.flush_recordset(["followup_answer_date", "followup_answer_count"])
        [(count,)] = self.env.execute_query(
            SQL(
                """UPDATE %(table)s
                  SET followup_answer_count = CASE WHEN followup_answer_date = %(today)s
                                                   THEN COALESCE(followup_answer_count,
                                                       0) + 1 ELSE 1 END,
                      followup_answer_date = %(today)s
                WHERE id = %(id)s
            RETURNING followup_answer_count""",
                table=SQL.identifier(self._table),
                today=today,
                id=self.id,
            )
        )
        self.invalidate_recordset(["followup_answer_date", "followup_answer_count"])
        if count > limit:
            raise UserError(
                self.env._(
                    "You sent us many answers today: please try again tomorrow, "
                    "or contact us directly."
                )
            )
        return count
