# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import email
import email.policy
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from freezegun import freeze_time

from odoo import modules
from odoo.tests import tagged

from .common import TODAY, FollowupCommon, FollowupHttpCommon
from .stand_in import free_port, start_script
from .test_followup_run import RunHelpers

BLACKLISTED = "The email address is on the blacklist (unsubscribed)."
# the repository's demo mail catcher (make run), next to the addon
CATCHER = Path(__file__).resolve().parents[2] / "scripts" / "mail_catcher.py"


@tagged("post_install", "-at_install")
class TestMailBlacklist(RunHelpers, FollowupCommon):
    """Odoo's email blacklist (mail.blacklist) in the daily run's email channel."""

    def test_blacklisted_address_is_skipped_others_still_mailed(self):
        """Scenario: the customer unsubscribed: its address is on Odoo's email
        blacklist (written in another case: the blacklist compares normalized
        addresses). Both customers reach the first reminder in the same run:
        the blacklisted one's step records the email as skipped with the reason
        and no mail is queued for it (its SMS still goes); the other customer
        gets its mail, and the run asks Odoo's mail queue to send it now."""
        self.env["mail.blacklist"].sudo()._add("AP@Gulf-Trading.Example.com")
        cron = self.env.ref("mail.ir_cron_mail_scheduler_action")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        with freeze_time(TODAY):
            self._invoice(days_late=5)
            self._invoice(partner=self.customer_b, days_late=5)
            self._run()
        log = self._logs()
        self.assertEqual(log.stage_id, self.stage_first)
        self.assertEqual((log.email_state, log.email_info), ("skipped", BLACKLISTED))
        self.assertFalse(log.mail_message_id)
        self.assertFalse(self._mails())
        self.assertEqual(log.sms_state, "sent")
        log_b = self._logs(self.customer_b)
        self.assertEqual(log_b.email_state, "sent")
        mail_b = self._mails(self.customer_b)
        self.assertEqual(len(mail_b), 1)
        self.assertEqual(mail_b.state, "outgoing")
        self.assertEqual(log_b.mail_message_id, mail_b.mail_message_id)
        self.assertTrue(
            self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]) - triggers
        )

    def test_removed_from_blacklist_is_mailed_again(self):
        """Scenario: the customer was blacklisted, then removed from the list
        (Odoo archives the entry): the next reminder is mailed again."""
        self.env["mail.blacklist"].sudo()._add("ap@gulf-trading.example.com")
        self.env["mail.blacklist"].sudo()._remove("ap@gulf-trading.example.com")
        with freeze_time(TODAY):
            self._invoice(days_late=5)
            self._run()
        self.assertEqual(self._logs().email_state, "sent")
        self.assertEqual(len(self._mails()), 1)

    def test_blacklisted_extra_recipient_of_a_template_is_dropped(self):
        """Scenario: an accountant edited the first reminder's template to copy
        a second contact, whose address is blacklisted: the mail goes to the
        customer only. When the customer's own contact is replaced by that
        blacklisted contact, nothing is queued and the step says why."""
        other = self.env["res.partner"].create(
            {"name": "Old AP Clerk", "email": "clerk@gulf-trading.example.com"}
        )
        self.env["mail.blacklist"].sudo()._add(other.email)
        template = self.stage_first.mail_template_id
        template.partner_to = f"{{{{ object.recipient_id.id }}}},{other.id}"
        with freeze_time(TODAY):
            self._invoice(days_late=5)
            self._run()
        mail = self._mails()
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertEqual(self._logs().email_state, "sent")
        template.partner_to = str(other.id)
        with freeze_time(TODAY):
            self._invoice(partner=self.customer_b, days_late=5)
            self._run()
        log_b = self._logs(self.customer_b)
        self.assertEqual(
            (log_b.email_state, log_b.email_info), ("skipped", BLACKLISTED)
        )
        self.assertFalse(
            self.env["mail.mail"].search([("recipient_ids", "in", other.ids)])
        )


@tagged("post_install", "-at_install")
class TestMailBlacklistLetter(RunHelpers, FollowupHttpCommon):
    """The letter fallback for a blacklisted customer (wkhtmltopdf needs the
    HTTP server that HttpCase shares with the test transaction)."""

    def test_blacklisted_without_mobile_gets_a_letter(self):
        """Scenario: the customer's address is blacklisted and it has no mobile
        number: neither email nor SMS reaches it, so the first reminder falls
        back to a letter to print, as for any unreachable customer."""
        self.customer.write({"mobile": False, "phone": False})
        self.env["mail.blacklist"].sudo()._add(self.customer.email)
        with freeze_time(TODAY):
            self._invoice(days_late=5)
            self._run()
        log = self._logs()
        self.assertEqual((log.email_state, log.email_info), ("skipped", BLACKLISTED))
        self.assertEqual(log.sms_state, "skipped")
        self.assertEqual(log.letter_state, "to_print")
        self.assertTrue(log.letter_attachment_id.raw.startswith(b"%PDF"))
        self.assertFalse(self._mails())


@contextmanager
def _smtp_allowed():
    """While a test runs, Odoo neither connects to nor sends through any SMTP
    server (modules.module.current_test); lift that guard for the local catcher."""
    current = modules.module.current_test
    modules.module.current_test = None
    try:
        yield
    finally:
        modules.module.current_test = current


@tagged("post_install", "-at_install")
class TestMailCatcher(RunHelpers, FollowupCommon):
    """`make run`'s mail catcher (scripts/mail_catcher.py) receives what Odoo's
    mail queue sends through its ir.mail_server, as .eml files."""

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
        catcher = start_script(
            self,
            "mail_catcher.py",
            ["serve", "--port", str(port), "--dir", folder],
            port,
            stderr=subprocess.PIPE,
        )
        return catcher, port

    def _wait_for_mails(self, folder, count):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            files = sorted(Path(folder).glob("*.eml"))
            if len(files) >= count:
                return files
            time.sleep(0.1)
        self.fail(f"no .eml file in {folder}")

    def test_reminder_in_arabic_lands_in_the_catcher(self):
        """Scenario: the demo's outgoing mail server points at the catcher (on
        127.0.0.1, no TLS). An Arabic-speaking customer gets the first reminder
        from the daily run, Odoo's mail queue sends it: the catcher writes one
        .eml file with the customer's address, the Arabic subject and an Arabic
        text part readable as UTF-8, and the mail is marked sent. The catcher
        stops cleanly on SIGTERM (what stopping `make run` sends it)."""
        folder = tempfile.mkdtemp(prefix="ifu-mails-")
        catcher, port = self._start_catcher(folder)
        self.env["ir.mail_server"].create(
            {
                "name": "Local mail catcher",
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "smtp_encryption": "none",
                "sequence": 1,
            }
        )
        with freeze_time(TODAY):
            self._invoice(days_late=5, amount=4200.0)
            self._run()
        mail = self._mails()
        self.assertEqual(mail.state, "outgoing")
        subject = mail.subject
        self.assertIn("تذكير", subject)
        with _smtp_allowed():
            self.env["mail.mail"].browse(mail.ids).send(raise_exception=True)
        self.assertEqual(mail.state, "sent")
        (eml,) = self._wait_for_mails(folder, 1)
        message = email.message_from_bytes(
            eml.read_bytes(), policy=email.policy.default
        )
        self.assertIn("ap@gulf-trading.example.com", message["To"])
        self.assertEqual(message["X-Envelope-To"], "ap@gulf-trading.example.com")
        self.assertEqual(message["Subject"], subject)
        text = message.get_body(preferencelist=("plain",)).get_content()
        self.assertIn("شركة الخليج للتجارة", text)
        self.assertIn("4,200.00", text)
        # `make mails` prints it, readable
        listing = subprocess.run(  # noqa: S603
            [sys.executable, str(CATCHER), "list", "--dir", folder, "-n", "1"],
            capture_output=True,
            check=True,
            encoding="utf-8",
        ).stdout
        self.assertIn(f"Subject: {subject}", listing)
        self.assertIn("شركة الخليج للتجارة", listing)
        catcher.terminate()
        self.assertEqual(catcher.wait(timeout=10), 0)
