# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Letters of a run rendered many per wkhtmltopdf call, each step keeping its
own PDF (invoice.followup.log._render_letter, _split_letters)."""

import io
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools.pdf import PdfFileReader

from odoo.addons.base.models.ir_actions_report import IrActionsReport

from .common import TODAY, FollowupHttpCommon


def pages_text(pdf):
    reader = PdfFileReader(io.BytesIO(pdf))
    return [page.extract_text() or "" for page in reader.pages]


@tagged("post_install", "-at_install")
class TestLettersBatch(FollowupHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ar_001")
        cls.customer_ar = cls.env["res.partner"].create(
            {
                "name": "مؤسسة الصفا للمقاولات",
                "is_company": True,
                "lang": "ar_001",
                "email": "ap@alsafa.example.com",
                "country_id": cls.country_sa.id,
            }
        )

    def test_letters_of_a_run_in_one_call_each_its_own_pdf(self):
        """Scenario: three customers reach the final notice (a letter) on the
        same day; one writes Arabic and has 30 open invoices (a letter of
        several pages). The daily run renders the three letters with one
        wkhtmltopdf call, and each step keeps its own PDF: the pages of its
        letter only (as many as that letter rendered alone), with the step's
        reference printed on its first page."""
        with freeze_time(TODAY):
            self._invoice(days_late=40)
            self._invoice(partner=self.customer_b, days_late=40)
            for days in range(30):
                self._invoice(partner=self.customer_ar, days_late=40 + days)
            calls = []
            run_wkhtmltopdf = IrActionsReport._run_wkhtmltopdf

            def counting(report, bodies, *args, **kwargs):
                # the invoices' own PDFs (attached to the final notice) too
                calls.append(report._get_report(kwargs.get("report_ref")).report_name)
                return run_wkhtmltopdf(report, bodies, *args, **kwargs)

            with patch.object(IrActionsReport, "_run_wkhtmltopdf", counting):
                self._run()
        steps = self.Log.search(
            [
                (
                    "partner_id",
                    "in",
                    (self.customer | self.customer_b | self.customer_ar).ids,
                )
            ]
        )
        self.assertEqual(len(steps), 3)
        self.assertEqual(set(steps.mapped("letter_state")), {"to_print"})
        self.assertEqual(
            calls.count("invoice_followup.report_followup_letter"),
            1,
            "one wkhtmltopdf call for the three letters",
        )
        report = self.env.ref("invoice_followup.action_report_followup_letter")
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        for step in steps:
            texts = pages_text(step.letter_attachment_id.raw)
            alone = pages_text(Report._render_qweb_pdf(report, step.ids)[0])
            self.assertEqual(len(texts), len(alone), step.partner_id.name)
            self.assertRegex(texts[0], rf"FU\s*-\s*0*{step.id}\b")
            others = steps - step
            for text in texts:
                for other in others:
                    self.assertNotRegex(text, rf"FU\s*-\s*0*{other.id}\b")
        arabic = steps.filtered(lambda s: s.partner_id == self.customer_ar)
        self.assertGreater(len(pages_text(arabic.letter_attachment_id.raw)), 1)
        self.assertEqual(len(steps.letter_attachment_id), 3)

    def test_letters_that_cannot_be_cut_are_rendered_one_by_one(self):
        """Scenario: the letters' PDF does not show the steps' references in
        the expected order (a customised template without the reference, say):
        it is not cut at a guess; _split_letters says so and each letter is
        rendered alone, still one PDF per step."""
        with freeze_time(TODAY):
            self._invoice(days_late=40)
            self._invoice(partner=self.customer_b, days_late=40)
            self._run()
        steps = self.Log.search(
            [("partner_id", "in", (self.customer | self.customer_b).ids)]
        ).sorted("id")
        report = self.env.ref("invoice_followup.action_report_followup_letter")
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        pdf = Report._render_qweb_pdf(report, steps.ids)[0]
        self.assertEqual(len(steps._split_letters(pdf)), 2)
        self.assertIsNone(steps.sorted("id", reverse=True)._split_letters(pdf))
        with patch.object(type(self.Log), "_split_letters", lambda self, pdf: None):
            steps.letter_attachment_id = False
            self.assertEqual(steps._render_letter(), {})
        for step in steps:
            self.assertRegex(
                pages_text(step.letter_attachment_id.raw)[0],
                rf"FU\s*-\s*0*{step.id}\b",
            )
