# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Letters (rendered by wkhtmltopdf, which needs the HTTP server of HttpCase)
and the portal's "I already paid" answer (a real route)."""

import base64
import re
from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import new_test_user, tagged

from .common import TODAY, FollowupHttpCommon

PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)


def pdf_pages(pdf):
    """Number of pages of a PDF (0 for anything that is not one)."""
    if not pdf.startswith(b"%PDF"):
        return 0
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


@tagged("post_install", "-at_install")
class TestFollowupLetters(FollowupHttpCommon):
    def _letter_html(self, log_ids, user=None):
        Report = (
            self.env["ir.actions.report"].with_user(user)
            if user
            else self.env["ir.actions.report"]
        )
        return Report._render_qweb_html(
            "invoice_followup.report_followup_letter", log_ids
        )[0].decode()

    def test_letters_to_print_respect_the_preference(self):
        """Scenario: two customers 40 days late reach the final notice (a
        letter); one of them does not want letters. The daily run prepares the
        first one's letter (a PDF naming the invoice) and records the other's as
        skipped with the reason. A billing accountant prints both steps: the
        print action is the letter report for the one letter only, which
        becomes printed; printing it again is allowed."""
        self.customer_b.followup_use_letter = False
        with freeze_time(TODAY):
            move = self._invoice(days_late=40)
            self._invoice(partner=self.customer_b, days_late=40)
            self.env.ref(
                "invoice_followup.ir_cron_invoice_followup"
            ).method_direct_trigger()
        letter, refused = self._logs(), self._logs(self.customer_b)
        self.assertEqual(
            (letter.stage_id, refused.stage_id), (self.stage_final, self.stage_final)
        )
        self.assertEqual(letter.letter_state, "to_print")
        self.assertEqual(
            (refused.letter_state, refused.letter_info),
            ("skipped", "The customer does not want letters."),
        )
        self.assertFalse(refused.letter_attachment_id)
        self.assertEqual(refused.email_state, "sent")
        # wkhtmltopdf draws Latin text in the web font as paths: the words are
        # checked on the HTML of the same report, the PDF by its pages
        self.assertEqual(pdf_pages(letter.letter_attachment_id.raw), 1)
        html = self._letter_html(letter.ids)
        self.assertIn("Final notice", html)
        self.assertIn(move.name, html)
        self.assertIn("Dear Gulf Trading Co.,", html)

        accountant = new_test_user(
            self.env,
            "fu_printer",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        logs = (letter | refused).with_user(accountant)
        action = logs.action_print_letters()
        self.assertEqual(action["type"], "ir.actions.report")
        self.assertEqual(
            action["report_name"], "invoice_followup.report_followup_letter"
        )
        self.assertEqual(action["context"]["active_ids"], letter.ids)
        self.assertEqual(letter.letter_state, "printed")
        self.assertEqual(refused.letter_state, "skipped")
        # what the browser downloads for that action
        printed, _type = (
            self.env["ir.actions.report"]
            .with_user(accountant)
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(action["report_name"], action["context"]["active_ids"])
        )
        self.assertEqual(pdf_pages(printed), 1)
        html = self._letter_html(action["context"]["active_ids"], accountant)
        self.assertIn(move.name, html)
        self.assertNotIn(self.customer_b.name, html)
        again = letter.with_user(accountant).action_print_letters()
        self.assertEqual(again["context"]["active_ids"], letter.ids)
        self.assertEqual(letter.letter_state, "printed")


@tagged("post_install", "-at_install")
class TestFollowupPaidAnswer(FollowupHttpCommon):
    def test_i_already_paid_through_the_link(self):
        """Scenario: from the reminder's link, the customer answers "I already
        paid" with a note and the bank receipt. The answer lands in the
        invoice's chatter with the file, the responsible gets an activity, the
        follow-up pauses: the daily run sends nothing. The accountant finds no
        payment and resolves the request: the next run reminds the customer."""
        today = fields.Date.today()
        accountant = new_test_user(
            self.env,
            "fu_paid_resp",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        self.customer.with_company(self.company).followup_responsible_id = accountant
        move = self._invoice(
            invoice_date=today - timedelta(days=40), term=self.term_30, amount=640.0
        )
        page = self.url_open(
            f"/my/followup/invoice/{move.id}/paid?access_token={move._portal_ensure_token()}"
        )
        self.assertEqual(page.status_code, 200)
        self.assertIn(move.name, page.text)
        response = self._post_answer(
            move,
            "paid",
            {"note": "Paid by transfer on Monday, ref TRX-889."},
            files={"attachment": ("receipt.pdf", PDF, "application/pdf")},
        )
        self.assertEqual(response.status_code, 303)
        self.assertIn("done=paid", response.headers["Location"])
        self.assertIn(
            "Thank you: your message reached us and we will answer soon.",
            self.url_open(response.headers["Location"]).text,
        )
        self.assertEqual(
            (
                move.followup_question_type,
                move.followup_answer_ids.kind,
                move.followup_question_state,
            ),
            ("paid", "paid", "open"),
        )
        self.assertEqual(move.followup_state, "paused")
        message = move.message_ids.filtered(lambda m: "TRX-889" in (m.body or ""))
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, self.customer)
        self.assertEqual(message.attachment_ids.name, "receipt.pdf")
        self.assertEqual(base64.b64decode(message.attachment_ids.datas), PDF)
        activity = move.activity_ids
        self.assertEqual(activity.user_id, accountant)
        self.assertEqual(activity.summary, "The customer says it is paid")
        self._run()
        self.assertFalse(self._logs())
        move.action_followup_resolve_request()
        self.assertEqual(
            (move.followup_question_state, move.followup_state), ("resolved", "planned")
        )
        self._run()
        self.assertEqual(self._logs().move_ids, move)
