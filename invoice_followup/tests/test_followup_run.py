# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import TODAY, FollowupCommon, FollowupHttpCommon


class RunHelpers:
    def _mails(self, partner=None):
        return self.env["mail.mail"].search(
            [("recipient_ids", "in", (partner or self.customer).ids)]
        )

    def _sms(self, partner=None):
        return self.env["sms.sms"].search(
            [("partner_id", "=", (partner or self.customer).id)]
        )


@tagged("post_install", "-at_install")
class TestFollowupRun(RunHelpers, FollowupCommon):
    """The daily run, for steps without a letter (no HTTP needed)."""

    def test_one_step_per_customer_combines_invoices(self):
        """Scenario: a customer has one invoice 20 days late (second reminder due)
        and one 4 days late (first reminder due). One step at the second
        reminder goes out, listing both, with one mail and one SMS; each
        invoice advances only to its own stage."""
        with freeze_time(TODAY):
            late = self._invoice(days_late=20, amount=1500.0)
            recent = self._invoice(days_late=4, amount=250.0)
            self._run()
            log = self._logs()
            self.assertEqual(len(log), 1)
            self.assertEqual(log.stage_id, self.stage_second)
            self.assertEqual(log.move_ids, late | recent)
            self.assertAlmostEqual(log.amount_due, 1750.0)
            self.assertEqual(late.followup_stage_id, self.stage_second)
            self.assertEqual(recent.followup_stage_id, self.stage_first)
            mail = self._mails()
            self.assertEqual(len(mail), 1)
            self.assertIn(late.name, mail.body_html)
            self.assertIn(recent.name, mail.body_html)
            sms = self._sms()
            self.assertEqual(len(sms), 1)
            self.assertEqual(sms.number, "+966501234567")
            self.assertEqual(sms.state, "outgoing")
            self.assertEqual(log.activity_state, "skipped")  # nobody responsible yet
            # the customer's chatter holds the mail's message, saying what the step
            # did; the invoices list the step in their Follow-up tab, and get no
            # chatter note unless the company asks for it
            message = log.mail_message_id
            self.assertEqual(
                (message.model, message.res_id), ("res.partner", self.customer.id)
            )
            self.assertIn(self.stage_second.name, message.body)
            self.assertIn("SMS: Sent", message.body)
            self.assertEqual(late.followup_log_ids, log)
            self.assertFalse(
                any(
                    self.stage_second.name in (b or "")
                    for b in late.message_ids.mapped("body")
                )
            )

    def test_reminder_goes_to_invoice_contact(self):
        """Scenario: the customer has an accounts-payable contact of type
        invoice: reminders go to that contact, not to the company address."""
        ap = self.env["res.partner"].create(
            {
                "name": "Accounts Payable",
                "type": "invoice",
                "parent_id": self.customer.id,
                "email": "invoices@gulf-trading.example.com",
            }
        )
        with freeze_time(TODAY):
            self._invoice(days_late=4)
            self._run()
        log = self._logs()
        self.assertEqual(log.recipient_id, ap)
        self.assertEqual(self._mails(ap).email_to or self._mails(ap).recipient_ids, ap)

    def test_preferences_are_respected(self):
        """Scenario: the customer opted out of SMS, another customer did not:
        in the same run the first reminder goes to the first by email only (the
        SMS recorded as skipped) and to the other by email and SMS."""
        self.customer.followup_use_sms = False
        self.customer_b.mobile = "+966 50 765 4321"
        with freeze_time(TODAY):
            self._invoice(days_late=5)
            self._invoice(partner=self.customer_b, days_late=5)
            self._run()
        log = self._logs()
        self.assertEqual((log.email_state, log.sms_state), ("sent", "skipped"))
        self.assertEqual(log.sms_info, "The customer opted out of SMS.")
        self.assertFalse(self._sms())
        self.assertFalse(log.letter_state)
        self.assertEqual(self._logs(self.customer_b).sms_state, "sent")
        self.assertEqual(len(self._sms(self.customer_b)), 1)

    def test_error_in_one_customer_does_not_stop_others(self):
        """Scenario: the first reminder's subject uses a field that breaks for
        one customer. That customer gets a failed log with the error and no
        mail; the other customer is reminded normally; the failed one is not
        retried by a second run the same day."""
        self.stage_first.mail_template_id.subject = (
            "{{ object.partner_id.comment.strip() }}"
        )
        self.customer_b.comment = "Fine"
        with freeze_time(TODAY):
            failing = self._invoice(days_late=5)
            self._invoice(partner=self.customer_b, days_late=5)
            self._run()
            failed = self._logs()
            self.assertEqual(failed.state, "failed")
            self.assertTrue(failed.error)
            self.assertFalse(self._mails())
            self.assertFalse(failing.followup_stage_id)
            self.assertEqual(self._logs(self.customer_b).state, "done")
            self.assertEqual(len(self._mails(self.customer_b)), 1)
            self._run()
            self.assertEqual(len(self._logs()), 1)

    def test_batch_isolates_the_failing_customer(self):
        """Scenario: six customers are due the first reminder in one batch; the
        template breaks for the fourth one only. The batch is redone in halves:
        that customer gets a failed log and keeps its stage, the five others get
        their mail, SMS and log exactly once."""
        self.stage_first.mail_template_id.subject = (
            "{{ object.partner_id.comment.strip() }}"
        )
        partners = self.env["res.partner"].create(
            [
                {
                    "name": f"Customer {index}",
                    "email": f"customer{index}@example.com",
                    "mobile": f"+966 50 123 456{index}",
                    "comment": False if index == 3 else "Dear customer",
                }
                for index in range(6)
            ]
        )
        with freeze_time(TODAY):
            moves = {
                partner: self._invoice(partner=partner, days_late=5)
                for partner in partners
            }
            self._run()
        logs = self.Log.search([("partner_id", "in", partners.ids)])
        self.assertEqual(len(logs), 6)
        failed = logs.filtered(lambda log: log.state == "failed")
        self.assertEqual(failed.partner_id, partners[3])
        self.assertIn("strip", failed.error)
        self.assertFalse(moves[partners[3]].followup_stage_id)
        for partner in partners - partners[3]:
            self.assertEqual(moves[partner].followup_stage_id, self.stage_first)
            self.assertEqual(len(self._mails(partner)), 1)
            self.assertEqual(len(self._sms(partner)), 1)
        self.assertFalse(self._mails(partners[3]) or self._sms(partners[3]))

    def test_blacklisted_number_is_skipped_with_its_reason(self):
        """Scenario: the customer's mobile number is on Odoo's SMS blacklist: the
        first reminder's SMS is cancelled and the step records it as skipped
        (the customer asked for no SMS: not a failure), with the reason; the
        mail goes out."""
        self.env["phone.blacklist"].sudo().add("+966501234567")
        with freeze_time(TODAY):
            self._invoice(days_late=5)
            self._run()
        log = self._logs()
        self.assertEqual(log.email_state, "sent")
        self.assertEqual(log.sms_state, "skipped")
        self.assertEqual(log.sms_info, "Blacklisted")
        self.assertEqual(self._sms().state, "canceled")

    def test_activities_for_the_responsible_without_a_mail_each(self):
        """Scenario: the customer has a follow-up responsible when the second
        reminder is due: the run gives the responsible a call activity on the
        customer, without an assignment mail (the activities are in their list
        every morning), and the step links the SMS it logged."""
        accountant = self.env["res.users"].create(
            {
                "name": "Omar Accountant",
                "login": "omar_acc",
                "email": "omar@company.example.com",
                "groups_id": [
                    Command.set(self.env.ref("account.group_account_invoice").ids)
                ],
            }
        )
        self.customer.with_company(self.company).followup_responsible_id = accountant
        with freeze_time(TODAY):
            self._invoice(days_late=20)
            self._run()
        log = self._logs()
        self.assertEqual(
            (log.activity_state, log.activity_info), ("sent", "Omar Accountant")
        )
        activity = self.customer.activity_ids
        self.assertEqual(activity.user_id, accountant)
        self.assertEqual(activity.date_deadline, TODAY)
        self.assertFalse(self._mails(accountant.partner_id))
        self.assertEqual(
            len(self._mails()), 1
        )  # the same search finds the customer's reminder
        self.assertEqual(log.sms_message_id.message_type, "sms")
        self.assertEqual(log.sms_message_id.res_id, log.id)

    def test_foreign_currency_invoice(self):
        """Scenario: a customer is invoiced in EUR while the company keeps its
        books in another currency: the mail shows the EUR amount, the log the
        company-currency equivalent."""
        eur = self.env.ref("base.EUR")
        eur.active = True
        currency = eur if self.company.currency_id != eur else self.env.ref("base.USD")
        self.env["res.currency.rate"].create(
            {
                "name": TODAY - timedelta(days=60),
                "rate": 0.5,
                "currency_id": currency.id,
                "company_id": self.company.id,
            }
        )
        with freeze_time(TODAY):
            move = self._invoice(days_late=5, amount=800.0, currency=currency)
            self._run()
        log = self._logs()
        self.assertAlmostEqual(log.amount_due, move.amount_residual_signed)
        self.assertAlmostEqual(log.amount_due, 1600.0)
        self.assertIn(currency.symbol, self._mails().body_html)
        self.assertEqual(log._get_followup_totals(), [(currency, 800.0)])

    def test_credit_covering_debt_means_no_reminder(self):
        """Scenario: the customer has an unapplied credit note larger than its
        overdue invoice: no mail is sent; the step is recorded as skipped."""
        with freeze_time(TODAY):
            self._invoice(days_late=5, amount=300.0)
            self._invoice(
                amount=500.0,
                move_type="out_refund",
                invoice_date=TODAY - timedelta(days=3),
            )
            self._run()
        log = self._logs()
        self.assertEqual(log.state, "skipped")
        self.assertAlmostEqual(log.amount_credit, 500.0)
        self.assertFalse(self._mails())

    def test_sending_days_and_weekly_limit(self):
        """Scenario: the company sends Sunday to Thursday only: on a Friday
        nothing goes out, on Sunday it does. With a limit of one reminder a
        week, a second due step waits until seven days have passed."""
        days = self.env["invoice.followup.weekday"].search(
            [("weekday", "in", (6, 0, 1, 2, 3))]
        )
        self.company.write(
            {
                "followup_weekday_ids": [Command.set(days.ids)],
                "followup_max_per_week": 1,
            }
        )
        friday = TODAY + timedelta(days=2)
        with freeze_time(friday):
            move = self._invoice(days_late=13)
            self._run()
            self.assertFalse(self._logs())
        with freeze_time(
            friday + timedelta(days=2)
        ):  # Sunday, 15 days late: second reminder
            self._run()
            self.assertEqual(self._logs().stage_id, self.stage_second)
            self._invoice(days_late=5)  # another invoice, first reminder due at once
            self._run()
            self.assertEqual(len(self._logs()), 1)
        with freeze_time(friday + timedelta(days=9)):
            self._run()
            self.assertEqual(len(self._logs()), 2)
        self.assertEqual(move.followup_stage_id, self.stage_second)

    def test_cron_call_reads_only_its_batch_again(self):
        """Scenario: inside the real cron, batches of one customer, three due
        customers. The first call reports two remaining (it reads again only
        its own batch). Then one of the other two pays: the second call finds
        just the last one, sends its step and reports the day done; the paid
        customer gets no step."""
        cron = self.env.ref("invoice_followup.ir_cron_invoice_followup")
        third = self.customer_b.copy({"name": "Third Trading"})
        customers = self.customer | self.customer_b | third
        with freeze_time(TODAY):
            moves = {
                partner: self._invoice(partner=partner, days_late=5)
                for partner in customers
            }
            progress = self.env["ir.cron.progress"].create(
                {"cron_id": cron.id, "remaining": 0, "done": 0}
            )
            Move = self.env["account.move"].with_context(
                ir_cron_progress_id=progress.id
            )
            Move._cron_invoice_followup(batch_size=1)
            self.assertEqual((progress.done, progress.remaining), (1, 2))
            first = self.Log.search([("partner_id", "in", customers.ids)])
            self.assertEqual(len(first), 1)
            paying = (customers - first.partner_id)[-1]
            self._pay(moves[paying])
            Move._cron_invoice_followup(batch_size=1)
            self.assertEqual((progress.done, progress.remaining), (1, 0))
        steps = self.Log.search([("partner_id", "in", customers.ids)])
        self.assertEqual(len(steps), 2)
        self.assertNotIn(paying, steps.partner_id)

    def test_cron_processes_one_batch_per_call(self):
        """Scenario: inside the real cron, with a batch of one customer, each call
        handles one customer and reports the rest as remaining; the framework's
        next call finishes the work."""
        cron = self.env.ref("invoice_followup.ir_cron_invoice_followup")
        with freeze_time(TODAY):
            self._invoice(days_late=5)
            self._invoice(partner=self.customer_b, days_late=5)
            progress = self.env["ir.cron.progress"].create(
                {"cron_id": cron.id, "remaining": 0, "done": 0}
            )
            Move = self.env["account.move"].with_context(
                ir_cron_progress_id=progress.id
            )
            Move._cron_invoice_followup(batch_size=1)
            self.assertEqual((progress.done, progress.remaining), (1, 1))
            self.assertEqual(
                len(
                    self.Log.search(
                        [("partner_id", "in", (self.customer | self.customer_b).ids)]
                    )
                ),
                1,
            )
            Move._cron_invoice_followup(batch_size=1)
            self.assertEqual((progress.done, progress.remaining), (1, 0))
            Move._cron_invoice_followup(batch_size=1)
            self.assertEqual((progress.done, progress.remaining), (0, 0))
        self.assertEqual(
            len(
                self.Log.search(
                    [("partner_id", "in", (self.customer | self.customer_b).ids)]
                )
            ),
            2,
        )

    def test_preview_renders_without_sending(self):
        """Scenario: the accountant previews the next reminder of an Arabic-speaking
        customer: subject, mail and SMS are rendered; nothing is created or queued."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=5)
            wizard = (
                self.env["invoice.followup.preview.wizard"]
                .with_context(default_partner_id=self.customer.id)
                .create({})
            )
            self.assertEqual(wizard.stage_id, self.stage_first)
            self.assertIn(move.name, wizard.body_html)
            self.assertIn(self.company.name, wizard.sms_body)
            self.assertIn("1 SMS (GSM-7)", wizard.sms_segment_info)
            self.assertFalse(self._logs())
            self.assertFalse(self._mails())
            self.assertFalse(self._sms())
            # the same searches find what the run then sends
            self._run()
            self.assertEqual(self._logs().stage_id, self.stage_first)
            self.assertEqual(len(self._mails()), 1)
            self.assertEqual(len(self._sms()), 1)

    def test_worklist_actions_skip_and_log_call(self):
        """Scenario: from the worklist, the accountant skips the due stage of a
        customer (no message sent), then logs a call where the customer promises
        to pay next week: follow-up is paused until then."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=5)
            row = self.env["invoice.followup.worklist"].search(
                [("partner_id", "=", self.customer.id)]
            )
            self.assertEqual(row.days_late, 5)
            self.assertAlmostEqual(row.amount_overdue, 1000.0)
            # the due stage is the one the run would send today: the first reminder
            self.assertEqual(row.next_stage_id, self.stage_first)
            row.action_skip_stage()
            self.assertEqual(move.followup_stage_id, self.stage_first)
            self.assertEqual(move.followup_next_stage_id, self.stage_second)
            self._run()
            self.assertFalse(self._logs())
            call = self.env["invoice.followup.call.wizard"].create(
                {
                    "partner_ids": [Command.set(self.customer.ids)],
                    "outcome": "promise",
                    "promise_date": TODAY + timedelta(days=7),
                    "reason_id": self._reason("cash_flow").id,
                }
            )
            call.action_apply()
            self.assertEqual(move.followup_pause_reason, "promise")
            self.assertEqual(move.followup_paused_until, TODAY + timedelta(days=7))


@tagged("post_install", "-at_install")
class TestFollowupRunLetters(RunHelpers, FollowupHttpCommon):
    """The daily run where a letter is rendered: wkhtmltopdf fetches its assets
    from the HTTP server, which only HttpCase shares with the test transaction."""

    def test_catch_up_sends_most_advanced_stage_once(self):
        """Scenario: the addon is installed on a database with an invoice 40 days
        overdue that was never followed up. The first run sends only the
        final notice (not the five stages it missed), once; a second run the
        same day and the next day send nothing."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=40)
            self._run()
            log = self._logs()
            self.assertEqual(len(log), 1)
            self.assertEqual(log.stage_id, self.stage_final)
            self.assertEqual(move.followup_stage_id, self.stage_final)
            self.assertEqual(move.followup_last_date, TODAY)
            self.assertEqual(log.email_state, "sent")
            self.assertEqual(len(self._mails()), 1)
            self.assertEqual(self._mails().state, "outgoing")
            self.assertEqual(log.letter_state, "to_print")
            self.assertTrue(log.letter_attachment_id.raw.startswith(b"%PDF"))
            self._run()
            self.assertEqual(len(self._logs()), 1)
        with freeze_time(TODAY + timedelta(days=1)):
            self._run()
            self.assertEqual(len(self._logs()), 1)
            self.assertEqual(len(self._mails()), 1)

    def test_notes_on_invoices_when_the_company_wants_them(self):
        """Scenario: the company asks for a note on every invoice of a reminder.
        A customer with two overdue invoices gets the first reminder: each
        invoice's chatter says which step went out and through which channels.
        A customer without email gets its note in the customer's chatter."""
        self.company.followup_invoice_notes = True
        self.customer_b.email = False
        with freeze_time(TODAY):
            first = self._invoice(days_late=5)
            second = self._invoice(days_late=6)
            other = self._invoice(partner=self.customer_b, days_late=5)
            self._run()
        for move in first | second:
            note = move.message_ids.filtered(
                lambda m: self.stage_first.name in (m.body or "")
            )
            self.assertEqual(len(note), 1)
            self.assertIn("Email: Sent", note.body)
            self.assertIn("SMS: Sent", note.body)
        log_b = self._logs(self.customer_b)
        self.assertEqual(log_b.email_state, "skipped")
        trace = self.customer_b.message_ids.filtered(
            lambda m: f'data-oe-id="{log_b.id}"' in (m.body or "")
        )
        self.assertEqual(len(trace), 1)
        self.assertIn("No email address.", trace.body)
        self.assertTrue(
            other.message_ids.filtered(
                lambda m: self.stage_first.name in (m.body or "")
            )
        )

    def test_no_usable_channel_falls_back_to_letter(self):
        """Scenario: a customer without email and with a wrong mobile number
        reaches the first reminder: email and SMS are skipped with their
        reasons and a letter is prepared instead."""
        self.customer.write({"email": False, "mobile": "12", "phone": False})
        with freeze_time(TODAY):
            self._invoice(days_late=5)
            self._run()
        log = self._logs()
        self.assertEqual(log.email_state, "skipped")
        self.assertEqual(log.email_info, "No email address.")
        self.assertEqual(log.sms_state, "skipped")
        self.assertIn("Invalid phone number", log.sms_info)
        self.assertEqual(log.letter_state, "to_print")
        self.assertTrue(log.letter_attachment_id.raw.startswith(b"%PDF"))
        self.assertFalse(self._sms())

    def test_manual_stage_waits_in_worklist(self):
        """Scenario: an invoice 70 days late. The run sends the final notice but
        never the manual escalation; the next day the escalation waits in the
        worklist. The accountant sends it: the customer goes to the escalation
        user, who gets an activity."""
        lawyer = self.env["res.users"].create(
            {
                "name": "Layla Legal",
                "login": "layla_legal",
                "email": "legal@company.example.com",
                "groups_id": [
                    Command.set(self.env.ref("account.group_account_invoice").ids)
                ],
            }
        )
        self.company.followup_escalation_user_id = lawyer
        with freeze_time(TODAY):
            move = self._invoice(days_late=70)
            self._run()
            self.assertEqual(self._logs().stage_id, self.stage_final)
        with freeze_time(TODAY + timedelta(days=1)):
            self._run()
            self.assertEqual(len(self._logs()), 1)
            self.assertEqual(move.followup_state, "action_needed")
            row = self.env["invoice.followup.worklist"].search(
                [("partner_id", "=", self.customer.id)]
            )
            self.assertEqual(row.state, "action_needed")
            self.assertEqual(row.next_stage_id, self.stage_escalation)
            row.action_send_now()
            log = self._logs()[:1]
            self.assertEqual(log.stage_id, self.stage_escalation)
            self.assertEqual(log.run_by, "user")
            self.assertEqual(
                self.customer.with_company(self.company).followup_responsible_id, lawyer
            )
            activity = self.customer.activity_ids.filtered(
                lambda a: a.user_id == lawyer
            )
            self.assertEqual(len(activity), 1)
            self.assertEqual(move.followup_state, "done")
