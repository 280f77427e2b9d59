# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""SMS through the company's own provider (Twilio, Unifonic) instead of Odoo IAP.

The provider is played by a local HTTP server (ProviderStandIn): it captures
each request, answers as the real API documents it (JSON), and its delivery
reports are posted back to Odoo's routes as the provider posts them.
"""

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import TODAY, FollowupHttpCommon
from .stand_in import ApiStandIn

TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "twilio-auth-token-of-the-company"
TWILIO_FROM = "+14155550100"
UNIFONIC_APP_SID = "UnifonicAppSidOfTheCompany42"
TWILIO_ROUTE = "/invoice_followup/sms/twilio/status"
UNIFONIC_ROUTE = "/invoice_followup/sms/unifonic/status"


def twilio_signature(token, url, params):
    """X-Twilio-Signature as Twilio documents it: HMAC-SHA1 with the Auth Token of
    the URL followed by each POST parameter's name and value, sorted by name;
    base64-encoded."""
    data = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class ProviderStandIn(ApiStandIn):
    """A local HTTP server playing Twilio's and Unifonic's send APIs.

    ``requests`` holds every request received (path, headers, form fields);
    ``rejected`` maps a number to the (HTTP status, JSON) the provider answers
    for it; credentials other than the expected ones are refused as the real
    APIs refuse them."""

    def _parse(self, body):
        return {"form": {k: v[0] for k, v in parse_qs(body.decode()).items()}}

    def _answer(self, request):
        if request["path"].startswith("/2010-04-01/"):
            return self._twilio(request["headers"], request["form"])
        return self._unifonic(request["form"])

    def _twilio(self, headers, form):
        expected = base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        if headers.get("Authorization") != f"Basic {expected}":
            return 401, {
                "code": 20003,
                "message": "Authenticate",
                "more_info": "https://www.twilio.com/docs/errors/20003",
                "status": 401,
            }
        if form.get("To") in self.rejected:
            return self.rejected[form["To"]]
        return 201, {
            "account_sid": TWILIO_SID,
            "sid": f"SM{next(self.ids):032x}",
            "status": "queued",
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "error_code": None,
            "error_message": None,
        }

    def _unifonic(self, form):
        if form.get("AppSid") != UNIFONIC_APP_SID:
            return 200, {
                "success": False,
                "message": "Invalid AppSid",
                "errorCode": "ER-08",
                "data": None,
            }
        if form.get("Recipient") in self.rejected:
            return self.rejected[form["Recipient"]]
        return 200, {
            "success": True,
            "message": "",
            "errorCode": "ER-00",
            "data": {
                "MessageID": 40000 + next(self.ids),
                "CorrelationID": form.get("CorrelationID"),
                "Status": "Sent",
                "NumberOfUnits": 1,
                "Recipient": form.get("Recipient"),
            },
        }


class SmsProviderCommon(FollowupHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env,
            login="sms_accountant",
            groups="base.group_user,account.group_account_manager",
            company_id=cls.company.id,
        )

    def setUp(self):
        super().setUp()
        self.stand_in = ProviderStandIn()
        self.addCleanup(self.stand_in.close)
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("invoice_followup.sms_twilio_url", self.stand_in.url)
        params.set_param("invoice_followup.sms_unifonic_url", self.stand_in.url)
        # the delivery report URLs given to the provider lead to this test server
        params.set_param("web.base.url", self.base_url())

    def _step_sms(self):
        """The daily run reaches the first reminder (email and SMS) of the
        customer; returns its step and the SMS it queued."""
        with freeze_time(TODAY):
            self._invoice(days_late=5)
            self.env["account.move"]._cron_invoice_followup()
        step = self.Log.search([("partner_id", "=", self.customer.id)])
        sms = self.env["sms.sms"].sudo().search([("followup_log_id", "=", step.id)])
        self.assertEqual((step.sms_state, len(sms), sms.state), ("sent", 1, "outgoing"))
        return step, sms

    def _send_queue(self, sms):
        """Odoo's SMS queue (the scheduled action's method) sends ``sms``."""
        self.env["sms.sms"]._process_queue(ids=sms.ids)


@tagged("post_install", "-at_install")
class TestSmsTwilio(SmsProviderCommon):
    def setUp(self):
        super().setUp()
        self.company.sudo().write(
            {
                "followup_sms_provider": "twilio",
                "followup_sms_twilio_account_sid": TWILIO_SID,
                "followup_sms_twilio_auth_token": TWILIO_TOKEN,
                "followup_sms_twilio_sender": TWILIO_FROM,
            }
        )

    def _report(self, sms, status, token=TWILIO_TOKEN, error_code=None, **extra):
        """Post Twilio's status callback for ``sms`` to the StatusCallback URL
        it was given, signed with ``token`` (the company's Auth Token unless
        a test forges it)."""
        callback = self.stand_in.requests[-1]["form"]["StatusCallback"]
        params = {
            "AccountSid": TWILIO_SID,
            "MessageSid": sms.followup_provider_ref,
            "SmsSid": sms.followup_provider_ref,
            "MessageStatus": status,
            "SmsStatus": status,
            "To": sms.number,
            "From": TWILIO_FROM,
            "ApiVersion": "2010-04-01",
            **({"ErrorCode": str(error_code)} if error_code else {}),
            **extra,
        }
        headers = (
            {"X-Twilio-Signature": twilio_signature(token, callback, params)}
            if token
            else {}
        )
        return self.url_open(callback, data=params, headers=headers)

    def test_forged_or_unsigned_report_refused(self):
        """Scenario: a reminder SMS went out through Twilio. Someone posts a
        "failed" delivery report for it without Twilio's signature, with a
        signature made with another key, and for another account: each is
        refused with 403 and the SMS and the step stay as they were."""
        step, sms = self._step_sms()
        self._send_queue(sms)
        self.assertEqual(sms.state, "pending")
        for token, extra in (
            (None, {}),
            ("guessed-token", {}),
            (TWILIO_TOKEN, {"AccountSid": "AC" + "f" * 32}),
        ):
            response = self._report(
                sms, "failed", token=token, error_code=30008, **extra
            )
            self.assertEqual(response.status_code, 403, (token, extra))
        # a signature is over these very parameters: changing one breaks it
        callback = self.stand_in.requests[-1]["form"]["StatusCallback"]
        params = {
            "AccountSid": TWILIO_SID,
            "MessageSid": sms.followup_provider_ref,
            "MessageStatus": "delivered",
        }
        signature = twilio_signature(TWILIO_TOKEN, callback, params)
        response = self.url_open(
            callback,
            data={**params, "MessageStatus": "failed"},
            headers={"X-Twilio-Signature": signature},
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(sms.state, "pending")
        self.assertFalse(sms.followup_provider_error)
        self.assertEqual(step.sms_state, "sent")

    def test_reminder_sent_through_twilio_and_delivered(self):
        """Scenario: the company sends SMS through its Twilio account. The daily
        run queues the first reminder's SMS; Odoo's SMS queue sends it: one
        form-encoded POST to the account's Messages.json with basic auth, the
        number in E.164, the company's From number, the SMS text and the status
        callback URL. The SMS is "Sent" with Twilio's message SID. Sending the
        queue again, even after the SMS was put back in the queue, asks Twilio
        nothing more. Twilio's signed reports "sent" then "delivered" make it
        "Delivered", and the step says so."""
        step, sms = self._step_sms()
        self._send_queue(sms)
        self.assertEqual(len(self.stand_in.requests), 1)
        request = self.stand_in.requests[0]
        self.assertEqual(
            request["path"], f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
        )
        self.assertEqual(
            request["headers"]["Authorization"],
            "Basic "
            + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode(),
        )
        self.assertIn(
            "application/x-www-form-urlencoded", request["headers"]["Content-Type"]
        )
        form = request["form"]
        self.assertEqual(form["To"], "+966501234567")
        self.assertEqual(form["From"], TWILIO_FROM)
        self.assertEqual(form["Body"], sms.body)
        self.assertIn(step._get_followup_sms_url(), form["Body"])
        self.assertEqual(form["StatusCallback"], self.base_url() + TWILIO_ROUTE)
        self.assertEqual(sms.state, "pending")
        self.assertEqual(sms.followup_provider, "twilio")
        self.assertRegex(sms.followup_provider_ref, r"^SM[0-9a-f]{32}$")

        self._send_queue(sms)
        # back in the queue (as a crash between Twilio's answer and the queue's
        # bookkeeping would leave it): Twilio's SID says it went, no new request
        sms.write({"state": "outgoing", "to_delete": False})
        self._send_queue(sms)
        self.assertEqual(len(self.stand_in.requests), 1, "an SMS is never sent twice")
        self.assertEqual(sms.state, "pending")

        self.assertEqual(self._report(sms, "sent").status_code, 204)
        self.assertEqual(sms.state, "pending")
        # kept for its report: Odoo's daily garbage collection leaves it
        self.env.flush_all()
        self.env["sms.sms"]._gc_device()
        self.assertTrue(sms.exists())
        self.assertFalse(sms.to_delete)
        self.assertEqual(self._report(sms, "delivered").status_code, 204)
        self.assertEqual(sms.state, "sent")
        self.assertTrue(sms.to_delete, "delivered: garbage-collected as Odoo does")
        self.assertEqual(step.sms_state, "sent")
        self.assertEqual(step.sms_info, "Delivered to +966501234567")
        # a late "sent" report does not take "Delivered" back
        self._report(sms, "sent")
        self.assertEqual(sms.state, "sent")

    def test_unreported_sms_collected_after_30_days(self):
        """Scenario: Twilio accepted an SMS and never reported on it. It stays
        (a report may still come) for 30 days, then Odoo's garbage collection
        removes it like any sent SMS; a report for it afterwards gets 404."""
        step, sms = self._step_sms()
        self._send_queue(sms)
        self.env["sms.sms"]._gc_followup_unreported()
        self.assertFalse(sms.to_delete)
        with freeze_time(sms.create_date + timedelta(days=31)):
            self.env["sms.sms"]._gc_followup_unreported()
        self.assertTrue(sms.to_delete)
        gone = SimpleNamespace(
            followup_provider_ref=sms.followup_provider_ref, number=sms.number
        )
        self.env.flush_all()
        self.env["sms.sms"]._gc_device()
        self.assertFalse(sms.exists())
        self.assertEqual(self._report(gone, "delivered").status_code, 404)
        self.assertEqual(step.sms_state, "sent")

    def test_undelivered_report_fails_the_step(self):
        """Scenario: Twilio accepted the reminder SMS, then reports it
        undelivered (error 30003, unreachable handset). The SMS is in error with
        Twilio's reason, kept for review, and the step records its SMS as
        failed with that reason."""
        step, sms = self._step_sms()
        self._send_queue(sms)
        self.assertEqual(
            self._report(sms, "undelivered", error_code=30003).status_code, 204
        )
        self.assertEqual(sms.state, "error")
        self.assertEqual(sms.followup_provider_error, "Twilio error 30003: undelivered")
        self.assertFalse(sms.to_delete)
        self.assertEqual(
            (step.sms_state, step.sms_info),
            ("failed", "Twilio error 30003: undelivered"),
        )

    def test_provider_error_then_resent_once(self):
        """Scenario: Twilio answers HTTP 400 with its error JSON (21211, the To
        number is not valid). The SMS is in error (wrong number format) with
        Twilio's message, the step's SMS failed with it; nothing is lost: once
        Twilio accepts the number, "Resend" sends it, exactly once."""
        self.stand_in.rejected["+966501234567"] = (
            400,
            {
                "code": 21211,
                "message": "The 'To' number +966501234567 is not a valid phone number.",
                "more_info": "https://www.twilio.com/docs/errors/21211",
                "status": 400,
            },
        )
        step, sms = self._step_sms()
        self._send_queue(sms)
        reason = (
            "Twilio error 21211: The 'To' number +966501234567 is not a valid "
            "phone number."
        )
        self.assertEqual(
            (sms.state, sms.failure_type, sms.followup_provider_error),
            ("error", "sms_number_format", reason),
        )
        self.assertFalse(sms.followup_provider_ref)
        self.assertEqual((step.sms_state, step.sms_info), ("failed", reason))

        self.stand_in.rejected.clear()
        sms.resend_failed()
        self.assertEqual(len(self.stand_in.requests), 2)
        self.assertEqual(sms.state, "pending")
        self.assertTrue(sms.followup_provider_ref)
        sms.resend_failed()
        self.assertEqual(len(self.stand_in.requests), 2)

    def test_wrong_credentials(self):
        """Scenario: the Auth Token in Settings is wrong: Twilio answers 401
        (20003). The SMS is in error as an account problem with Twilio's
        message; the step's SMS failed."""
        self.company.sudo().followup_sms_twilio_auth_token = "an-old-token"
        step, sms = self._step_sms()
        self._send_queue(sms)
        self.assertEqual(
            (sms.state, sms.failure_type, sms.followup_provider_error),
            ("error", "sms_acc", "Twilio error 20003: Authenticate"),
        )
        self.assertEqual(step.sms_state, "failed")

    def test_chatter_sms_notifications_follow_the_reports(self):
        """Scenario: an accountant sends an SMS from an invoice's chatter (not a
        follow-up step) in the Twilio company: it goes through Twilio at once and
        its chatter notification shows "Sent"; Twilio's "delivered" report makes
        it "Delivered". A second SMS reported undelivered shows as not
        delivered."""
        move = self._invoice(days_late=1)
        notifications = self.env["mail.notification"].sudo()
        for body, status, expected in (
            ("Your invoice is ready.", "delivered", ("sent", False)),
            ("Second notice.", "undelivered", ("exception", "sms_not_delivered")),
        ):
            message = move._message_sms(body, partner_ids=self.customer.ids)
            sms = (
                self.env["sms.sms"]
                .sudo()
                .search([("mail_message_id", "=", message.id)])
            )
            self.assertEqual(self.stand_in.requests[-1]["form"]["Body"], body)
            self.assertEqual(sms.state, "pending")
            notification = notifications.search([("mail_message_id", "=", message.id)])
            self.assertEqual(notification.notification_status, "pending")
            self._report(
                sms, status, error_code=30005 if status != "delivered" else None
            )
            self.assertEqual(
                (notification.notification_status, notification.failure_type), expected
            )

    def test_settings_send_test_sms(self):
        """Scenario: the admin types a number in Settings and clicks "Send test
        SMS": one SMS goes to Twilio in E.164 and a success notification shows.
        A number Twilio refuses shows Twilio's error; an empty or invalid number
        is refused before anything is sent."""
        settings = self.env["res.config.settings"].create(
            {"followup_sms_test_number": "050 123 4567"}
        )
        self.company.country_id = self.country_sa
        action = settings.action_followup_send_test_sms()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(
            action["params"]["message"], "Test SMS sent to +966501234567 (Twilio)."
        )
        self.assertEqual(len(self.stand_in.requests), 1)
        self.assertEqual(self.stand_in.requests[0]["form"]["To"], "+966501234567")

        self.stand_in.rejected["+966501234567"] = (
            400,
            {"code": 21610, "message": "Attempt to send to unsubscribed recipient"},
        )
        action = settings.action_followup_send_test_sms()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertEqual(
            action["params"]["message"],
            "Twilio error 21610: Attempt to send to unsubscribed recipient",
        )
        for number in ("", "12"):
            settings.followup_sms_test_number = number
            with self.assertRaises(UserError):
                settings.action_followup_send_test_sms()
        self.assertEqual(len(self.stand_in.requests), 2)


@tagged("post_install", "-at_install")
class TestSmsUnifonic(SmsProviderCommon):
    def setUp(self):
        super().setUp()
        self.company.sudo().write(
            {
                "followup_sms_provider": "unifonic",
                "followup_sms_unifonic_app_sid": UNIFONIC_APP_SID,
                "followup_sms_unifonic_sender": "GulfCo",
            }
        )

    def _report_url(self):
        """The delivery report URL the admin copies from Settings into the
        Unifonic console."""
        return self.env["res.config.settings"].create({}).followup_sms_report_url

    def _report(self, url, sms, dlr, comments=""):
        return self.url_open(
            url,
            data={
                "MessageID": sms.followup_provider_ref,
                "DLR": dlr,
                "Recipient": sms.number.lstrip("+"),
                "TimeCreated": "2026-03-04 09:00:00",
                "DLRTimestamp": "2026-03-04 09:00:05",
                "Comments": comments,
            },
        )

    def test_report_without_valid_token_refused(self):
        """Scenario: a reminder SMS went out through Unifonic, which does not
        sign its reports. Reports posted without the company's token, with a
        wrong one, or with another company's token are refused with 403; the
        SMS and the step do not change."""
        step, sms = self._step_sms()
        self._send_queue(sms)
        url = self._report_url()
        token = parse_qs(urlsplit(url).query)["token"][0]
        self.assertGreaterEqual(len(token), 32)
        for bad in (
            self.base_url() + UNIFONIC_ROUTE,
            f"{self.base_url()}{UNIFONIC_ROUTE}?token=",
            f"{self.base_url()}{UNIFONIC_ROUTE}?token={token[:-1]}x",
            f"{self.base_url()}{UNIFONIC_ROUTE}?token=%C3%A9{token}",
        ):
            self.assertEqual(
                self._report(bad, sms, "Undeliverable").status_code, 403, bad
            )
        # another company's valid token does not reach this company's SMS
        other = self.env["res.company"].create(
            {"name": "Other Co", "followup_sms_provider": "unifonic"}
        )
        other_url = self.env["invoice.followup.sms.provider"]._status_url(
            other, "unifonic"
        )
        self.assertEqual(self._report(other_url, sms, "Undeliverable").status_code, 204)
        self.assertEqual(sms.state, "pending")
        self.assertEqual(step.sms_state, "sent")

    def test_reminder_sent_through_unifonic_and_reported(self):
        """Scenario: the company sends SMS through Unifonic. Odoo's SMS queue
        posts the reminder to /rest/SMS/messages with the AppSid, the SenderID,
        the number in international format without "+", the text and
        responseType JSON; the SMS is "Sent" with Unifonic's MessageID. The DLR
        "Delivered" posted to the Settings' report URL makes it "Delivered"."""
        step, sms = self._step_sms()
        self._send_queue(sms)
        self.assertEqual(len(self.stand_in.requests), 1)
        request = self.stand_in.requests[0]
        self.assertEqual(request["path"], "/rest/SMS/messages")
        self.assertEqual(
            {k: request["form"].get(k) for k in ("AppSid", "SenderID", "Recipient")},
            {
                "AppSid": UNIFONIC_APP_SID,
                "SenderID": "GulfCo",
                "Recipient": "966501234567",
            },
        )
        self.assertEqual(request["form"]["Body"], sms.body)
        self.assertEqual(request["form"]["responseType"], "JSON")
        self.assertEqual(request["form"]["CorrelationID"], sms.uuid)
        self.assertEqual((sms.state, sms.followup_provider), ("pending", "unifonic"))
        self.assertTrue(sms.followup_provider_ref.isdigit())
        url = self._report_url()
        self.assertTrue(url.startswith(self.base_url() + UNIFONIC_ROUTE + "?token="))
        # a report posted as JSON counts as one posted as a form
        response = self.url_open(
            url,
            data=json.dumps(
                {"MessageID": sms.followup_provider_ref, "DLR": "Delivered"}
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 204)
        self.assertEqual(sms.state, "sent")
        self.assertEqual(step.sms_info, "Delivered to +966501234567")

    def test_undeliverable_report_and_provider_error(self):
        """Scenario: Unifonic reports one reminder "Undeliverable" (absent
        subscriber): the SMS is in error with that reason and the step's SMS
        failed. For another customer Unifonic refuses the SMS at once (ER-01, no
        rate or insufficient funds): that SMS is in error as a credit problem
        with Unifonic's message and its step's SMS failed."""
        step, sms = self._step_sms()
        self._send_queue(sms)
        self._report(self._report_url(), sms, "Undeliverable", "Absent subscriber")
        self.assertEqual(
            (sms.state, sms.followup_provider_error),
            ("error", "Unifonic: Undeliverable Absent subscriber"),
        )
        self.assertEqual(
            (step.sms_state, step.sms_info),
            ("failed", "Unifonic: Undeliverable Absent subscriber"),
        )

        self.customer_b.mobile = "+966 55 765 4321"
        self.stand_in.rejected["966557654321"] = (
            200,
            {
                "success": False,
                "message": "No rate found or insufficient funds",
                "errorCode": "ER-01",
                "data": None,
            },
        )
        with freeze_time(TODAY):
            self._invoice(partner=self.customer_b, days_late=5)
            self.env["account.move"]._cron_invoice_followup()
        step_b = self.Log.search([("partner_id", "=", self.customer_b.id)])
        sms_b = self.env["sms.sms"].sudo().search([("followup_log_id", "=", step_b.id)])
        self._send_queue(sms_b)
        reason = "Unifonic error ER-01: No rate found or insufficient funds"
        self.assertEqual(
            (sms_b.state, sms_b.failure_type, sms_b.followup_provider_error),
            ("error", "sms_credit", reason),
        )
        self.assertEqual((step_b.sms_state, step_b.sms_info), ("failed", reason))


@tagged("post_install", "-at_install")
class TestSmsProviderDefault(SmsProviderCommon):
    def test_iap_by_default_nothing_reaches_the_gateway(self):
        """Scenario: a fresh company has Odoo IAP as SMS provider. Even with
        Twilio credentials typed in, its reminder SMS goes through Odoo's IAP
        code (which tests cannot reach: Odoo's own "server error" outcome, which
        the step records as not sent) and no request reaches the provider's
        stand-in."""
        company = self.env["res.company"].create({"name": "Fresh Co"})
        self.assertEqual(company.followup_sms_provider, "iap")
        self.assertEqual(self.company.followup_sms_provider, "iap")
        self.company.sudo().write(
            {
                "followup_sms_twilio_account_sid": TWILIO_SID,
                "followup_sms_twilio_auth_token": TWILIO_TOKEN,
                "followup_sms_twilio_sender": TWILIO_FROM,
            }
        )
        step, sms = self._step_sms()
        self._send_queue(sms)
        self.assertEqual(self.stand_in.requests, [])
        self.assertEqual((sms.state, sms.failure_type), ("error", "sms_server"))
        self.assertFalse(sms.followup_provider)
        # IAP's outcome reaches the step (models/sms_sms.py): our side's
        # failure, not the customer's number
        self.assertEqual(step.sms_state, "failed")
        self.assertTrue(step.sms_info.startswith("Not sent: "), step.sms_info)
        self.assertEqual(step.partner_id.followup_failure_count, 0)


@tagged("post_install", "-at_install")
class TestSmsProviderSecrets(SmsProviderCommon):
    SECRETS = (
        "followup_sms_twilio_account_sid",
        "followup_sms_twilio_auth_token",
        "followup_sms_twilio_sender",
        "followup_sms_unifonic_app_sid",
        "followup_sms_unifonic_sender",
        "followup_sms_webhook_token",
    )

    def setUp(self):
        super().setUp()
        self.company.sudo().write(
            {
                "followup_sms_provider": "twilio",
                "followup_sms_twilio_account_sid": TWILIO_SID,
                "followup_sms_twilio_auth_token": TWILIO_TOKEN,
                "followup_sms_unifonic_app_sid": UNIFONIC_APP_SID,
            }
        )
        self.env["invoice.followup.sms.provider"]._webhook_token(self.company)

    def test_accountant_reads_no_secret(self):
        """Scenario: an accountant (Accounting administrator, not Settings)
        reads the company through the ORM: the provider is visible, the
        credentials are not (absent from a full read and from the fields'
        description, refused when asked by name or searched on); the
        settings are refused altogether. The admin reads them."""
        company = self.company.with_user(self.accountant)
        self.assertEqual(company.followup_sms_provider, "twilio")
        values = company.read()[0]
        self.assertFalse(set(self.SECRETS) & set(values))
        self.assertFalse(set(self.SECRETS) & set(company.fields_get()))
        for fname in self.SECRETS:
            with self.assertRaises(AccessError):
                company.read([fname])
        with self.assertRaises(AccessError):
            company.search([("followup_sms_twilio_auth_token", "=", TWILIO_TOKEN)])
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(self.accountant).create({})
        self.assertEqual(self.company.followup_sms_twilio_auth_token, TWILIO_TOKEN)

    def test_accountant_rpc_gets_no_secret(self):
        """Scenario: the accountant logs in and reads the company as the web
        client does (JSON-RPC call_kw): a read of every field returns none of
        the credentials, a read of the Auth Token by name answers an access
        error; the token's value is in no answer."""
        self.authenticate("sms_accountant", "sms_accountant")

        def call(method, args, kwargs=None):
            response = self.url_open(
                f"/web/dataset/call_kw/res.company/{method}",
                data=json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "method": "call",
                        "params": {
                            "model": "res.company",
                            "method": method,
                            "args": args,
                            "kwargs": kwargs or {},
                        },
                    }
                ),
                headers={"Content-Type": "application/json"},
            )
            self.assertNotIn(TWILIO_TOKEN, response.text)
            self.assertNotIn(UNIFONIC_APP_SID, response.text)
            return response.json()

        values = call("read", [[self.company.id]])["result"][0]
        self.assertEqual(values["followup_sms_provider"], "twilio")
        self.assertFalse(set(self.SECRETS) & set(values))
        error = call("read", [[self.company.id], ["followup_sms_twilio_auth_token"]])
        self.assertEqual(error["error"]["data"]["name"], "odoo.exceptions.AccessError")
        web = call(
            "web_read",
            [[self.company.id]],
            {"specification": {"followup_sms_unifonic_app_sid": {}}},
        )
        self.assertIn("error", web)
