# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class InvoiceFollowupWeekday(models.Model):
    """A day of the week, for the days on which reminders go out."""

    _name = "invoice.followup.weekday"
    _description = "Follow-up Weekday"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    weekday = fields.Integer(required=True, help="0 is Monday, as in Python.")
    sequence = fields.Integer(default=10)

    _sql_constraints = [
        ("weekday_uniq", "unique(weekday)", "Each weekday exists once."),
    ]
