# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import werkzeug.exceptions

from odoo import models
from odoo.http import request

from ..tools.uploads import max_upload_bytes, max_upload_text

# room for the form fields around the largest accepted attachment
FORM_MARGIN = 64 * 1024


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _pre_dispatch(cls, rule, args):
        """Routes marked ``followup_upload`` refuse a body larger than the
        attachment limit before reading it: the visitor gets a translated page
        with the way back to the form, not a bare 413."""
        super()._pre_dispatch(rule, args)
        if not rule.endpoint.routing.get("followup_upload"):
            return
        limit = max_upload_bytes(request.env) + FORM_MARGIN
        length = request.httprequest.content_length
        if length and length > limit:
            html = request.env["ir.qweb"]._render(
                "invoice_followup.portal_followup_upload_too_large",
                {
                    "max_upload_mb": max_upload_text(request.env),
                    "back_url": request.httprequest.full_path,
                },
            )
            werkzeug.exceptions.abort(request.make_response(html, status=413))
        # werkzeug itself stops reading past the limit if the length was not announced
        request.httprequest.max_content_length = limit
