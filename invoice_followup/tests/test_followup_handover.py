# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import io
import re
from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.pdf import PdfFileReader

from .common import TODAY, FollowupCommon
from .test_communications import pdf_text, pdf_word_boxes


def page_count(pdf):
    return len(PdfFileReader(io.BytesIO(pdf)).pages)


@tagged("post_install", "-at_install")
class TestFollowupHandover(FollowupCommon, HttpCase):
    """Hand-over to a collection agency or lawyer (issue 14): a stage hands the
    customer over, the pre-legal file (real wkhtmltopdf) goes to the agency or
    to an activity, the invoices pause "with agency", payments close them.
    HttpCase: PDFs and the download route."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ar_001")
        cls.env["ir.module.module"]._load_module_terms(
            ["invoice_followup"], ["ar_001"], overwrite=True
        )
        cls.default_handover = cls.Stage.search_count([("handover", "=", True)])
        cls.agency = cls.env["res.partner"].create(
            {
                "name": "Recovery Partners LLC",
                "is_company": True,
                "email": "files@recovery.example.com",
                "lang": "en_US",
                "followup_agency_kind": "collection",
            }
        )
        cls.accountant = new_test_user(
            cls.env,
            "fu_handover_accountant",
            groups="account.group_account_invoice",
            email="sara@company.example.com",
            company_id=cls.company.id,
            company_ids=cls.company.ids,
        )
        cls.company.followup_responsible_id = cls.accountant
        # the last stage hands over, and runs by itself for these tests
        cls.stage_escalation.write(
            {
                "auto_execute": True,
                "handover": True,
                "handover_partner_id": cls.agency.id,
            }
        )
        cls.customer.lang = "en_US"

    def _agency_mails(self, agency=None):
        return self.env["mail.mail"].search(
            [("recipient_ids", "in", (agency or self.agency).ids)]
        )

    def _history(self, late, recent):
        """35 days ago the run sent the final notice for both invoices; 30 days
        ago the customer promised to pay the recent one within 10 days and a
        payment plan for the old one was proposed, then cancelled."""
        with freeze_time(TODAY - timedelta(days=35)):
            self._run()
        with freeze_time(TODAY - timedelta(days=30)):
            recent._followup_promise(TODAY - timedelta(days=20), 800.0, "Omar Saleh")
            Plan = self.env["invoice.payment.plan"]
            plan = Plan.create(
                Plan._prepare_plan_values(late, 2, TODAY - timedelta(days=25))
            )
            plan.action_cancel()
        return plan

    def _file_text(self, step=None):
        """The text of the pre-legal file of the customer (for ``step``), from
        the report's HTML, tags removed."""
        html = self.env["ir.actions.report"]._render_qweb_html(
            "invoice_followup.action_report_prelegal_file",
            self.customer.ids,
            data={"company_id": self.company.id, "step_id": step and step.id},
        )[0]
        return " ".join(re.sub(r"<[^>]+>", " ", html.decode()).split())

    def test_no_stage_hands_over_by_default(self):
        """Scenario: a new company gets its default stages: none hands over;
        a stage cannot hand over without naming the agency."""
        self.assertEqual(self.default_handover, 0)
        with self.assertRaises(ValidationError):
            self.stage_final.write({"handover": True, "handover_partner_id": False})

    def test_run_hands_over_with_the_prelegal_file(self):
        """Scenario: a customer 65 days late on one invoice and 40 on another,
        with a final notice 35 days ago, a broken promise and a cancelled plan.
        Today's run reaches the hand-over stage: the pre-legal file (PDF) holds
        the customer, both invoices, the earlier step with its channels'
        outcome, the promise and the plan, followed by the two invoices' own
        PDFs; it is kept on the step and the customer and mailed to the agency
        in the same transaction; the step records the hand-over; the invoices
        pause "with agency" and the customer says which agency holds it since
        today. The next days' runs leave it alone. Then the agency reports a
        payment, recorded with Register Payment: the invoices are paid and
        leave the follow-up."""
        with freeze_time(TODAY - timedelta(days=35)):
            late = self._invoice(amount=1200.0, days_late=65)
            recent = self._invoice(amount=800.0, days_late=40)
        plan = self._history(late, recent)
        earlier = self._logs()
        self.assertEqual(earlier.stage_id, self.stage_final)
        with freeze_time(TODAY):
            self._run()
        step = self._logs() - earlier
        self.assertEqual(step.stage_id, self.stage_escalation)
        self.assertEqual(step.move_ids, late | recent)
        self.assertEqual(step.state, "done")
        self.assertEqual(
            (step.handover_state, step.handover_info),
            ("sent", self.agency.email_formatted),
        )
        # the file
        attachment = step.handover_attachment_id
        self.assertEqual(
            (attachment.res_model, attachment.res_id), (step._name, step.id)
        )
        pdf = attachment.raw
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertGreaterEqual(page_count(pdf), 3)  # the file, then two invoices
        on_customer = self.env["ir.attachment"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertEqual(on_customer.checksum, attachment.checksum)
        # what the file says (its English text is drawn in the company's web font,
        # which pdftotext cannot read back: the same report's HTML)
        with freeze_time(TODAY):
            text = self._file_text(step)
        for expected in (
            "Pre-legal file",
            self.company.name,
            self.customer.name,
            self.agency.name,
            late.name,
            recent.name,
            "Final notice",  # the earlier step
            "Email : Sent",  # its channels' outcome
            "ap@gulf-trading.example.com",
            "Needs more time (promise)",
            "Omar Saleh",
            plan.name,
            "Cancelled",
            "The open invoices follow this file",
        ):
            self.assertIn(expected, text)
        # the mail to the agency, queued with the file
        mail = self._agency_mails()
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.state, "outgoing")
        self.assertIn(self.customer.name, mail.subject)
        self.assertIn("pre-legal file attached", mail.body_html)
        self.assertEqual(mail.attachment_ids.checksum, attachment.checksum)
        self.assertEqual(mail.model, step._name)
        self.assertTrue(
            any("Hand-over: Sent" in m.body for m in self.customer.message_ids)
        )
        # the invoices are with the agency
        for move in late | recent:
            self.assertEqual(
                (
                    move.followup_pause_reason,
                    move.followup_paused_until,
                    move.followup_state,
                ),
                ("agency", False, "paused"),
            )
        self.assertEqual(self.customer.followup_agency_id, self.agency)
        self.assertEqual(self.customer.followup_agency_date, TODAY)
        worklist = self.env["invoice.followup.worklist"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual((worklist.state, worklist.agency_id), ("paused", self.agency))
        with freeze_time(TODAY + timedelta(days=10)):
            self._run()
        self.assertEqual(self._logs(), earlier | step)
        # the agency collected: recorded as usual
        with freeze_time(TODAY + timedelta(days=12)):
            self._pay(late | recent)
        for move in late | recent:
            self.assertTrue(move.currency_id.is_zero(move.amount_residual))
            self.assertEqual(move.followup_state, "done")

    def test_agency_without_email(self):
        """Scenario: the hand-over stage names a lawyer with no email address.
        The run makes the step and the file (kept on the step, to send by hand),
        records the hand-over as skipped saying why, mails the customer as
        usual and does not pause the invoices: nothing was handed over."""
        lawyer = self.env["res.partner"].create(
            {"name": "Khalid Law Office", "followup_agency_kind": "legal"}
        )
        self.stage_escalation.handover_partner_id = lawyer
        with freeze_time(TODAY):
            move = self._invoice(amount=900.0, days_late=65)
            self._run()
        step = self._logs()
        self.assertEqual(step.handover_state, "skipped")
        self.assertIn("Khalid Law Office has no email address", step.handover_info)
        self.assertTrue(step.handover_attachment_id.raw.startswith(b"%PDF"))
        self.assertEqual(step.email_state, "sent")
        self.assertFalse(self._agency_mails(lawyer))
        self.assertFalse(move.followup_pause_reason)
        self.assertFalse(self.customer.followup_agency_id)

    def test_file_on_activity_and_taking_back(self):
        """Scenario: the stage attaches the file to an activity instead. The
        run gives the customer's responsible an activity with the pre-legal file
        and no mail goes to the agency; the invoice pauses with agency. The
        accountant prints the file again from the Follow-up tab, then takes the
        customer back from the agency: the follow-up resumes and the customer
        is no longer with it. A user without accounting rights cannot print it."""
        self.stage_escalation.handover_mode = "activity"
        with freeze_time(TODAY):
            move = self._invoice(amount=700.0, days_late=65)
            self._run()
        step = self._logs()
        self.assertEqual(step.handover_state, "sent")
        activity = self.customer.activity_ids.filtered(
            lambda a: step.handover_attachment_id in a.attachment_ids
        )
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.accountant)
        self.assertIn(self.agency.name, activity.summary)
        self.assertFalse(self._agency_mails())
        self.assertEqual(move.followup_pause_reason, "agency")
        partner = self.customer.with_user(self.accountant)
        with freeze_time(TODAY + timedelta(days=1)):
            action = partner.action_followup_prelegal_file()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[3].split("?")[0])
        )
        self.assertEqual(
            (attachment.res_model, attachment.res_id),
            ("res.partner", self.customer.id),
        )
        self.assertGreaterEqual(page_count(attachment.raw), 2)
        with freeze_time(TODAY + timedelta(days=1)):
            text = self._file_text()
        self.assertIn(self.agency.name, text)
        self.assertIn("Hand-over : Sent", text)
        clerk = new_test_user(self.env, "fu_handover_clerk", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.customer.with_user(clerk).action_followup_prelegal_file()
        partner.action_followup_agency_release()
        self.assertFalse(move.followup_pause_reason)
        self.assertNotEqual(move.followup_state, "paused")
        self.assertFalse(self.customer.followup_agency_id)
        self.assertIn("Taken back from", self.customer.message_ids[0].body)

    def test_prelegal_file_download_route(self):
        """Scenario: the customer's own portal user guesses the id of the
        pre-legal file kept on its company and asks /web/content for it: refused.
        The accountant downloads it through the same route."""
        with freeze_time(TODAY):
            self._invoice(amount=500.0, days_late=65)
            self._run()
        attachment = self._logs().handover_attachment_id
        on_customer = self.env["ir.attachment"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        portal = new_test_user(
            self.env,
            "fu_handover_portal",
            password="fu_handover_portal",
            groups="base.group_portal",
            partner_id=self.env["res.partner"]
            .create({"name": "Omar", "parent_id": self.customer.id})
            .id,
        )
        self.assertTrue(portal)
        self.authenticate("fu_handover_portal", "fu_handover_portal")
        for target in attachment | on_customer:
            response = self.url_open(f"/web/content/{target.id}?download=true")
            self.assertNotEqual(response.status_code, 200)
            self.assertFalse(response.content.startswith(b"%PDF"))
        self.authenticate("fu_handover_accountant", "fu_handover_accountant")
        response = self.url_open(f"/web/content/{on_customer.id}?download=true")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.content.startswith(b"%PDF"))

    def test_prelegal_file_in_arabic(self):
        """Scenario: an Arabic-speaking customer (ar_001) reaches the hand-over
        stage after a final notice: its pre-legal file reads right to left in
        Arabic (stage names, channels, the customer's name) and every word lies
        on the page, while the mail to the English-speaking agency is in
        English."""
        self.customer.write({"lang": "ar_001", "name": "شركة الخليج للتجارة"})
        with freeze_time(TODAY - timedelta(days=35)):
            late = self._invoice(amount=4200.0, days_late=65)
            self._run()
        with freeze_time(TODAY):
            self._run()
            step = self._logs().filtered(lambda s: s.stage_id == self.stage_escalation)
            html = (
                self.env["ir.actions.report"]
                ._render_qweb_html(
                    "invoice_followup.action_report_prelegal_file",
                    self.customer.ids,
                    data={"company_id": self.company.id, "step_id": step.id},
                )[0]
                .decode()
            )
        self.assertIn('dir="rtl"', html)
        self.assertIn("التصعيد", html)  # Escalation, the step's stage
        self.assertIn("إشعار أخير", html)  # Final notice, the earlier step
        self.assertIn("البريد الإلكتروني", html)  # Email, a channel
        text = pdf_text(step.handover_attachment_id.raw)
        self.assertIn(late.name, text)
        self.assertIn("الخليج", text)
        self.assertIn("التصعيد", text)
        # every word of the file lies on the page (the appended invoices are
        # account's own report)
        with freeze_time(TODAY):
            alone, _type = (
                self.env["ir.actions.report"]
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf(
                    "invoice_followup.action_report_prelegal_file",
                    self.customer.ids,
                    data={"company_id": self.company.id, "step_id": step.id},
                )
            )
        for page_width, word, x_min, x_max in pdf_word_boxes(alone):
            self.assertGreaterEqual(x_min, 0, word)
            self.assertLessEqual(x_max, page_width, word)
        mail = self._agency_mails()
        self.assertIn("pre-legal file attached", mail.body_html)
