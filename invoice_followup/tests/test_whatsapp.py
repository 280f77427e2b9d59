# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""WhatsApp reminders through the WhatsApp Business Cloud API.

Meta's Graph API is played by a local HTTP server (GraphStandIn): it captures
each request and answers as the Cloud API documents it (JSON). Its webhook
notifications are posted to Odoo's real route, signed as Meta signs them
(X-Hub-Signature-256: HMAC-SHA256 of the raw body with the App Secret).
"""

import hashlib
import hmac
import json
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import format_date

from .common import TODAY, FollowupHttpCommon
from .stand_in import ApiStandIn

PHONE_NUMBER_ID = "106540352242922"
ACCESS_TOKEN = "EAAG-permanent-token-of-the-company"
APP_SECRET = "app-secret-of-the-meta-app"
VERIFY_TOKEN = "verify-token-typed-in-meta-app-42"
ROUTE = "/invoice_followup/whatsapp/webhook"


def meta_signature(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class GraphStandIn(ApiStandIn):
    """A local HTTP server playing the Cloud API's messages endpoint.

    ``requests`` holds every request (path, headers, JSON body); ``rejected``
    maps a "to" number to the (HTTP status, JSON) answered for it; a wrong
    token is refused as the real API refuses it (401, OAuthException 190)."""

    def _parse(self, body):
        return {"json": json.loads(body or b"{}")}

    def _answer(self, request):
        headers, payload = request["headers"], request["json"]
        if headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
            return 401, {
                "error": {
                    "message": "Error validating access token: Session has expired.",
                    "type": "OAuthException",
                    "code": 190,
                    "fbtrace_id": "AbCdEf",
                }
            }
        to = payload.get("to")
        if to in self.rejected:
            return self.rejected[to]
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": f"wamid.HBgM{next(self.ids):020d}"}],
        }


class WhatsappCommon(FollowupHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ar_001")
        cls.company.write(
            {
                "followup_whatsapp_enabled": True,
                "followup_whatsapp_phone_number_id": PHONE_NUMBER_ID,
                "followup_whatsapp_token": ACCESS_TOKEN,
                "followup_whatsapp_app_secret": APP_SECRET,
                "followup_whatsapp_verify_token": VERIFY_TOKEN,
            }
        )
        cls.template_en = cls.env.ref(
            "invoice_followup.whatsapp_template_payment_reminder_en"
        )
        cls.template_ar = cls.env.ref(
            "invoice_followup.whatsapp_template_payment_reminder_ar"
        )
        cls.stage_first.write(
            {"send_whatsapp": True, "whatsapp_template_id": cls.template_en.id}
        )
        cls.customer.write({"followup_use_whatsapp": True, "lang": "ar_001"})
        cls.accountant = new_test_user(
            cls.env,
            login="wa_accountant",
            groups="base.group_user,account.group_account_manager",
            company_id=cls.company.id,
        )

    def setUp(self):
        super().setUp()
        self.stand_in = GraphStandIn()
        self.addCleanup(self.stand_in.close)
        self.env["ir.config_parameter"].sudo().set_param(
            "invoice_followup.whatsapp_url", self.stand_in.url
        )

    def _step(self, partner=None):
        """The daily run reaches the first reminder of ``partner``."""
        partner = partner or self.customer
        with freeze_time(TODAY):
            self._invoice(partner=partner, days_late=5)
            self.env["account.move"]._cron_invoice_followup()
        return self.Log.search([("partner_id", "=", partner.id)])

    def _send_queue(self):
        """The WhatsApp queue (its scheduled action's method) runs."""
        return self.env["invoice.followup.whatsapp"]._cron_send_queue()

    def _notify(self, statuses, secret=APP_SECRET, phone_number_id=PHONE_NUMBER_ID):
        """Post a webhook notification with ``statuses`` as Meta posts it."""
        body = json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": "102290129340398",
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "messaging_product": "whatsapp",
                                    "metadata": {
                                        "display_phone_number": "15550783881",
                                        "phone_number_id": phone_number_id,
                                    },
                                    "statuses": statuses,
                                },
                            }
                        ],
                    }
                ],
            }
        ).encode()
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Hub-Signature-256"] = meta_signature(secret, body)
        return self.url_open(ROUTE, data=body, headers=headers)

    @staticmethod
    def _status(step, status, when, **extra):
        return {
            "id": step.whatsapp_message_ref,
            "status": status,
            "timestamp": str(int(when.timestamp())),
            "recipient_id": "966501234567",
            **extra,
        }


@tagged("post_install", "-at_install")
class TestWhatsappWebhook(WhatsappCommon):
    def test_verification_refused_then_accepted(self):
        """Scenario: Meta checks the webhook URL when the admin subscribes it.
        A wrong verify token, no token, or another mode get 403; the company's
        token gets the challenge echoed as plain text."""
        for params in (
            {"hub.mode": "subscribe", "hub.verify_token": "guessed-token-000000"},
            {"hub.mode": "subscribe", "hub.challenge": "1158201444"},
            {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN},
        ):
            response = self.url_open(
                ROUTE
                + "?"
                + "&".join(f"{k}={v}" for k, v in params.items())
                + "&hub.challenge=1158201444"
            )
            self.assertEqual(response.status_code, 403, params)
            self.assertNotIn("1158201444", response.text)
        response = self.url_open(
            f"{ROUTE}?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}"
            "&hub.challenge=1158201444"
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.text, "1158201444")

    def test_forged_notification_refused(self):
        """Scenario: a reminder went out on WhatsApp. Someone posts a "failed"
        status for it unsigned, signed with another secret, with the body
        changed after signing, and signed by another company's secret for
        this company's number: 403 for the first three, nothing for the last;
        the step is unchanged."""
        step = self._step()
        self._send_queue()
        self.assertEqual(step.whatsapp_status, "accepted")
        failed = [
            self._status(
                step,
                "failed",
                datetime(2026, 3, 4, 9),
                errors=[{"code": 131026, "title": "Message undeliverable"}],
            )
        ]
        self.assertEqual(self._notify(failed, secret=None).status_code, 403)
        self.assertEqual(self._notify(failed, secret="guessed").status_code, 403)
        body = json.dumps({"entry": []}).encode()
        response = self.url_open(
            ROUTE,
            data=body.replace(b"[]", b"[{}]"),
            headers={"X-Hub-Signature-256": meta_signature(APP_SECRET, body)},
        )
        self.assertEqual(response.status_code, 403)
        other = self.env["res.company"].create(
            {
                "name": "Other Co",
                "followup_whatsapp_enabled": True,
                "followup_whatsapp_phone_number_id": "999",
                "followup_whatsapp_app_secret": "other-secret",
            }
        )
        self.assertTrue(other)
        self.assertEqual(self._notify(failed, secret="other-secret").status_code, 200)
        self.assertEqual(
            (step.whatsapp_state, step.whatsapp_status), ("sent", "accepted")
        )

    def test_failed_status_fails_the_step(self):
        """Scenario: WhatsApp accepted the reminder, then reports it failed
        (131026, message undeliverable): the step's WhatsApp failed with that
        reason; a late "delivered" does not bring it back."""
        step = self._step()
        self._send_queue()
        when = datetime(2026, 3, 4, 9)
        response = self._notify(
            [
                self._status(
                    step,
                    "failed",
                    when,
                    errors=[
                        {
                            "code": 131026,
                            "title": "Message undeliverable",
                            "message": "Message undeliverable",
                        }
                    ],
                )
            ]
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            (step.whatsapp_state, step.whatsapp_status, step.whatsapp_info),
            ("failed", "failed", "WhatsApp error 131026: Message undeliverable"),
        )
        self._notify([self._status(step, "delivered", when)])
        self.assertEqual(step.whatsapp_status, "failed")
        self.assertFalse(step.whatsapp_delivered_date)
        # the failure went to the fallback (models/invoice_followup_fallback.py)
        self.assertTrue(step.fallback_state)
        self.assertEqual(
            self.Log._followup_fallback_channels(),
            ["email", "whatsapp", "sms", "letter"],
        )


@tagged("post_install", "-at_install")
class TestWhatsappSending(WhatsappCommon):
    def test_arabic_reminder_queued_sent_once_delivered_read(self):
        """Scenario: the Arabic-speaking customer opted in to WhatsApp. The daily
        run records the first reminder's message on the step ("queued"), and
        sends nothing itself. The queue then posts one template message to
        the Cloud API: Bearer token, the customer's number, the Arabic
        translation of payment_reminder, its five values in Arabic and the
        statement's token path for the URL button. WhatsApp's message ID is
        kept; running the queue again sends nothing. The signed statuses
        "sent", "read" (before "delivered") and a late "delivered" leave the
        step read, with both dates. The customer's chatter names WhatsApp."""
        step = self._step()
        self.assertEqual(
            (step.whatsapp_state, step.whatsapp_status, step.whatsapp_number),
            ("sent", "queued", "+966501234567"),
        )
        self.assertEqual(step.whatsapp_template_id, self.template_ar)
        self.assertEqual(self.stand_in.requests, [], "nothing leaves inside the run")
        cron = self.env.ref("invoice_followup.ir_cron_followup_whatsapp")
        self.assertTrue(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            "the run wakes the queue up",
        )
        self.assertIn(self.customer.name, step.whatsapp_body)
        self.assertIn("مستحق", step.whatsapp_body)

        self._send_queue()
        self.assertEqual(len(self.stand_in.requests), 1)
        request = self.stand_in.requests[0]
        self.assertEqual(request["path"], f"/v21.0/{PHONE_NUMBER_ID}/messages")
        self.assertEqual(request["headers"]["Authorization"], f"Bearer {ACCESS_TOKEN}")
        self.assertIn("application/json", request["headers"]["Content-Type"])
        payload = request["json"]
        self.assertEqual(
            {k: payload[k] for k in ("messaging_product", "to", "type")},
            {"messaging_product": "whatsapp", "to": "966501234567", "type": "template"},
        )
        template = payload["template"]
        self.assertEqual(template["name"], "payment_reminder")
        self.assertEqual(template["language"], {"code": "ar"})
        body, button = template["components"]
        ar_step = step.with_context(lang="ar_001")
        self.assertEqual(
            [p["text"] for p in body["parameters"]],
            [
                self.customer.name,
                self.company.name,
                ar_step._get_followup_sms_amount(),
                "1",
                format_date(
                    self.env, step._get_followup_oldest_due(), lang_code="ar_001"
                ),
            ],
        )
        self.assertEqual(
            (button["type"], button["sub_type"], button["index"]),
            ("button", "url", "0"),
        )
        token = self.customer._followup_get_access_token()
        self.assertEqual(button["parameters"], [{"type": "text", "text": f"f/{token}"}])
        self.assertEqual(step.whatsapp_status, "accepted")
        self.assertTrue(step.whatsapp_message_ref.startswith("wamid."))

        self._send_queue()
        self.assertEqual(len(self.stand_in.requests), 1, "never sent twice")

        sent, read, delivered = (
            datetime(2026, 3, 4, 9, 0),
            datetime(2026, 3, 4, 9, 30),
            datetime(2026, 3, 4, 9, 5),
        )
        self.assertEqual(
            self._notify([self._status(step, "sent", sent)]).status_code, 200
        )
        self.assertEqual(step.whatsapp_status, "sent")
        self._notify([self._status(step, "read", read)])
        self.assertEqual(
            (step.whatsapp_status, step.whatsapp_read_date), ("read", read)
        )
        self._notify([self._status(step, "delivered", delivered)])
        self.assertEqual(step.whatsapp_status, "read", "read never goes back")
        self.assertEqual(step.whatsapp_delivered_date, delivered)
        self.assertEqual(step.whatsapp_state, "sent")
        note = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertTrue(any("WhatsApp" in str(m.body) for m in note))

    def test_api_error_fails_the_step(self):
        """Scenario: the Cloud API refuses the message (HTTP 400, 132001: the
        template does not exist in the language): the step's WhatsApp failed
        with the API's code and message; the queue does not retry it. With a
        wrong token (401, code 190) the same."""
        self.stand_in.rejected["966501234567"] = (
            400,
            {
                "error": {
                    "message": "(#132001) Template name does not exist in the "
                    "translation",
                    "type": "OAuthException",
                    "code": 132001,
                    "error_data": {
                        "messaging_product": "whatsapp",
                        "details": "template name (payment_reminder) does not "
                        "exist in ar",
                    },
                }
            },
        )
        step = self._step()
        self._send_queue()
        self.assertEqual(
            (step.whatsapp_state, step.whatsapp_status), ("failed", "failed")
        )
        self.assertEqual(
            step.whatsapp_info,
            "WhatsApp error 132001: (#132001) Template name does not exist in the "
            "translation (template name (payment_reminder) does not exist in ar)",
        )
        self._send_queue()
        self.assertEqual(len(self.stand_in.requests), 1)

        self.company.followup_whatsapp_token = "expired"
        self.customer_b.write(
            {"followup_use_whatsapp": True, "followup_whatsapp_number": "07911 123456"}
        )
        step_b = self._step(self.customer_b)
        self.assertEqual(step_b.whatsapp_number, "+447911123456")
        self._send_queue()
        self.assertEqual(self.stand_in.requests[-1]["json"]["to"], "447911123456")
        self.assertEqual(step_b.whatsapp_state, "failed")
        self.assertIn("WhatsApp error 190", step_b.whatsapp_info)

    def test_no_optin_no_number_not_configured_skipped(self):
        """Scenario: the stage sends WhatsApp but the customer never opted in;
        another opted in without any number; in a third run WhatsApp is
        disabled in Settings. Each step's WhatsApp is skipped with its reason,
        the other channels go out, and nothing reaches the API."""
        step_b = self._step(self.customer_b)
        self.assertEqual(
            (step_b.whatsapp_state, step_b.whatsapp_info),
            ("skipped", "The customer did not opt in to WhatsApp."),
        )
        self.assertEqual(step_b.email_state, "sent")
        nobody = self.env["res.partner"].create(
            {
                "name": "No Phone LLC",
                "is_company": True,
                "email": "ap@nophone.example.com",
                "followup_use_whatsapp": True,
            }
        )
        self.assertTrue(nobody.followup_whatsapp_optin_date)
        step_n = self._step(nobody)
        self.assertEqual(
            (step_n.whatsapp_state, step_n.whatsapp_info),
            ("skipped", "No valid WhatsApp number."),
        )
        self.company.followup_whatsapp_enabled = False
        step = self._step()
        self.assertEqual(
            (step.whatsapp_state, step.whatsapp_info),
            ("skipped", "WhatsApp is not enabled in Settings."),
        )
        self._send_queue()
        self.assertEqual(self.stand_in.requests, [])

    def test_interrupted_send_not_resent(self):
        """Scenario: a worker died during the API call, leaving its step
        "sending". Soon after, the queue leaves it alone; after ten minutes it
        fails the step as "outcome unknown" and never sends it again."""
        step = self._step()
        start = fields.Datetime.now()
        step.write({"whatsapp_status": "sending", "whatsapp_sending_date": start})
        self._send_queue()
        self.assertEqual(step.whatsapp_status, "sending")
        with freeze_time(start + timedelta(minutes=11)):
            self._send_queue()
        self.assertEqual(
            (step.whatsapp_state, step.whatsapp_status), ("failed", "failed")
        )
        self.assertIn("may have left", step.whatsapp_info)
        self.assertEqual(self.stand_in.requests, [])

    def test_template_language_choice(self):
        """Scenario: the stage names the English payment_reminder. An Arabic
        customer (ar_001) gets the Arabic one, an English one (en_US) the
        English one, a French one (no French translation) the company's
        language's (English)."""
        self.assertEqual(
            self.template_en._followup_for(self.customer, self.company),
            self.template_ar,
        )
        for lang in ("en_US", "fr_FR"):
            partner = self.env["res.partner"].new({"name": "X", "lang": lang})
            self.assertEqual(
                self.template_en._followup_for(partner, self.company),
                self.template_en,
            )

    def test_send_test_message(self):
        """Scenario: the admin sends the test message from Settings: Meta's
        hello_world template to the typed number, a success notification."""
        settings = self.env["res.config.settings"].create(
            {"followup_whatsapp_test_number": "+966 50 765 4321"}
        )
        action = settings.action_followup_send_test_whatsapp()
        self.assertEqual(action["params"]["type"], "success")
        payload = self.stand_in.requests[-1]["json"]
        self.assertEqual(payload["to"], "966507654321")
        self.assertEqual(
            payload["template"], {"name": "hello_world", "language": {"code": "en_US"}}
        )


@tagged("post_install", "-at_install")
class TestWhatsappOptin(WhatsappCommon):
    def test_portal_optin_and_optout_recorded(self):
        """Scenario: a customer who never opted in opens its statement through
        the signed link: the preferences offer WhatsApp, unticked. It ticks it
        and saves: opted in, with the date and "Customer portal", and a note
        in its chatter. It saves again without it: opted out, date recorded.
        A stranger without the token changes nothing."""
        partner = self.customer_b
        self.assertFalse(partner.followup_use_whatsapp)
        url = partner._followup_get_statement_url().replace(partner.get_base_url(), "")
        response = self.url_open(url)
        self.assertIn('name="use_whatsapp"', response.text)
        csrf = self._csrf(url)
        data = {
            "csrf_token": csrf,
            "pid": partner.id,
            "access_token": "wrong-token",
            "use_email": "on",
            "whatsapp_offered": "1",
            "use_whatsapp": "on",
            "lang": "en_US",
        }
        self.url_open("/my/followup/preferences", data=data, allow_redirects=False)
        self.assertFalse(partner.followup_use_whatsapp)
        data["access_token"] = partner._followup_get_access_token()
        response = self.url_open(
            "/my/followup/preferences", data=data, allow_redirects=False
        )
        self.assertIn("done=preferences", response.headers["Location"])
        self.assertTrue(partner.followup_use_whatsapp)
        self.assertTrue(partner.followup_whatsapp_optin_date)
        self.assertEqual(partner.followup_whatsapp_consent_source, "portal")
        self.assertIn(
            "Opted in to reminders by WhatsApp (Customer portal).",
            "".join(partner.message_ids.mapped(lambda m: str(m.body))),
        )
        del data["use_whatsapp"]
        self.url_open("/my/followup/preferences", data=data, allow_redirects=False)
        self.assertFalse(partner.followup_use_whatsapp)
        self.assertTrue(partner.followup_whatsapp_optout_date)

    def test_accountant_reads_no_secret(self):
        """Scenario: an accountant reads the company through the ORM and as
        the web client does (JSON-RPC): WhatsApp enabled is visible; the
        access token, the App Secret, the verify token and the account's IDs
        are refused or absent; their values are in no answer."""
        secrets = (
            "followup_whatsapp_phone_number_id",
            "followup_whatsapp_account_id",
            "followup_whatsapp_token",
            "followup_whatsapp_app_secret",
            "followup_whatsapp_verify_token",
        )
        company = self.company.with_user(self.accountant)
        self.assertTrue(company.followup_whatsapp_enabled)
        self.assertFalse(set(secrets) & set(company.read()[0]))
        for fname in secrets:
            with self.assertRaises(AccessError):
                company.read([fname])
        with self.assertRaises(AccessError):
            company.search([("followup_whatsapp_app_secret", "=", APP_SECRET)])

        self.authenticate("wa_accountant", "wa_accountant")
        for fnames in (
            [],
            ["followup_whatsapp_token"],
            ["followup_whatsapp_app_secret"],
        ):
            response = self.url_open(
                "/web/dataset/call_kw/res.company/read",
                data=json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "method": "call",
                        "params": {
                            "model": "res.company",
                            "method": "read",
                            "args": [[self.company.id], fnames],
                            "kwargs": {},
                        },
                    }
                ),
                headers={"Content-Type": "application/json"},
            )
            self.assertNotIn(ACCESS_TOKEN, response.text)
            self.assertNotIn(APP_SECRET, response.text)
            if fnames:
                self.assertEqual(
                    response.json()["error"]["data"]["name"],
                    "odoo.exceptions.AccessError",
                )
