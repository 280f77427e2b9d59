# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""`make run`'s SMS capture (scripts/sms_catcher.py): a local server playing
Twilio's API, reached through the addon's real Twilio provider, which reports
each SMS delivered back to Odoo's signed status route."""

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, FollowupHttpCommon
from .stand_in import SCRIPTS, free_port, start_script

CATCHER = SCRIPTS / "sms_catcher.py"
TOKEN = "demo-token-of-make-run"
SID = "AC" + "d" * 32


@tagged("post_install", "-at_install")
class TestSmsCatcher(FollowupHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ar_001")
        cls.env["ir.module.module"]._load_module_terms(
            ["invoice_followup"], ["ar_001"], overwrite=True
        )
        cls.customer.write({"lang": "ar_001", "name": "شركة الخليج للتجارة"})

    def _start_catcher(self, folder):
        port = free_port()
        start_script(
            self,
            "sms_catcher.py",
            ["serve", "--port", str(port), "--dir", folder, "--token", TOKEN],
            port,
        )
        return port

    def test_reminder_sms_lands_in_the_capture_and_is_delivered(self):
        """Scenario: as `make run` sets the demo up, the company sends SMS
        through "Twilio" whose API is the local capture. An Arabic-speaking
        customer's first reminder SMS goes out from Odoo's SMS queue: the
        capture writes one JSON file with the number and the Arabic text, `list`
        prints it, and the capture's signed reports make the SMS "Delivered" and
        the step say so."""
        folder = tempfile.mkdtemp(prefix="ifu-sms-")
        port = self._start_catcher(folder)
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("invoice_followup.sms_twilio_url", f"http://127.0.0.1:{port}")
        params.set_param("web.base.url", self.base_url())
        self.company.sudo().write(
            {
                "followup_sms_provider": "twilio",
                "followup_sms_twilio_account_sid": SID,
                "followup_sms_twilio_auth_token": TOKEN,
                "followup_sms_twilio_sender": "+15005550006",
            }
        )
        with freeze_time(TODAY):
            self._invoice(days_late=5)
            self.env["account.move"]._cron_invoice_followup()
        step = self.Log.search([("partner_id", "=", self.customer.id)])
        sms = self.env["sms.sms"].sudo().search([("followup_log_id", "=", step.id)])
        self.assertEqual(sms.state, "outgoing")
        self.env["sms.sms"]._process_queue(ids=sms.ids)
        self.assertEqual(sms.state, "pending")
        (path,) = Path(folder).glob("*.json")
        record = json.loads(path.read_text(encoding="utf-8"))
        self.assertEqual(record["to"], "+966501234567")
        self.assertEqual(record["body"], sms.body)
        self.assertRegex(record["body"], "[\u0600-\u06ff]")
        self.assertEqual(record["sid"], sms.followup_provider_ref)
        listing = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, str(CATCHER), "list", "--dir", folder],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        self.assertIn("1 SMS in", listing)
        self.assertIn(sms.body.splitlines()[0], listing)
        # the capture reports "sent" then "delivered", a few seconds apart
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sms.state != "sent":
            time.sleep(0.5)
            sms.invalidate_recordset()
            step.invalidate_recordset()
        self.assertEqual(sms.state, "sent", "the capture reported it delivered")
        self.assertEqual(step.sms_info, "Delivered to +966501234567")
