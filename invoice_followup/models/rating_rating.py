# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Customers' feedback on reminders is Odoo's own rating (rating.rating on the
follow-up step, its stage as the parent): this adds the step's email template,
so the feedback reads per stage (parent) and per template."""

from odoo import api, fields, models


class RatingRating(models.Model):
    _inherit = "rating.rating"

    followup_template_id = fields.Many2one(
        "mail.template",
        "Follow-up Template",
        compute="_compute_followup_template_id",
        store=True,
        help="The email template of the follow-up step rated.",
    )

    @api.depends("res_model", "res_id")
    def _compute_followup_template_id(self):
        steps = self.env["invoice.followup.log"].sudo()
        for rating in self:
            rating.followup_template_id = (
                steps.browse(rating.res_id).exists().mail_template_id
                if rating.res_model == "invoice.followup.log"
                else False
            )
