# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""WhatsApp through the WhatsApp Business Cloud API (Meta's Graph API).

- Send: POST {base}/{version}/{Phone Number ID}/messages, Bearer (the permanent
  access token of a system user), JSON: a pre-approved template message
  (``type`` "template", its name, language code and the body parameters; the
  statement link's path as the dynamic suffix of a URL button). Answer:
  ``messages[0].id``, the "wamid" that status webhooks name; errors:
  ``{"error": {"code", "message", "error_data": {"details"}}}``.
- Webhook (controllers/whatsapp_webhook.py): GET subscription check (hub.mode,
  hub.verify_token, hub.challenge); POST notifications signed with
  X-Hub-Signature-256 = "sha256=" + HMAC-SHA256(App Secret, raw body).

Sending is a queue, as for mail and SMS, so that nothing goes twice: the daily
run only records the message on its step ("queued"), in its own transaction;
after it commits, the queue (scheduled action "Follow-up: WhatsApp queue",
triggered by the run) sends each queued step on its own: marked "sending" and
committed, then the API call, then the outcome committed. A step is never
queued again; one left "sending" by a crash during the call is not sent again
but failed as "outcome unknown" after STALE_MINUTES, for a person to check.

The base URL is the system parameter invoice_followup.whatsapp_url (tests and
staging databases point it to a stand-in), by default Meta's.
"""

import hashlib
import hmac
import logging
import secrets
import threading
from datetime import UTC, datetime, timedelta

import requests
from werkzeug.urls import url_join

from odoo import api, fields, models
from odoo.tools import SQL, format_date

_logger = logging.getLogger(__name__)

BASE_URL = "https://graph.facebook.com"
API_VERSION = "v21.0"
TIMEOUT = 15
STALE_MINUTES = 10
BATCH = 50
WEBHOOK_ROUTE = "/invoice_followup/whatsapp/webhook"
# Meta's sample template, approved in every new WhatsApp Business Account
TEST_TEMPLATE = ("hello_world", "en_US")
# the delivery statuses a step goes through; a webhook never moves one back
STATUSES = [
    ("queued", "Queued"),
    ("sending", "Sending"),
    ("accepted", "Accepted by WhatsApp"),
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("read", "Read"),
    ("failed", "Failed"),
]
STATUS_RANK = {"accepted": 1, "sent": 2, "delivered": 3, "read": 4}
# Cloud API error codes that say the customer's number cannot be reached (the
# others: our account, token or template)
NUMBER_ERRORS = {131026, 131021, 131030, 131045, 131050}


def whatsapp_languages(lang):
    """WhatsApp language codes to try for an Odoo language, best first:
    "ar_001" -> ["ar_001", "ar"], "en_US" -> ["en_US", "en"]."""
    if not lang:
        return []
    return list(dict.fromkeys([lang, lang.split("_")[0]]))


class InvoiceFollowupWhatsapp(models.AbstractModel):
    _name = "invoice.followup.whatsapp"
    _description = "Follow-up WhatsApp Gateway"

    # ------------------------------------------------------------------
    # Configuration
    # ------------------------------------------------------------------
    @api.model
    def _base_url(self):
        url = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("invoice_followup.whatsapp_url", BASE_URL)
        )
        return (url or BASE_URL).rstrip("/")

    @api.model
    def _webhook_url(self, company):
        return url_join(company.get_base_url(), WEBHOOK_ROUTE)

    @api.model
    def _verify_token(self, company):
        """``company``'s webhook verify token, made on first use."""
        company = company.sudo()
        if not company.followup_whatsapp_verify_token:
            company.followup_whatsapp_verify_token = secrets.token_urlsafe(24)
        return company.followup_whatsapp_verify_token

    @api.model
    def _missing_configuration(self, company):
        """Why ``company`` cannot send WhatsApp messages, or False."""
        company = company.sudo()
        if not company.followup_whatsapp_enabled:
            return self.env._("WhatsApp is not enabled in Settings.")
        if not (
            company.followup_whatsapp_phone_number_id
            and company.followup_whatsapp_token
        ):
            return self.env._(
                "The WhatsApp Phone Number ID or access token is missing in Settings."
            )
        return False

    @api.model
    def _refusal(self, step, template):
        """Why ``step`` sends no WhatsApp message with ``template``, or False."""
        partner = step.partner_id
        return (
            self._missing_configuration(step.company_id)
            or (
                not partner.followup_use_whatsapp
                and self.env._("The customer did not opt in to WhatsApp.")
            )
            or (not template and self.env._("The stage has no WhatsApp template."))
            or (
                not partner._followup_whatsapp_e164(step.recipient_id)
                and self.env._("No valid WhatsApp number.")
            )
        )

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    @api.model
    def _template_payload(self, number, name, lang, body_params=(), button_param=None):
        """The Cloud API's template message to ``number`` (E.164)."""
        components = []
        if body_params:
            components.append(
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": str(value)} for value in body_params
                    ],
                }
            )
        if button_param:
            components.append(
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": "0",
                    "parameters": [{"type": "text", "text": button_param}],
                }
            )
        template = {"name": name, "language": {"code": lang}}
        if components:
            template["components"] = components
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": number.lstrip("+"),
            "type": "template",
            "template": template,
        }

    @api.model
    def _post(self, company, payload):
        """Send one message of ``company``: {"ref": wamid} when the API accepted
        it, else {"error": the API's code and message}."""
        company = company.sudo()
        missing = self._missing_configuration(company)
        if missing:
            return {"error": missing}
        url = (
            f"{self._base_url()}/{API_VERSION}/"
            f"{company.followup_whatsapp_phone_number_id}/messages"
        )
        try:
            response = requests.post(
                url,
                json=payload,
                headers={"Authorization": f"Bearer {company.followup_whatsapp_token}"},
                timeout=TIMEOUT,
            )
        except requests.RequestException as error:
            _logger.info("WhatsApp message of %s failed: %s", company.id, error)
            return {
                "error": self.env._(
                    "WhatsApp could not be reached: %(error)s",
                    error=type(error).__name__,
                )
            }
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        answer = answer if isinstance(answer, dict) else {}
        messages = answer.get("messages") or [{}]
        if response.ok and messages[0].get("id"):
            return {"ref": messages[0]["id"]}
        error = answer.get("error") or {}
        details = (error.get("error_data") or {}).get("details")
        message = error.get("message") or response.reason
        return {
            "contact": error.get("code") in NUMBER_ERRORS,
            "error": self.env._(
                "WhatsApp error %(code)s: %(message)s",
                code=error.get("code") or response.status_code,
                message=f"{message} ({details})" if details else message,
            ),
        }

    @api.model
    def _step_values(self, step, template):
        """What the step's message says: {"params": [...], "button": path or
        None, "body": the text as the customer reads it}, in the customer's
        language."""
        lang = step.recipient_id.lang or step.partner_id.lang or self.env.lang
        step = step.with_context(lang=lang)
        partner = step.partner_id
        token_path = partner._followup_get_short_url().replace(
            partner.get_base_url(), ""
        )
        oldest = step._get_followup_oldest_due()
        values = {
            "partner_name": (step.recipient_id.name or partner.name or "").strip(),
            "company_name": step.company_id.name,
            "amount_due": step._get_followup_sms_amount(),
            "invoice_count": str(len(step.move_ids)),
            "oldest_due_date": format_date(step.env, oldest, lang_code=lang)
            if oldest
            else "",
            "statement_url": partner._followup_get_short_url(),
            "statement_path": token_path.lstrip("/"),
        }
        params = [values[code] for code in template.param_ids.mapped("value")]
        body = template.body or ""
        for index, value in enumerate(params, start=1):
            body = body.replace("{{%d}}" % index, value)
        button = values[template.button_param] if template.button_param else None
        return {"params": params, "button": button, "body": body}

    @api.model
    def _cron_send_queue(self, limit=BATCH):
        """Send the queued WhatsApp messages of follow-up steps, one at a time
        (see the module's docstring); in a cron, report progress so the
        framework calls again while some remain. Returns the steps sent."""
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        Step = self.env["invoice.followup.log"].sudo()
        self._fail_stale()
        done = Step
        for _i in range(limit):
            Step.flush_model(["whatsapp_status"])
            rows = self.env.execute_query(
                SQL(
                    """SELECT id FROM invoice_followup_log
                        WHERE whatsapp_status = 'queued' ORDER BY id LIMIT 1
                          FOR UPDATE SKIP LOCKED"""
                )
            )
            if not rows:
                break
            step = Step.browse(rows[0][0])
            step._followup_set(
                {
                    "whatsapp_status": "sending",
                    "whatsapp_sending_date": fields.Datetime.now(),
                }
            )
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            self._send_step(step)
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            done |= step
        if self.env.context.get("ir_cron_progress_id"):
            Step.flush_model(["whatsapp_status"])
            remaining = Step.search_count([("whatsapp_status", "=", "queued")])
            self.env["ir.cron"]._notify_progress(done=len(done), remaining=remaining)
        return done

    @api.model
    def _send_step(self, step):
        """The API call of one step marked "sending"; records its outcome."""
        result = self._post(
            step.company_id,
            self._template_payload(
                step.whatsapp_number,
                step.whatsapp_template_id.template_name,
                step.whatsapp_template_id.lang_code,
                step.whatsapp_params.get("params") or [],
                step.whatsapp_params.get("button"),
            ),
        )
        if result.get("ref"):
            step._followup_set(
                {"whatsapp_status": "accepted", "whatsapp_message_ref": result["ref"]}
            )
        else:
            step._followup_set({"whatsapp_status": "failed"})
            # refused at once: the account, the template or the number
            step._followup_channel_failed(
                "whatsapp", result["error"], contact=result.get("contact", False)
            )

    @api.model
    def _fail_stale(self):
        """Steps left "sending" by a crash during the API call: whether the
        message left is unknown; they are not sent again but failed."""
        limit = fields.Datetime.now() - timedelta(minutes=STALE_MINUTES)
        stale = (
            self.env["invoice.followup.log"]
            .sudo()
            .search(
                [
                    ("whatsapp_status", "=", "sending"),
                    ("whatsapp_sending_date", "<", limit),
                ]
            )
        )
        if stale:
            stale._followup_set({"whatsapp_status": "failed"})
            stale._followup_channel_failed(
                "whatsapp",
                self.env._(
                    "Interrupted while sending: the message may have left. Not "
                    "sent again; check in WhatsApp Manager."
                ),
                contact=False,
            )
        return stale

    @api.model
    def _send_test_message(self, number):
        """The Settings' "Send test message": Meta's hello_world template to
        ``number`` through the current company's account; a notification."""
        company = self.env.company
        e164 = company._followup_test_number(
            number, self.env._("Type the mobile number to send the test message to.")
        )
        result = self._post(company, self._template_payload(e164, *TEST_TEMPLATE))
        if result.get("ref"):
            kind, title = "success", self.env._("Test message sent")
            message = self.env._(
                "WhatsApp accepted the test message to %(number)s.", number=e164
            )
        else:
            kind, title = "danger", self.env._("The test message failed")
            message = result["error"]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind},
        }

    # ------------------------------------------------------------------
    # Webhook
    # ------------------------------------------------------------------
    @api.model
    def _company_by_verify_token(self, token):
        return self.env["res.company"]._followup_by_secret(
            [("followup_whatsapp_enabled", "=", True)],
            "followup_whatsapp_verify_token",
            token,
            16,
        )

    @api.model
    def _signed_companies(self, body, signature):
        """The companies whose App Secret signed ``body`` (bytes) as
        ``signature`` ("sha256=<hex>"): the only ones a notification may touch."""
        if not signature or not signature.startswith("sha256="):
            return self.env["res.company"]
        companies = (
            self.env["res.company"]
            .sudo()
            .search(
                [
                    ("followup_whatsapp_enabled", "=", True),
                    ("followup_whatsapp_app_secret", "!=", False),
                ]
            )
        )
        given = signature.removeprefix("sha256=").encode()
        return companies.filtered(
            lambda c: hmac.compare_digest(
                hmac.new(c.followup_whatsapp_app_secret.encode(), body, hashlib.sha256)
                .hexdigest()
                .encode(),
                given,
            )
        )

    @api.model
    def _process_notification(self, payload, companies):
        """Apply the statuses of a webhook notification to the steps of
        ``companies`` (those that signed it) whose messages they name, by the
        Phone Number ID that sent them. Returns the steps changed."""
        changed = self.env["invoice.followup.log"].sudo()
        entries = payload.get("entry") if isinstance(payload, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            for change in (entry or {}).get("changes") or []:
                value = (change or {}).get("value") or {}
                number_id = (value.get("metadata") or {}).get("phone_number_id")
                company = companies.filtered(
                    lambda c, n=number_id: n
                    and c.followup_whatsapp_phone_number_id == str(n)
                )
                for status in value.get("statuses") or []:
                    if company and isinstance(status, dict):
                        changed |= self._apply_status(company, status)
        return changed

    @api.model
    def _apply_status(self, company, status):
        """One status ("sent", "delivered", "read", "failed") of the message
        ``status["id"]``. Statuses may come in any order: a step never goes
        back (read stays read when "delivered" comes late)."""
        ref = status.get("id")
        step = (
            self.env["invoice.followup.log"]
            .sudo()
            .search(
                [
                    ("whatsapp_message_ref", "=", str(ref)),
                    ("company_id", "=", company.id),
                ],
                limit=1,
            )
            if ref
            else self.env["invoice.followup.log"]
        )
        name = status.get("status")
        if not step or step.whatsapp_status == "failed":
            return step.browse()
        try:
            when = datetime.fromtimestamp(int(status.get("timestamp")), tz=UTC).replace(
                tzinfo=None
            )
        except (TypeError, ValueError, OverflowError):
            when = fields.Datetime.now()
        rank = STATUS_RANK.get(step.whatsapp_status, 0)
        values = {}
        if name == "failed":
            if rank >= STATUS_RANK["delivered"]:
                return step.browse()
            errors = [e for e in status.get("errors") or [] if isinstance(e, dict)]
            error = errors[0] if errors else {}
            reason = self.env._(
                "WhatsApp error %(code)s: %(title)s",
                code=error.get("code") or "",
                title=error.get("title") or error.get("message") or name,
            )
            step._followup_set({"whatsapp_status": "failed"})
            step._followup_channel_failed("whatsapp", reason)
            return step
        if name not in STATUS_RANK:
            return step.browse()
        if name in ("delivered", "read"):
            # "read" says it was delivered, whichever comes first
            first = step.whatsapp_delivered_date
            values["whatsapp_delivered_date"] = min(first, when) if first else when
        if name == "read" and not step.whatsapp_read_date:
            values["whatsapp_read_date"] = when
        if STATUS_RANK[name] > rank:
            values["whatsapp_status"] = name
        if values:
            step._followup_set(values)
        if name in ("delivered", "read") and rank < STATUS_RANK["delivered"]:
            step._followup_channel_delivered("whatsapp")
        return step
