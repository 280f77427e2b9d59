# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The WhatsApp Business Cloud API's webhook (one URL for every company).

GET: Meta's subscription check: hub.mode "subscribe" and hub.verify_token
equal to a company's verify token -> hub.challenge echoed; else 403.
POST: notifications, applied only when X-Hub-Signature-256 is the HMAC-SHA256
of the raw body with a company's App Secret, and only to that company's steps;
anything else: 403, nothing changes. The work is in
models/invoice_followup_whatsapp.py.
"""

import json
import logging

from werkzeug.exceptions import Forbidden

from odoo.http import Controller, request, route

from ..models.invoice_followup_whatsapp import WEBHOOK_ROUTE

_logger = logging.getLogger(__name__)


class WhatsappWebhookController(Controller):
    @route(
        WEBHOOK_ROUTE,
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
    )
    def followup_whatsapp_webhook(self, **kwargs):
        if request.httprequest.method == "POST":
            return self._followup_whatsapp_notification()
        return self._followup_whatsapp_verify()

    def _followup_whatsapp_verify(self):
        args = request.httprequest.args
        gateway = request.env["invoice.followup.whatsapp"].sudo()
        if args.get("hub.mode") != "subscribe" or not gateway._company_by_verify_token(
            args.get("hub.verify_token")
        ):
            _logger.warning(
                "Refused a WhatsApp webhook check with a wrong verify token"
            )
            raise Forbidden()
        return request.make_response(
            args.get("hub.challenge", ""), headers=[("Content-Type", "text/plain")]
        )

    def _followup_whatsapp_notification(self):
        gateway = request.env["invoice.followup.whatsapp"].sudo()
        body = request.httprequest.get_data()
        companies = gateway._signed_companies(
            body, request.httprequest.headers.get("X-Hub-Signature-256")
        )
        if not companies:
            _logger.warning("Refused an unsigned or forged WhatsApp notification")
            raise Forbidden()
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            payload = {}
        gateway._process_notification(payload, companies)
        # WhatsApp retries anything but a 200 for days
        return request.make_response("", status=200)
