# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import re
import shutil
import subprocess
import tempfile
import unicodedata
from datetime import timedelta

from freezegun import freeze_time
from markupsafe import escape

from odoo import Command
from odoo.tests import HttpCase, tagged
from odoo.tools.misc import get_lang

from ..tools.formatting import formatters
from .common import TODAY, FollowupCommon, make_step, send_email


def pdf_text(pdf):
    """Text of a PDF through pdftotext (poppler-utils), Arabic presentation
    forms folded back to plain letters; None when pdftotext is missing."""
    if not shutil.which("pdftotext"):
        return None
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        text = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", handle.name, "-"],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode()
    return unicodedata.normalize("NFKC", text)


def pdf_word_boxes(pdf):
    """[(page width, word, xMin, xMax)] of a PDF through pdftotext -bbox."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        out = subprocess.run(
            ["pdftotext", "-bbox", "-enc", "UTF-8", handle.name, "-"],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode()
    boxes = []
    width = 0.0
    for line in out.splitlines():
        page = re.search(r'<page width="([\d.]+)"', line)
        if page:
            width = float(page.group(1))
        word = re.search(
            r'<word xMin="([-\d.]+)" yMin="[-\d.]+" '
            r'xMax="([-\d.]+)" yMax="[-\d.]+">(.*)</word>',
            line,
        )
        if word:
            boxes.append(
                (width, word.group(3), float(word.group(1)), float(word.group(2)))
            )
    return boxes


@tagged("post_install", "-at_install")
class TestCommunications(FollowupCommon, HttpCase):
    """Mails, SMS and PDF letters as customers receive them, in English and Arabic."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ar_001")
        cls.env["ir.module.module"]._load_module_terms(
            ["invoice_followup"], ["ar_001"], overwrite=True
        )
        cls.customer_b.lang = "en_US"
        cls.customer.lang = "ar_001"
        cls.customer.name = "شركة الخليج للتجارة"
        cls.responsible = cls.env["res.users"].create(
            {
                "name": "Layla Haddad",
                "login": "layla.followup",
                "phone": "+966 11 555 0101",
                "groups_id": [
                    Command.set([cls.env.ref("account.group_account_invoice").id])
                ],
            }
        )
        cls.company.followup_responsible_id = cls.responsible
        cls.env["res.partner.bank"].create(
            {
                "acc_number": "SA0380000000608010167519",
                "partner_id": cls.company.partner_id.id,
            }
        )
        with freeze_time(TODAY):
            cls.en_late = cls._invoice(cls.customer_b, amount=1500.0, days_late=20)
            cls.en_recent = cls._invoice(cls.customer_b, amount=250.0, days_late=4)
            cls.ar_late = cls._invoice(cls.customer, amount=4200.0, days_late=40)

    def _log(self, partner, stage, moves):
        # rendering fixtures, several per customer and day: not the customer's step of
        # the day
        return make_step(self.env, partner, self.company, stage, moves)

    def _render(self, log, template=None):
        template = template or log.stage_id.mail_template_id
        return template._generate_template(log.ids, ("subject", "body_html"))[log.id]

    # ------------------------------------------------------------------
    # Mails
    # ------------------------------------------------------------------
    def test_every_mail_template_in_english(self):
        """Scenario: an English customer with two overdue invoices gets each stage's
        mail in turn. Every mail names the customer, lists both invoices with their
        amount due and the total, links to each invoice's portal page (Pay now), to
        the statement and to the answer routes, names the responsible with phone,
        reads left to right, and says what its stage is about."""
        expected = {
            self.stage_receipt: "reached the right person",
            self.stage_friendly: "falls due in a few days",
            self.stage_first: "past their due date",
            self.stage_second: "within the next seven days",
            self.stage_final: "This is our final notice",
            self.stage_escalation: (
                "collection department, who will contact you shortly"
            ),
        }
        with freeze_time(TODAY):
            for stage, text in expected.items():
                log = self._log(self.customer_b, stage, self.en_late | self.en_recent)
                rendered = self._render(log)
                body = str(rendered["body_html"])
                with self.subTest(stage=stage.name):
                    self.assertIn(self.company.name, rendered["subject"])
                    self.assertIn(text, body)
                    self.assertIn("Dear Northwind Ltd,", body)
                    self.assertIn('dir="ltr"', body)
                    self.assertIn("text-align: left", body)
                    for move in self.en_late | self.en_recent:
                        self.assertIn(move.name, body)
                        self.assertIn(str(escape(move.get_portal_url())), body)
                        self.assertIn(
                            str(
                                escape(
                                    log._get_followup_invoice_action_url(
                                        move, "question"
                                    )
                                )
                            ),
                            body,
                        )
                    self.assertIn("1,500.00", body)
                    self.assertIn("1,750.00", body)  # total due
                    self.assertIn("Days late: 20", body)
                    self.assertIn(str(escape(log._get_followup_statement_url())), body)
                    self.assertIn("Layla Haddad", body)
                    self.assertIn("+966 11 555 0101", body)
                    self.assertIn("SA0380000000608010167519", body)
                    # overdue invoices: pay and answer, never "did you receive it?"
                    self.assertIn("I already paid", body)
                    self.assertIn("I need more time", body)
                    self.assertIn(
                        str(
                            escape(
                                log._get_followup_invoice_action_url(
                                    self.en_late, "promise"
                                )
                            )
                        ),
                        body,
                    )
                    self.assertNotIn("Yes, I received it", body)

    def test_receipt_check_asks_to_confirm_the_new_invoice_only(self):
        """Scenario: two days after an invoice was issued, the receipt check goes out
        to a customer who also has an overdue invoice. The new invoice gets the
        "Yes, I received it" link (route 'confirm'); the overdue one gets "Pay now"
        and no confirmation link."""
        with freeze_time(TODAY):
            new = self._invoice(
                self.customer_b, amount=99.0, invoice_date=TODAY, term=self.term_30
            )
            log = self._log(self.customer_b, self.stage_receipt, new)
            self.assertIn(self.en_late, log.move_ids)
            body = str(self._render(log)["body_html"])
            self.assertIn(
                str(escape(log._get_followup_invoice_action_url(new, "confirm"))), body
            )
            self.assertNotIn(
                str(
                    escape(
                        log._get_followup_invoice_action_url(self.en_late, "confirm")
                    )
                ),
                body,
            )
            self.assertIn("Pay now", body)

    def test_stage_extra_content_is_shown(self):
        """Scenario: the accountant adds an offer to the first reminder; the mail
        shows it, the other stages' mails do not."""
        self.stage_first.extra_content = (
            "<p>Pay this week and get 2% off your next order.</p>"
        )
        with freeze_time(TODAY):
            first = self._render(
                self._log(self.customer_b, self.stage_first, self.en_late)
            )
            second = self._render(
                self._log(self.customer_b, self.stage_second, self.en_late)
            )
        self.assertIn("get 2% off", str(first["body_html"]))
        self.assertNotIn("get 2% off", str(second["body_html"]))

    def test_mail_in_arabic_right_to_left(self):
        """Scenario: the Arabic-speaking customer (lang ar_001) receives the second
        reminder: subject and text are in Arabic, the mail is right to left with
        right-aligned text (Outlook ignores start/end), the invoice and amount
        are listed."""
        with freeze_time(TODAY):
            log = self._log(self.customer, self.stage_second, self.ar_late)
            rendered = self._render(log)
        body = str(rendered["body_html"])
        self.assertIn("تذكير ثانٍ بالسداد", rendered["subject"])
        self.assertIn('dir="rtl"', body)
        # the text starts on the right, amounts end on the left (computed, not
        # start/end)
        self.assertIn('text-align: right;">الفاتورة</td>', body)
        self.assertIn('text-align: left;">المبلغ المستحق</td>', body)
        self.assertNotIn("text-align: start", body)
        self.assertIn("السادة شركة الخليج للتجارة المحترمين،", body)
        self.assertIn("ادفع الآن", body)
        self.assertIn("لديّ استفسار عن هذه الفاتورة", body)
        self.assertIn("أيام التأخير", body)
        self.assertIn(self.ar_late.name, body)
        self.assertIn("4,200.00", body)
        self.assertNotIn("Pay now", body)

    def test_batch_rendering_matches_one_by_one(self):
        """Scenario: the daily run renders one stage's mail for an Arabic and an
        English customer together (the template compiled once for the batch).
        Each gets exactly the mail it would get alone, in its own language."""
        with freeze_time(TODAY):
            ar_log = self._log(self.customer, self.stage_second, self.ar_late)
            en_log = self._log(
                self.customer_b, self.stage_second, self.en_late | self.en_recent
            )
            other = self._log(self.customer_b, self.stage_second, self.en_late)
            template = self.stage_second.mail_template_id
            together = template._generate_template(
                (ar_log | en_log | other).ids, ("subject", "body_html")
            )
            for log in ar_log | en_log | other:
                alone = self._render(log)
                self.assertEqual(
                    str(together[log.id]["body_html"]), str(alone["body_html"])
                )
                self.assertEqual(together[log.id]["subject"], alone["subject"])
        self.assertIn('dir="rtl"', str(together[ar_log.id]["body_html"]))
        self.assertIn("Dear Northwind Ltd,", str(together[en_log.id]["body_html"]))
        self.assertNotEqual(
            str(together[en_log.id]["body_html"]), str(together[ar_log.id]["body_html"])
        )

    def test_formatted_amounts_and_dates_match_odoo(self):
        """Scenario: the mails format their amounts and dates themselves (once per
        mail, not per value): the result is Odoo's own formatting, in English
        and in Arabic, for a currency written before and one written after."""
        from odoo.tools import format_amount, format_date  # noqa: PLC0415

        kwd = self.env.ref("base.KWD")
        for lang in ("en_US", "ar_001"):
            env = self.env(context=dict(self.env.context, lang=lang))
            fdate, famount = formatters(get_lang(env))
            for currency in (self.company.currency_id, kwd):
                for amount in (1234567.891, -42.5, 0.0):
                    self.assertEqual(
                        famount(amount, currency), format_amount(env, amount, currency)
                    )
            self.assertEqual(fdate(TODAY), format_date(env, TODAY))
            self.assertEqual(fdate(False), "")

    def test_queued_mail_chatter_summary_and_notification(self):
        """Scenario: the second reminder is executed for the English customer. The
        customer's chatter holds the mail's message (subject, what the step did,
        a link to the step; the customer as recipient, a 'ready' email
        notification), so that the customer's reply lands there too; the queued
        mail carries the whole content in the layout, with a one-line summary
        as its preview text."""
        alias_domain = self.env["mail.alias.domain"].create(
            {"name": "replies.example.com"}
        )
        self.company.alias_domain_id = alias_domain
        with freeze_time(TODAY):
            log = self._log(
                self.customer_b, self.stage_second, self.en_late | self.en_recent
            )
            send_email(log)
        message = log.mail_message_id
        self.assertEqual(log.email_state, "sent")
        self.assertEqual(log.email_info, self.customer_b.email_formatted)
        self.assertEqual(
            (message.model, message.res_id), ("res.partner", self.customer_b.id)
        )
        self.assertIn(message, self.customer_b.message_ids)
        self.assertEqual(message.message_type, "comment")
        self.assertIn("second payment reminder", message.subject)
        self.assertIn("Follow-up step Second reminder for", message.body)
        self.assertIn("Email: Sent", message.body)
        self.assertIn(f'data-oe-id="{log.id}"', message.body)
        self.assertEqual(message.partner_ids, self.customer_b)
        notification = message.notification_ids
        self.assertEqual(notification.res_partner_id, self.customer_b)
        self.assertEqual(
            (notification.notification_type, notification.notification_status),
            ("email", "ready"),
        )
        mail = notification.mail_mail_id
        self.assertEqual(mail.state, "outgoing")
        self.assertEqual(mail.recipient_ids, self.customer_b)
        self.assertIn("within the next seven days", mail.body_html)
        self.assertIn(self.en_recent.name, mail.body_html)
        self.assertIn("2 invoice(s), $ 1,750.00 due", mail.body_html)
        # replies go to the company's catchall, which routes them to the customer's
        # chatter
        self.assertIn(alias_domain.catchall_email, mail.reply_to)
        self.assertNotIn(self.customer_b.email, mail.reply_to)
        # the mail queue sends it like any notification (the test mode captures SMTP)
        mail.send(raise_exception=True)
        self.assertEqual(mail.state, "sent")
        self.assertEqual(notification.notification_status, "sent")

    def test_sent_mail_uses_the_phone_friendly_layout_and_attaches_invoices(self):
        """Scenario: the final notice (attach invoices) is executed for the Arabic
        customer. The outgoing mail is wrapped in the follow-up layout (600px,
        right to left, no Odoo "view" button) in Arabic, and carries the
        invoice's own PDF."""
        with freeze_time(TODAY):
            log = self._log(self.customer, self.stage_final, self.ar_late)
            send_email(log)
        self.assertEqual(log.email_state, "sent")
        mail = self.env["mail.mail"].search(
            [("mail_message_id", "=", log.mail_message_id.id)]
        )
        self.assertEqual(len(mail), 1)
        self.assertIn("max-width: 600px", mail.body_html)
        self.assertIn(
            '<html lang="ar-001" dir="rtl">', mail.body_html.replace("ar_001", "ar-001")
        )
        self.assertIn("إشعار أخير", mail.subject)
        self.assertNotIn("/mail/view", mail.body_html)
        self.assertEqual(len(mail.attachment_ids), 1)
        self.assertTrue(mail.attachment_ids.raw.startswith(b"%PDF"))
        self.assertIn(self.ar_late.name.replace("/", "_"), mail.attachment_ids.name)

    # ------------------------------------------------------------------
    # SMS
    # ------------------------------------------------------------------
    def test_sms_english_single_segment_arabic_counted_as_ucs2(self):
        """Scenario: the first reminder's SMS for the English customer fits in one
        GSM-7 segment with the amount, due date and statement link (no no-break
        space sneaking in from the amount format); the Arabic customer's SMS is in
        Arabic, counted in UCS-2 parts of 67 units."""
        with freeze_time(TODAY):
            en_log = self._log(self.customer_b, self.stage_first, self.en_late)
            ar_log = self._log(self.customer, self.stage_first, self.ar_late)
            template = self.stage_first.sms_template_id
            en_body = template._render_field("body", en_log.ids, compute_lang=True)[
                en_log.id
            ]
            ar_body = template._render_field("body", ar_log.ids, compute_lang=True)[
                ar_log.id
            ]
        self.assertIn("1,750.00", en_body)
        self.assertIn("02/12/2026", en_body)
        self.assertIn(en_log._get_followup_sms_url(), en_body)
        en_info = en_log._get_followup_sms_segments()
        self.assertEqual(en_info["encoding"], "gsm7")
        self.assertEqual(en_info["segments"], 1, en_body)
        self.assertIn("مستحق", ar_body)
        self.assertIn("4,200.00", ar_body)
        self.assertIn(ar_log._get_followup_sms_url(), ar_body)
        ar_info = ar_log._get_followup_sms_segments()
        self.assertEqual(ar_info["encoding"], "ucs2")
        self.assertLessEqual(ar_info["segments"], 2, ar_body)
        self.assertEqual(ar_info["length"], len(ar_body))
        self.assertEqual(ar_info["segments"], -(-len(ar_body) // 67))

    # ------------------------------------------------------------------
    # Letters and statements
    # ------------------------------------------------------------------
    def test_ageing_over_all_open_instalments(self):
        """Scenario: the English customer has invoices 20 and 4 days late, one not
        due yet, one 100 days late, and a 30/70 split invoice issued 45 days ago
        (30% 45 days late, 70% due in 15 days). The ageing of the statement puts
        each open instalment in its bucket, whatever step is being sent."""
        with freeze_time(TODAY):
            self._invoice(
                self.customer_b, amount=300.0, invoice_date=TODAY, term=self.term_30
            )
            self._invoice(self.customer_b, amount=70.0, days_late=100)
            self._invoice(
                self.customer_b,
                amount=1000.0,
                invoice_date=TODAY - timedelta(days=45),
                term=self.term_split,
            )
            ageing = self.env["invoice.followup.document"]._ageing(
                self.customer_b, self.company, TODAY
            )
        self.assertEqual(len(ageing), 1)
        row = ageing[0]
        self.assertEqual(row["currency"], self.company.currency_id)
        self.assertEqual(
            row["buckets"], [300.0 + 700.0, 250.0 + 1500.0, 300.0, 0.0, 70.0]
        )
        self.assertAlmostEqual(row["total"], 3120.0)

    def test_letter_pdf_in_arabic(self):
        """Scenario: the final notice letter of the Arabic customer is rendered
        for real by wkhtmltopdf: a PDF whose text (Arabic glyphs, not boxes)
        holds the Arabic wording, the invoice number and the company name."""
        with freeze_time(TODAY):
            log = self._log(self.customer, self.stage_final, self.ar_late)
            html = (
                self.env["ir.actions.report"]
                ._render_qweb_html(
                    "invoice_followup.action_report_followup_letter", log.ids
                )[0]
                .decode()
            )
            pdf, _type = (
                self.env["ir.actions.report"]
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf(
                    "invoice_followup.action_report_followup_letter", log.ids
                )
            )
        self.assertIn('dir="rtl"', html)
        self.assertIn("أعمار الفواتير المفتوحة", html)
        # the title is the stage's name in the customer's language
        title = self.stage_final.with_context(lang="ar_001").name
        self.assertNotEqual(title, self.stage_final.with_context(lang="en_US").name)
        self.assertIn(title, html)
        self.assertIn(self.company.name, html)
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = pdf_text(pdf)
        if text is None:
            self.skipTest("pdftotext is not installed")
        self.assertIn(self.ar_late.name, text)
        self.assertIn("السداد", text)
        # every word lies on the page: Debian's wkhtmltopdf would otherwise push
        # long right-to-left lines off its right edge (tools/rtl_wrap.py)
        words = pdf_word_boxes(pdf)
        self.assertTrue(words)
        for page_width, word, x_min, x_max in words:
            self.assertGreaterEqual(x_min, 0, word)
            self.assertLessEqual(x_max, page_width, word)

    def test_statement_of_account_for_customers_and_worklist(self):
        """Scenario: the accountant prints the statement of account from the
        customer form for both customers at once, and from the worklist: one
        PDF, each customer's open invoices, totals and ageing, the company's
        name and address in the page body (Debian's wkhtmltopdf drops the
        layout header) and a QR code to pay."""
        with freeze_time(TODAY):
            report = self.env.ref("invoice_followup.action_report_partner_statement")
            partners = self.customer_b | self.customer
            html = (
                self.env["ir.actions.report"]
                ._render_qweb_html(report, partners.ids)[0]
                .decode()
            )
            self.assertIn("Statement of account", html)
            self.assertIn("كشف حساب", html)
            for move in self.en_late | self.en_recent | self.ar_late:
                self.assertIn(move.name, html)
            self.assertIn("1,750.00", html)
            self.assertIn("o_followup_sender", html)
            self.assertIn(self.company.partner_id.city or self.company.name, html)
            self.assertIn("data:image/png;base64,", html)
            pdf, _type = (
                self.env["ir.actions.report"]
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf(report, partners.ids)
            )
            self.assertTrue(pdf.startswith(b"%PDF"))
            rows = self.env["invoice.followup.worklist"].search(
                [("partner_id", "in", partners.ids)]
            )
            self.assertEqual(len(rows), 2)
            worklist_html = (
                self.env["ir.actions.report"]
                ._render_qweb_html(
                    "invoice_followup.action_report_worklist_statement", rows.ids
                )[0]
                .decode()
            )
            self.assertIn(self.ar_late.name, worklist_html)
            self.assertIn(self.en_late.name, worklist_html)
