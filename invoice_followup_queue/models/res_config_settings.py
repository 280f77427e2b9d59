# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import os

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import config

CHANNEL_XMLID = "invoice_followup_queue.queue_job_channel_invoice_followup"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    followup_queue_capacity = fields.Integer(
        "Follow-up Jobs at Once",
        compute="_compute_followup_queue_capacity",
        readonly=False,
        help="How many batches of the daily follow-up run at the same time, on as "
        "many workers (the capacity of the job channel root.invoice_followup; 0: no "
        "limit of its own). The job runner's max_capacity caps it.",
    )
    followup_queue_server_channels = fields.Char(
        "Server-wide Job Channels",
        compute="_compute_followup_queue_capacity",
        help="The channels of the server configuration ([queue_job] channels or "
        "ODOO_QUEUE_JOB_CHANNELS): when set, they override the capacity set here.",
    )

    @api.depends("company_id")
    def _compute_followup_queue_capacity(self):
        channel = self.env.ref(CHANNEL_XMLID, raise_if_not_found=False)
        server_channels = os.environ.get("ODOO_QUEUE_JOB_CHANNELS") or config.misc.get(
            "queue_job", {}
        ).get("channels")
        for settings in self:
            settings.followup_queue_capacity = channel.sudo().capacity if channel else 0
            settings.followup_queue_server_channels = server_channels or False

    def set_values(self):
        res = super().set_values()
        channel = self.env.ref(CHANNEL_XMLID, raise_if_not_found=False)
        for settings in self:
            if settings.followup_queue_capacity < 0:
                raise ValidationError(
                    self.env._(
                        "The number of follow-up jobs at once cannot be negative."
                    )
                )
            if channel and channel.sudo().capacity != settings.followup_queue_capacity:
                # the job runner reloads its channels when a capacity changes
                channel.sudo().capacity = settings.followup_queue_capacity
        return res
