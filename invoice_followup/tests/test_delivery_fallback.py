# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Failed deliveries come back and fall back (issue 15): a bounce processed by
Odoo's own mail gateway, a mail Odoo could not send, an SMS IAP did not take
mark the step's channel failed; the next daily run sends the step's message
once through the next channel the customer accepts; the worklist shows the
customers whose contact details keep failing."""

import socket
import uuid
from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, FollowupCommon, FollowupHttpCommon
from .test_followup_run import RunHelpers
from .test_mail_delivery import _smtp_allowed

ADDRESS = "ap@gulf-trading.example.com"
# a delivery status notification as a mail server returns it (RFC 3464), the
# returned message quoted with its Message-Id
BOUNCE = """Return-Path: <>
From: MAILER-DAEMON@mx.gulf-trading.example.com (Mail Delivery System)
To: {to}
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
    boundary="bounce-boundary"
Message-Id: <{uid}@mx.gulf-trading.example.com>

This is a MIME-encapsulated message.

--bounce-boundary
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{address}>: host mx.gulf-trading.example.com said: 550 No such
    person at this address. (in reply to RCPT TO command)

--bounce-boundary
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.gulf-trading.example.com

Final-Recipient: rfc822; {address}
Original-Recipient: rfc822;{address}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 No such person at this address.

--bounce-boundary
Content-Description: Undelivered Message
Content-Type: message/rfc822

Message-Id: {message_id}
Subject: Payment reminder
From: accounts@company.example.com
To: {address}
Content-Type: text/plain; charset=us-ascii

Reminder.

--bounce-boundary--
"""


class FallbackHelpers(RunHelpers):
    def _bounce(self, message, address=ADDRESS):
        """The mail server returns the mail of ``message`` (mail.message) as
        undeliverable to ``address``: Odoo's mail gateway processes it."""
        raw = BOUNCE.format(
            to="bounce@company.example.com",
            uid=uuid.uuid4().hex,
            address=address,
            message_id=message.message_id,
        )
        self.env["mail.thread"].sudo().message_process(None, raw)

    def _send_mails(self, partner=None):
        """Odoo's mail queue sends the customer's mails (tests send nothing out)."""
        self._mails(partner).send()

    def _step_sms(self, step):
        return self.env["sms.sms"].search([("followup_log_id", "=", step.id)])


@tagged("post_install", "-at_install")
class TestDeliveryFallback(FallbackHelpers, FollowupCommon):
    """Failures of the mail and the SMS, and the fallback through SMS."""

    def _friendly_reminder_bounced(self, partner=None):
        """The friendly reminder (email only) goes out today, Odoo sends the
        mail, and it bounces. Returns the step."""
        partner = partner or self.customer
        with freeze_time(TODAY):
            self._invoice(partner=partner, days_late=-3)
            self._run()
            step = self._logs(partner)
            self.assertEqual(step.stage_id, self.stage_friendly)
            self.assertEqual(step.email_state, "sent")
            self._send_mails(partner)
            self._bounce(step.mail_message_id, address=partner.email)
        return step

    def test_bounce_falls_back_to_sms_once(self):
        """Scenario: the friendly reminder (email only) bounces, as the customer's
        mail server answers through Odoo's bounce routing. The step records the
        email as failed with the address and plans an SMS; nothing is sent yet.
        The next day's run sends the step's message by SMS to the customer's
        mobile (the default SMS reminder: the stage has none), a second run that
        day and the run of the day after send nothing more."""
        step = self._friendly_reminder_bounced()
        self.assertEqual(
            (step.email_state, step.email_info), ("failed", f"Bounced: {ADDRESS}")
        )
        self.assertEqual(
            (step.fallback_channel, step.fallback_state), ("sms", "planned")
        )
        self.assertFalse(self._sms())
        self.assertEqual(self.customer.followup_failure_count, 1)
        self.assertIn(f"Bounced: {ADDRESS}", self.customer.followup_failure_info)
        note = self.customer.message_ids[:1]
        self.assertIn("Fallback", note.body)
        self.assertIn(f"Bounced: {ADDRESS}", note.body)
        with freeze_time(TODAY + timedelta(days=1)):
            self._run()
            sms = self._step_sms(step)
            self.assertEqual(len(sms), 1)
            self.assertEqual(
                (sms.partner_id, sms.number, sms.state),
                (self.customer, "+966501234567", "outgoing"),
            )
            self.assertIn(self.company.name, sms.body)
            self.assertEqual((step.sms_state, step.fallback_state), ("sent", "done"))
            self.assertEqual(step.fallback_date, TODAY + timedelta(days=1))
            self._run()  # a second run the same day
            self.assertEqual(len(self._sms()), 1)
        with freeze_time(TODAY + timedelta(days=2)):
            self._run()
        self.assertEqual(len(self._sms()), 1)
        self.assertEqual(len(self._logs()), 1)

    def test_smtp_failure_falls_back_without_counting_on_the_customer(self):
        """Scenario: the outgoing mail server does not answer when Odoo's mail
        queue sends the reminder: the step's email failed with Odoo's reason and
        its SMS is planned, but the customer's contact details are not to blame:
        no failed delivery is counted on it."""
        with socket.socket() as sock:  # a port nobody listens on
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.env["ir.mail_server"].create(
            {
                "name": "Down",
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "smtp_encryption": "none",
                "sequence": 1,
            }
        )
        with freeze_time(TODAY):
            self._invoice(days_late=-3)
            self._run()
            with _smtp_allowed():
                self._send_mails()
        step = self._logs()
        self.assertEqual(step.email_state, "failed")
        self.assertEqual(
            step.email_info,
            "Not sent: Connection failed (outgoing mail server problem)",
        )
        self.assertEqual(
            (step.fallback_channel, step.fallback_state), ("sms", "planned")
        )
        self.assertEqual(self.customer.followup_failure_count, 0)

    def test_paid_meanwhile_gets_no_fallback(self):
        """Scenario: the reminder bounced, then the customer paid the invoice
        before the next run: the planned SMS is not sent and the step says
        why."""
        step = self._friendly_reminder_bounced()
        with freeze_time(TODAY + timedelta(days=1)):
            self._pay(step.move_ids)
            self._run()
        self.assertFalse(self._sms())
        self.assertEqual(step.fallback_state, "none")
        self.assertEqual(step.fallback_info, "Paid meanwhile: nothing sent.")

    def test_failed_fallback_does_not_fall_back_again(self):
        """Scenario: the reminder bounced, the fallback SMS goes out and Odoo IAP
        does not take it (unreachable from the tests: a server error): the step
        records the fallback as failed with no further fallback, and the next
        run sends no letter."""
        step = self._friendly_reminder_bounced()
        with freeze_time(TODAY + timedelta(days=1)):
            self._run()
            self._step_sms(step).send()
        self.assertEqual(step.sms_state, "failed")
        self.assertEqual(step.sms_info, "Not sent: Server Error")
        self.assertEqual(step.fallback_state, "failed")
        self.assertIn("no further fallback", step.fallback_info)
        with freeze_time(TODAY + timedelta(days=2)):
            self._run()
        self.assertFalse(step.letter_state)
        self.assertEqual(len(self._sms()), 1)
        # a server error is not the customer's number's fault
        self.assertEqual(self.customer.followup_failure_count, 1)

    def test_nothing_left_records_why(self):
        """Scenario: the customer has no mobile number and refuses letters: the
        bounced reminder has nowhere to fall back, the step says why, and the
        next run sends nothing."""
        self.customer.write({"mobile": False, "followup_use_letter": False})
        step = self._friendly_reminder_bounced()
        self.assertEqual(step.fallback_state, "none")
        self.assertIn("SMS: No mobile number.", step.fallback_info)
        self.assertIn("Letter: The customer does not want letters.", step.fallback_info)
        with freeze_time(TODAY + timedelta(days=1)):
            self._run()
        self.assertFalse(self._sms())
        self.assertFalse(step.letter_state)

    def test_worklist_shows_contact_details_failing(self):
        """Scenario: two reminders in a row bounce for one customer (without
        mobile nor letters, so nothing else reaches it), one bounce for
        another: the worklist's and the customers' filter "Contact details
        failing" show the first only, with the reasons on the customer. A new
        email address starts the count again."""
        self.customer.write({"mobile": False, "followup_use_letter": False})
        self.customer_b.write({"mobile": False, "followup_use_letter": False})
        self._friendly_reminder_bounced()
        self._friendly_reminder_bounced(self.customer_b)
        with freeze_time(TODAY + timedelta(days=6)):  # the first reminder
            self._run()
            step = self._logs()[:1]
            self.assertEqual(step.stage_id, self.stage_first)
            self._send_mails()
            self._bounce(step.mail_message_id)
        self.assertEqual(self.customer.followup_failure_count, 2)
        self.assertEqual(len(self.customer.followup_failure_info.splitlines()), 2)
        self.assertEqual(self.customer_b.followup_failure_count, 1)
        Worklist = self.env["invoice.followup.worklist"]
        failing = [("partner_id.followup_contact_failing", "=", True)]
        self.assertEqual(Worklist.search(failing).partner_id, self.customer)
        self.assertEqual(
            self.env["res.partner"].search([("followup_contact_failing", "=", True)]),
            self.customer,
        )
        self.customer.email = "payables@gulf-trading.example.com"
        self.assertEqual(self.customer.followup_failure_count, 0)
        self.assertFalse(Worklist.search(failing))


@tagged("post_install", "-at_install")
class TestDeliveryFallbackLetter(FallbackHelpers, FollowupHttpCommon):
    """Fallbacks to a letter (wkhtmltopdf needs the HTTP server that HttpCase
    shares with the test transaction)."""

    def test_failed_sms_falls_back_to_letter(self):
        """Scenario: the customer takes no emails; the first reminder's SMS goes
        out and Odoo IAP does not take it: the step's SMS failed, a letter is
        planned (email refused, SMS used), and the next run queues the letter
        to print, once."""
        self.customer.followup_use_email = False
        with freeze_time(TODAY):
            self._invoice(days_late=5)
            self._run()
            step = self._logs()
            self.assertEqual((step.email_state, step.sms_state), ("skipped", "sent"))
            self.assertFalse(step.letter_state)
            self._sms().send()
        self.assertEqual(step.sms_state, "failed")
        self.assertEqual(
            (step.fallback_channel, step.fallback_state), ("letter", "planned")
        )
        with freeze_time(TODAY + timedelta(days=1)):
            self._run()
        self.assertEqual((step.letter_state, step.fallback_state), ("to_print", "done"))
        self.assertTrue(step.letter_attachment_id.raw.startswith(b"%PDF"))
        attachment = step.letter_attachment_id
        with freeze_time(TODAY + timedelta(days=2)):
            self._run()
        self.assertEqual(step.letter_attachment_id, attachment)

    def test_sms_opt_out_falls_back_to_letter(self):
        """Scenario: the customer opted out of SMS; its reminder bounces: the
        fallback skips the SMS and the next run queues a letter."""
        self.customer.followup_use_sms = False
        with freeze_time(TODAY):
            self._invoice(days_late=-3)
            self._run()
            step = self._logs()
            self._send_mails()
            self._bounce(step.mail_message_id)
        self.assertEqual(
            (step.fallback_channel, step.fallback_state), ("letter", "planned")
        )
        with freeze_time(TODAY + timedelta(days=1)):
            self._run()
        self.assertFalse(self._sms())
        self.assertEqual((step.letter_state, step.fallback_state), ("to_print", "done"))
