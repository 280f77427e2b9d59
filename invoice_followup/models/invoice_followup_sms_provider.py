# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""SMS through the company's own provider account instead of Odoo IAP.

For each provider: its documented HTTP API to send one SMS, and its delivery
report (webhook, see controllers/sms_webhook.py) turned into Odoo's SMS states.

- Twilio: POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded,
  basic auth (Account SID, Auth Token), To in E.164, From or MessagingServiceSid,
  StatusCallback; reports are signed (X-Twilio-Signature, HMAC-SHA1 of the URL and
  the sorted POST parameters with the Auth Token).
- Unifonic: POST {base}/rest/SMS/messages with AppSid, SenderID, Recipient (E.164
  without "+"), Body, responseType=JSON; its DLR webhook (one URL set in the
  Unifonic console) is not signed: the URL carries a per-company secret token.

The base URLs are system parameters (invoice_followup.sms_twilio_url,
invoice_followup.sms_unifonic_url) so that tests, or a staging database, point
them to a stand-in; they default to the providers' real endpoints.
"""

import base64
import hashlib
import hmac
import logging
import secrets

import requests
from werkzeug.urls import url_join

from odoo import api, models

_logger = logging.getLogger(__name__)

SMS_PROVIDERS = [("iap", "Odoo IAP"), ("twilio", "Twilio"), ("unifonic", "Unifonic")]
TIMEOUT = 15
BASE_URLS = {
    "twilio": "https://api.twilio.com",
    "unifonic": "https://el.cloud.unifonic.com",
}
STATUS_ROUTES = {
    "twilio": "/invoice_followup/sms/twilio/status",
    "unifonic": "/invoice_followup/sms/unifonic/status",
}
# provider error codes -> sms.sms failure types (anything else: "unknown")
TWILIO_ERRORS = {
    20003: "sms_acc",  # authentication failed
    20404: "sms_acc",  # account not found
    21606: "sms_acc",  # the From number is not the account's
    21211: "sms_number_format",  # invalid To number
    21614: "sms_number_format",  # To is not a mobile number
    21408: "sms_country_not_supported",  # region not enabled
    21612: "sms_country_not_supported",
}
UNIFONIC_ERRORS = {
    "ER-01": "sms_credit",  # no rate found or insufficient funds
    "ER-02": "sms_number_format",
    "ER-03": "sms_number_format",
    "ER-04": "sms_number_format",
    "ER-05": "sms_country_not_supported",  # no route for the number
    "ER-08": "sms_acc",  # invalid sender ID
}
# delivery report statuses -> sms.sms states ("pending" is Odoo's "Sent",
# "sent" its "Delivered"); statuses not listed change nothing
TWILIO_STATES = {
    "accepted": "pending",
    "queued": "pending",
    "sending": "pending",
    "sent": "pending",
    "delivered": "sent",
    "undelivered": "error",
    "failed": "error",
}
UNIFONIC_STATES = {
    "queued": "pending",
    "sent": "pending",
    "delivered": "sent",
    "undeliverable": "error",
    "undelivered": "error",
    "rejected": "error",
    "failed": "error",
}


class InvoiceFollowupSmsProvider(models.AbstractModel):
    _name = "invoice.followup.sms.provider"
    _description = "Follow-up SMS Gateway"

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    @api.model
    def _base_url(self, provider):
        return (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(f"invoice_followup.sms_{provider}_url", BASE_URLS[provider])
            .rstrip("/")
        )

    @api.model
    def _status_url(self, company, provider):
        """The delivery report URL of ``company`` for ``provider``."""
        url = url_join(company.get_base_url(), STATUS_ROUTES[provider])
        if provider == "unifonic":
            url += f"?token={self._webhook_token(company)}"
        return url

    @api.model
    def _e164(self, sms, company):
        """The SMS's number in E.164 (+9665...), or False if it is not valid."""
        return self.env["res.partner"]._phone_format(
            number=sms.number,
            country=sms.partner_id.country_id or company.country_id,
            force_format="E164",
        )

    @api.model
    def _send(self, company, sms, number):
        """Send one SMS through ``company``'s provider to ``number`` (E.164).

        :return: ``{"ref": provider message id, "state": sms state}`` when the
          provider accepted it, else ``{"failure_type": ..., "error": message}``.
        """
        company = company.sudo()
        provider = company.followup_sms_provider
        try:
            return getattr(self, f"_send_{provider}")(company, sms, number)
        except requests.RequestException as error:
            _logger.info("SMS %s through %s failed: %s", sms.id, provider, error)
            return {
                "failure_type": "sms_server",
                "error": self.env._(
                    "The SMS provider could not be reached: %(error)s",
                    error=type(error).__name__,
                ),
            }

    @api.model
    def _missing_credentials(self, provider):
        return {
            "failure_type": "sms_acc",
            "error": self.env._(
                "The %(provider)s credentials are missing in Settings.",
                provider=dict(SMS_PROVIDERS)[provider],
            ),
        }

    @api.model
    def _json(self, response):
        try:
            payload = response.json()
        except ValueError:
            return {}
        return payload if isinstance(payload, dict) else {}

    @api.model
    def _http_failure(self, status_code):
        if status_code in (401, 403):
            return "sms_acc"
        return "sms_server" if status_code >= 500 else "unknown"

    @api.model
    def _send_twilio(self, company, sms, number):
        sid = company.followup_sms_twilio_account_sid
        token = company.followup_sms_twilio_auth_token
        sender = company.followup_sms_twilio_sender
        if not (sid and token and sender):
            return self._missing_credentials("twilio")
        data = {
            "To": number,
            "Body": sms.body or "",
            "StatusCallback": self._status_url(company, "twilio"),
        }
        data["MessagingServiceSid" if sender.startswith("MG") else "From"] = sender
        response = requests.post(
            f"{self._base_url('twilio')}/2010-04-01/Accounts/{sid}/Messages.json",
            data=data,
            auth=(sid, token),
            timeout=TIMEOUT,
        )
        payload = self._json(response)
        if response.ok and payload.get("sid"):
            return {"ref": payload["sid"], "state": "pending"}
        code = payload.get("code")
        return {
            "failure_type": TWILIO_ERRORS.get(code)
            or self._http_failure(response.status_code),
            "error": self.env._(
                "Twilio error %(code)s: %(message)s",
                code=code or response.status_code,
                message=payload.get("message") or response.reason,
            ),
        }

    @api.model
    def _send_unifonic(self, company, sms, number):
        app_sid = company.followup_sms_unifonic_app_sid
        if not app_sid:
            return self._missing_credentials("unifonic")
        data = {
            "AppSid": app_sid,
            "Recipient": number.lstrip("+"),
            "Body": sms.body or "",
            "responseType": "JSON",
            "CorrelationID": sms.uuid,
        }
        if company.followup_sms_unifonic_sender:
            data["SenderID"] = company.followup_sms_unifonic_sender
        response = requests.post(
            f"{self._base_url('unifonic')}/rest/SMS/messages",
            data=data,
            headers={"Accept": "application/json"},
            timeout=TIMEOUT,
        )
        payload = self._json(response)
        message_id = (payload.get("data") or {}).get("MessageID")
        if response.ok and payload.get("success") in (True, "true") and message_id:
            return {"ref": str(message_id), "state": "pending"}
        code = payload.get("errorCode")
        return {
            "failure_type": UNIFONIC_ERRORS.get(code)
            or self._http_failure(response.status_code),
            "error": self.env._(
                "Unifonic error %(code)s: %(message)s",
                code=code or response.status_code,
                message=payload.get("message") or response.reason,
            ),
        }

    @api.model
    def _send_test_sms(self, number):
        """The Settings' "Send test SMS": one SMS to ``number`` through the
        current company's provider; a notification with the outcome."""
        company = self.env.company
        e164 = company._followup_test_number(
            number, self.env._("Type the mobile number to send the test SMS to.")
        )
        sms = (
            self.env["sms.sms"]
            .sudo()
            .create(
                {
                    "number": e164,
                    "body": self.env._(
                        "Test SMS from %(company)s: your SMS provider works.",
                        company=company.name,
                    ),
                }
            )
        )
        sms.with_company(company).send(unlink_sent=False)
        if sms.state == "error":
            message = sms.followup_provider_error or dict(
                sms._fields["failure_type"]._description_selection(self.env)
            ).get(sms.failure_type)
            kind, title = "danger", self.env._("The test SMS failed")
        else:
            message = self.env._(
                "Test SMS sent to %(number)s (%(provider)s).",
                number=e164,
                provider=dict(SMS_PROVIDERS)[company.followup_sms_provider],
            )
            kind, title = "success", self.env._("Test SMS sent")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind},
        }

    # ------------------------------------------------------------------
    # Delivery reports
    # ------------------------------------------------------------------

    @api.model
    def _twilio_company(self, account_sid):
        """The company whose Twilio account is ``account_sid``."""
        if not account_sid:
            return self.env["res.company"]
        return (
            self.env["res.company"]
            .sudo()
            .search(
                [
                    ("followup_sms_provider", "=", "twilio"),
                    ("followup_sms_twilio_account_sid", "=", account_sid),
                ],
                limit=1,
            )
        )

    @api.model
    def _twilio_signature(self, token, url, params):
        """Twilio's X-Twilio-Signature of a POST to ``url`` with ``params``
        ((name, value) pairs): base64(HMAC-SHA1(token, url + names and values
        sorted by name))."""
        payload = url + "".join(
            f"{k}{v}" for k, v in sorted(params, key=lambda p: p[0])
        )
        digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
        return base64.b64encode(digest).decode()

    @api.model
    def _twilio_check_signature(self, company, urls, params, signature):
        token = company.sudo().followup_sms_twilio_auth_token
        if not (token and signature):
            return False
        return any(
            hmac.compare_digest(
                self._twilio_signature(token, url, params).encode(), signature.encode()
            )
            for url in urls
        )

    @api.model
    def _unifonic_company(self, token):
        """The company whose delivery report token is ``token``."""
        return self.env["res.company"]._followup_by_secret(
            [("followup_sms_provider", "=", "unifonic")],
            "followup_sms_webhook_token",
            token,
            32,
        )

    @api.model
    def _process_report(self, company, provider, ref, status, error=False):
        """Apply a delivery report of ``company``'s ``provider`` on the SMS it
        sent as ``ref``. Returns the SMS (empty when unknown)."""
        states = TWILIO_STATES if provider == "twilio" else UNIFONIC_STATES
        sms = (
            self.env["sms.sms"]
            .sudo()
            .search(
                [
                    ("followup_provider_ref", "=", str(ref)),
                    ("followup_provider", "=", provider),
                    ("followup_company_id", "=", company.id),
                ],
                limit=1,
            )
            if ref
            else self.env["sms.sms"]
        )
        state = states.get((status or "").lower())
        if sms and state:
            sms._followup_apply_report(state, error)
        return sms

    @api.model
    def _webhook_token(self, company):
        """``company``'s secret delivery report token, made on first use."""
        company = company.sudo()
        if not company.followup_sms_webhook_token:
            company.followup_sms_webhook_token = secrets.token_urlsafe(32)
        return company.followup_sms_webhook_token
