# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Delivery reports of the company's own SMS provider (Twilio, Unifonic).

A report is applied only when it proves where it comes from: Twilio's signature
(X-Twilio-Signature with the company's Auth Token), or for Unifonic, which does
not sign, the company's secret token in the URL. Anything else: 403, nothing
changes. The work is in models/invoice_followup_sms_provider.py.
"""

import json
import logging

from werkzeug.exceptions import Forbidden
from werkzeug.urls import url_join

from odoo.http import Controller, request, route

_logger = logging.getLogger(__name__)


class SmsWebhookController(Controller):
    @route(
        "/invoice_followup/sms/twilio/status",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def followup_sms_twilio_status(self, **kwargs):
        gateway = request.env["invoice.followup.sms.provider"].sudo()
        form = request.httprequest.form
        company = gateway._twilio_company(form.get("AccountSid"))
        httprequest = request.httprequest
        # the URL Twilio signed: as this request reached us, or as we gave it
        # (behind a proxy that rewrites the scheme or host)
        urls = {
            httprequest.url,
            url_join(company.get_base_url(), httprequest.full_path.rstrip("?"))
            if company
            else httprequest.url,
        }
        params = list(form.items(multi=True))
        signature = httprequest.headers.get("X-Twilio-Signature")
        if not company or not gateway._twilio_check_signature(
            company, urls, params, signature
        ):
            _logger.warning("Refused an unsigned or forged Twilio SMS status report")
            raise Forbidden()
        error = False
        if form.get("ErrorCode"):
            error = request.env._(
                "Twilio error %(code)s: %(status)s",
                code=form.get("ErrorCode"),
                status=form.get("MessageStatus") or form.get("SmsStatus"),
            )
        sms = gateway._process_report(
            company,
            "twilio",
            form.get("MessageSid") or form.get("SmsSid"),
            form.get("MessageStatus") or form.get("SmsStatus"),
            error,
        )
        # an SMS this database does not know (yet: its SID is committed after
        # the provider's answer): 404, so that a stand-in may report it again
        return request.make_response("", status=204 if sms else 404)

    @route(
        "/invoice_followup/sms/unifonic/status",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def followup_sms_unifonic_status(self, **kwargs):
        gateway = request.env["invoice.followup.sms.provider"].sudo()
        company = gateway._unifonic_company(request.httprequest.args.get("token"))
        if not company:
            _logger.warning("Refused a Unifonic SMS status report without valid token")
            raise Forbidden()
        report = dict(request.httprequest.form.items())
        if not report and request.httprequest.mimetype == "application/json":
            try:
                report = json.loads(request.httprequest.get_data(as_text=True) or "{}")
            except ValueError:
                report = {}
            report = report if isinstance(report, dict) else {}
        status = report.get("DLR") or report.get("Status") or report.get("status")
        error = False
        if status and status.lower() not in ("delivered", "sent", "queued"):
            error = request.env._(
                "Unifonic: %(status)s %(comment)s",
                status=status,
                comment=report.get("Comments") or report.get("ErrorCode") or "",
            ).strip()
        gateway._process_report(
            company,
            "unifonic",
            report.get("MessageID") or report.get("messageId"),
            status,
            error,
        )
        return request.make_response("", status=204)
