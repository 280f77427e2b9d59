# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What the daily run does with the accountant's settings: stage filters, the
company's automatic switch, customers' channel preferences, activity users,
the follow-up contact, exclusion and pauses, "Send now" rights, rendering by a
user who is not a template editor, and mails in French and Spanish. Through
the real cron, actions and fields only."""

from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import TODAY, FollowupCommon


class FollowupPolicyCommon(FollowupCommon):
    def _cron(self):
        """The daily run as the scheduler starts it (the cron record's action)."""
        self.env.ref(
            "invoice_followup.ir_cron_invoice_followup"
        ).method_direct_trigger()

    def _mails(self, partner=None):
        return self.env["mail.mail"].search(
            [("recipient_ids", "in", (partner or self.customer).ids)]
        )

    def _sms(self, partner=None):
        return self.env["sms.sms"].search(
            [("partner_id", "=", (partner or self.customer).id)]
        )

    def _user(self, login, groups="account.group_account_invoice", **kwargs):
        return new_test_user(
            self.env,
            login,
            groups=groups,
            company_id=self.company.id,
            company_ids=self.company.ids,
            email=f"{login}@company.example.com",
            **kwargs,
        )


@tagged("post_install", "-at_install")
class TestFollowupStageFilters(FollowupPolicyCommon):
    def test_minimum_amount_skips_the_stage_for_small_invoices(self):
        """Scenario: the first reminder needs at least 500 due. Two customers are
        5 days late, one with 300, one with 800: the run sends the first
        reminder to the second and, to the first, the last stage that applies
        (the courtesy reminder); the small invoice's next stage is the second
        reminder. Raised to 300 it gets the first reminder again."""
        self.stage_first.min_amount = 500.0
        with freeze_time(TODAY):
            small = self._invoice(days_late=5, amount=300.0)
            large = self._invoice(partner=self.customer_b, days_late=5, amount=800.0)
            # the stage the run sends today (the small invoice falls back to the
            # courtesy reminder: the first one does not apply to it)
            self.assertEqual(large.followup_next_stage_id, self.stage_first)
            self.assertEqual(small.followup_next_stage_id, self.stage_friendly)
            self._cron()
            self.assertEqual(self._logs(self.customer_b).stage_id, self.stage_first)
            self.assertEqual(large.followup_stage_id, self.stage_first)
            self.assertEqual(self._logs().stage_id, self.stage_friendly)
            self.assertEqual(small.followup_stage_id, self.stage_friendly)
            self.assertEqual(small.followup_next_stage_id, self.stage_second)
            self.assertEqual(large.followup_next_stage_id, self.stage_second)
            self.stage_first.min_amount = 300.0
            self.assertEqual(small.followup_next_stage_id, self.stage_first)

    def test_risk_levels_restrict_a_stage(self):
        """Scenario: the second reminder applies to high-risk customers only.
        Two customers are 20 days late, one of high risk, one of low risk: the
        high-risk one gets the second reminder, the low-risk one the first
        reminder and no second one planned; once rated high risk, its invoice
        is planned for the second reminder."""
        self.stage_second.risk_level_ids = self.env.ref(
            "invoice_followup.risk_level_high"
        )
        self.customer.payment_risk_level = "high"
        self.customer_b.payment_risk_level = "low"
        with freeze_time(TODAY):
            risky = self._invoice(days_late=20)
            safe = self._invoice(partner=self.customer_b, days_late=20)
            self._cron()
            self.assertEqual(self._logs().stage_id, self.stage_second)
            self.assertEqual(self._logs(self.customer_b).stage_id, self.stage_first)
            self.assertEqual(risky.followup_next_stage_id, self.stage_final)
            self.assertEqual(safe.followup_next_stage_id, self.stage_final)
            self.customer_b.payment_risk_level = "high"
            self.assertEqual(safe.followup_next_stage_id, self.stage_second)


@tagged("post_install", "-at_install")
class TestFollowupCompanySwitch(FollowupPolicyCommon):
    def test_automatic_follow_up_off_waits_in_the_worklist(self):
        """Scenario: the company turns automatic follow-up off; a second company
        keeps it on. Both have a customer 5 days late. The daily run reminds the
        second company's customer only; the first one waits in the worklist
        with its next stage, and the accountant's "Send now" sends it."""
        other = self.setup_other_company(name="Automatic Co")["company"]
        other.followup_weekday_ids = self.company.followup_weekday_ids
        self.company.followup_auto = False
        with freeze_time(TODAY):
            move = self._invoice(days_late=5)
            self._invoice(partner=self.customer_b, days_late=5, company=other)
            self._cron()
            self.assertFalse(self._logs())
            self.assertFalse(self._mails())
            self.assertFalse(move.followup_stage_id)
            self.assertEqual(self._logs(self.customer_b).company_id, other)
            self.assertEqual(len(self._mails(self.customer_b)), 1)
            row = self.env["invoice.followup.worklist"].search(
                [
                    ("partner_id", "=", self.customer.id),
                    ("company_id", "=", self.company.id),
                ]
            )
            # what a run would send today: the first reminder, due 3 days after the due
            # date
            self.assertEqual(row.next_stage_id, self.stage_first)
            self.assertEqual(row.next_date, move.followup_date_due + timedelta(days=3))
            row.action_send_now()
            log = self._logs()
            self.assertEqual((log.stage_id, log.run_by), (self.stage_first, "user"))
            self.assertEqual(len(self._mails()), 1)
            self.assertEqual(move.followup_stage_id, self.stage_first)


@tagged("post_install", "-at_install")
class TestFollowupActivities(FollowupPolicyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env,
            "fu_resp",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=cls.company.ids,
        )
        for partner in cls.customer | cls.customer_b:
            partner.with_company(cls.company).followup_responsible_id = cls.accountant

    def test_no_call_for_a_customer_who_does_not_want_calls(self):
        """Scenario: two customers reach the second reminder (whose activity is a
        call); one of them does not want calls. Its step records the call as
        skipped with the reason and it gets no activity; the other customer's
        responsible gets the call activity; both still get their mail."""
        self.customer.followup_use_phone = False
        with freeze_time(TODAY):
            self._invoice(days_late=20)
            self._invoice(partner=self.customer_b, days_late=20)
            self._cron()
        log = self._logs()
        self.assertEqual(log.stage_id, self.stage_second)
        self.assertEqual(
            (log.activity_state, log.activity_info),
            ("skipped", "The customer does not want calls."),
        )
        self.assertFalse(self.customer.activity_ids)
        self.assertEqual(log.email_state, "sent")
        log_b = self._logs(self.customer_b)
        self.assertEqual(log_b.activity_state, "sent")
        activity = self.customer_b.activity_ids
        self.assertEqual(activity.user_id, self.accountant)
        self.assertEqual(
            activity.activity_type_id, self.env.ref("mail.mail_activity_data_call")
        )

    def test_activity_for_a_specific_user(self):
        """Scenario: the second reminder's activity is set for a specific user (a
        collector), not the customer's responsible. The run gives the collector
        the activity on the customer; the responsible gets none."""
        collector = new_test_user(
            self.env,
            "fu_collector",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        self.stage_second.write(
            {"activity_user_mode": "specific", "activity_user_id": collector.id}
        )
        with freeze_time(TODAY):
            self._invoice(days_late=20)
            self._cron()
        log = self._logs()
        self.assertEqual(
            (log.activity_state, log.activity_info), ("sent", collector.name)
        )
        activity = self.customer.activity_ids
        self.assertEqual(activity.user_id, collector)
        self.assertEqual(
            activity.summary, "Call the customer about the overdue invoices"
        )
        self.assertFalse(
            self.customer.activity_ids.filtered(lambda a: a.user_id == self.accountant)
        )


@tagged("post_install", "-at_install")
class TestFollowupContact(FollowupPolicyCommon):
    def test_follow_up_contact_then_invoice_address(self):
        """Scenario: the customer has an invoice-address contact and names a
        dedicated follow-up contact. The first reminder (mail and SMS) goes to
        the follow-up contact, greeted by name. The follow-up contact is then
        removed: the second reminder goes to the invoice-address contact."""
        invoice_contact = self.env["res.partner"].create(
            {
                "name": "Accounts Payable",
                "type": "invoice",
                "parent_id": self.customer.id,
                "email": "invoices@gulf-trading.example.com",
            }
        )
        credit_desk = self.env["res.partner"].create(
            {
                "name": "Credit Control Desk",
                "parent_id": self.customer.id,
                "email": "credit@gulf-trading.example.com",
                "mobile": "+966 50 765 4321",
            }
        )
        self.customer.followup_partner_id = credit_desk
        with freeze_time(TODAY):
            self._invoice(days_late=5)
            self._cron()
        log = self._logs()
        self.assertEqual(log.recipient_id, credit_desk)
        mail = self._mails(credit_desk)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, credit_desk)
        self.assertIn("Dear Credit Control Desk,", mail.body_html)
        self.assertFalse(self._mails(invoice_contact) | self._mails(self.customer))
        sms = self.env["sms.sms"].search([("partner_id", "=", credit_desk.id)])
        self.assertEqual(sms.number, "+966507654321")
        self.customer.followup_partner_id = False
        with freeze_time(TODAY + timedelta(days=10)):
            self._cron()
        second = self._logs().filtered(lambda step: step.stage_id == self.stage_second)
        self.assertEqual(second.recipient_id, invoice_contact)
        self.assertEqual(self._mails(invoice_contact).recipient_ids, invoice_contact)
        self.assertEqual(len(self._mails(credit_desk)), 1)


@tagged("post_install", "-at_install")
class TestFollowupExcludeResume(FollowupPolicyCommon):
    def test_exclude_then_include_a_customer(self):
        """Scenario: the accountant excludes a customer with an invoice 5 days
        late from the worklist: its invoice is paused and the run sends it
        nothing. Included again from its form: the invoice is planned and the
        next run sends the first reminder."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=5)
            row = self.env["invoice.followup.worklist"].search(
                [("partner_id", "=", self.customer.id)]
            )
            row.action_exclude()
            self.assertTrue(self.customer.followup_excluded)
            self.assertEqual(move.followup_state, "paused")
            self._cron()
            self.assertFalse(self._logs())
            self.assertFalse(self._mails())
            self.customer.action_followup_include()
            self.assertEqual(move.followup_state, "planned")
            self._cron()
            self.assertEqual(self._logs().stage_id, self.stage_first)
            self.assertEqual(len(self._mails()), 1)

    def test_pause_one_invoice_until_resumed(self):
        """Scenario: of two invoices 5 days late, the accountant pauses one with
        no end date. The run reminds the customer of the other one only; a week
        later the paused one is still left out. Resumed, it is in the next
        reminder."""
        with freeze_time(TODAY):
            paused = self._invoice(days_late=5)
            other = self._invoice(days_late=5)
            self.env["invoice.followup.pause.wizard"].with_context(
                active_model="account.move", active_ids=paused.ids
            ).create({"reason": "manual"}).action_apply()
            self.assertEqual(
                (paused.followup_state, paused.followup_pause_reason),
                ("paused", "manual"),
            )
            self._cron()
            self.assertEqual(self._logs().move_ids, other)
            self.assertFalse(paused.followup_stage_id)
        with freeze_time(TODAY + timedelta(days=7)):
            self._cron()
            self.assertEqual(len(self._logs()), 1)
            self.assertEqual(paused.followup_state, "paused")
            paused.action_followup_resume()
            self.assertFalse(paused.followup_pause_reason)
            self.assertEqual(paused.followup_state, "planned")
            self._cron()
        latest = self._logs().sorted("id")[-1]
        self.assertEqual(latest.stage_id, self.stage_first)
        self.assertIn(paused, latest.move_ids)
        self.assertEqual(paused.followup_stage_id, self.stage_first)
        self.assertEqual(
            other.followup_stage_id, self.stage_first
        )  # listed, not advanced


@tagged("post_install", "-at_install")
class TestFollowupSendNowAccess(FollowupPolicyCommon):
    def test_send_now_needs_an_accountant(self):
        """Scenario: an internal user without accounting rights and an auditor
        (read-only accounting) press "Send now" on a customer 5 days late, from
        the customer and from the invoice: refused, nothing sent. A billing
        accountant presses it: the first reminder goes out, run by a user."""
        with freeze_time(TODAY):
            move = self._invoice(days_late=5)
            for login, groups in (
                ("fu_internal", "base.group_user"),
                ("fu_auditor", "account.group_account_readonly"),
            ):
                user = self._user(login, groups=groups)
                with self.subTest(user=login):
                    with self.assertRaises(AccessError):
                        self.customer.with_user(user).action_followup_send_now()
                    with self.assertRaises(AccessError):
                        move.with_user(user).action_followup_send_now()
            self.assertFalse(self._logs())
            self.assertFalse(self._mails())
            accountant = self._user("fu_sender")
            action = self.customer.with_user(accountant).action_followup_send_now()
        log = self._logs()
        self.assertEqual(action["res_id"], log.id)
        self.assertEqual(
            (log.state, log.stage_id, log.run_by), ("done", self.stage_first, "user")
        )
        self.assertEqual(log.email_state, "sent")
        self.assertEqual(len(self._mails()), 1)
        self.assertEqual(move.followup_stage_id, self.stage_first)


@tagged("post_install", "-at_install")
class TestFollowupTemplateNonEditor(FollowupPolicyCommon):
    def test_send_now_renders_for_a_user_who_is_not_a_template_editor(self):
        """Scenario: a billing accountant who is not a mail template editor (Odoo
        refuses it a template with code in a placeholder) previews, then sends
        now, the first reminder of two customers at once (one batch). Both mails
        are fully rendered: subject with the company, greeting, invoices."""
        accountant = self._user("fu_not_editor")
        self.assertFalse(accountant.has_group("mail.group_mail_template_editor"))
        template = self.stage_first.mail_template_id
        with self.assertRaises(AccessError):
            template.with_user(accountant).write(
                {"subject": "{{ object.partner_id.comment.strip() }}"}
            )
        with freeze_time(TODAY):
            move = self._invoice(days_late=5)
            move_b = self._invoice(partner=self.customer_b, days_late=5)
            preview = (
                self.env["invoice.followup.preview.wizard"]
                .with_user(accountant)
                .with_context(default_partner_id=self.customer.id)
                .create({})
            )
            self.assertIn(move.name, preview.body_html)
            self.assertIn("Dear Gulf Trading Co.,", preview.body_html)
            (move | move_b).with_user(accountant).action_followup_send_now()
        for partner, invoice in ((self.customer, move), (self.customer_b, move_b)):
            log = self._logs(partner)
            self.assertEqual((log.state, log.email_state), ("done", "sent"), log.error)
            mail = self._mails(partner)
            self.assertEqual(mail.subject, f"{self.company.name}: payment reminder")
            self.assertIn(f"Dear {partner.name},", mail.body_html)
            self.assertIn(invoice.name, mail.body_html)
            self.assertIn("past their due date", mail.body_html)


@tagged("post_install", "-at_install")
class TestFollowupTranslatedMails(FollowupPolicyCommon):
    """The addon's French and Spanish translations (i18n/fr.po, es.po) in the
    mails the daily run sends."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for lang in ("fr_FR", "es_ES"):
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.module.module"]._load_module_terms(
            ["invoice_followup"], ["fr_FR", "es_ES"], overwrite=True
        )

    def _first_reminder_for(self, lang):
        self.customer.lang = lang
        with freeze_time(TODAY):
            move = self._invoice(days_late=5)
            self._cron()
        mail = self._mails()
        self.assertEqual(len(mail), 1)
        self.assertIn(move.name, mail.body_html)
        self.assertNotIn("According to our records", mail.body_html)
        self.assertNotIn("Pay now", mail.body_html)
        return mail

    def test_mail_in_french(self):
        """Scenario: a French-speaking customer (fr_FR) 5 days late gets the first
        reminder in French: subject, greeting, text and buttons."""
        mail = self._first_reminder_for("fr_FR")
        self.assertEqual(mail.subject, f"{self.company.name} : rappel de paiement")
        self.assertIn("Bonjour Gulf Trading Co.,", mail.body_html)
        self.assertIn(
            "Selon nos écritures, les factures ci-dessous ont dépassé leur date "
            "d'échéance.",
            mail.body_html.replace("&#39;", "'"),
        )
        self.assertIn("Payer maintenant", mail.body_html)

    def test_mail_in_spanish(self):
        """Scenario: a Spanish-speaking customer (es_ES) 5 days late gets the
        first reminder in Spanish: subject, greeting, text and buttons."""
        mail = self._first_reminder_for("es_ES")
        self.assertEqual(mail.subject, f"{self.company.name}: recordatorio de pago")
        self.assertIn("Estimado/a Gulf Trading Co.:", mail.body_html)
        self.assertIn(
            "Según nuestros registros, las facturas siguientes ya han superado "
            "su fecha de vencimiento.",
            mail.body_html,
        )
        self.assertIn("Pagar ahora", mail.body_html)
