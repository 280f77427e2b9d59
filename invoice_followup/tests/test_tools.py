# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The pure helpers of tools/ (and the id parser of the portal), without a
database: plain unit tests, tagged so that Odoo's runner collects them
(odoo.tests.loader keeps only BaseCase subclasses, which carry test_tags)."""

import io
from datetime import date

from werkzeug.datastructures import FileStorage

from odoo.exceptions import UserError
from odoo.tests import BaseCase, tagged

from ..controllers.access import MAX_ID, parse_id
from ..tools.portal_input import parse_amount, parse_count, parse_date
from ..tools.rtl_wrap import WORD_CLASS, wrap_rtl_words
from ..tools.sms_segments import sms_encoding, sms_segments
from ..tools.uploads import max_upload_text, read_upload

PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)


class FakeEnv:
    """What the helpers take from an Odoo environment: ``env._`` (returned
    untranslated) and the upload size limit (system parameter)."""

    def __init__(self, params=None):
        self.params = params or {}

    def _(self, source, *args, **kwargs):
        return source % (kwargs or args) if (args or kwargs) else source

    def __getitem__(self, model):
        assert model == "ir.config_parameter", model
        return self

    def sudo(self):
        return self

    def get_param(self, key, default=None):
        return self.params.get(key, default)


@tagged("post_install", "-at_install")
class TestSmsSegments(BaseCase):
    def test_sms_segment_counter(self):
        """Scenario: texts at the limits of GSM-7 (160 / 153 per part, extension
        characters count twice and are not split) and UCS-2 (70 / 67 per part,
        an emoji counts two units) give the number of SMS an operator bills."""
        cases = [
            ("", "gsm7", 0),
            ("a" * 160, "gsm7", 1),
            ("a" * 161, "gsm7", 2),
            ("a" * 306, "gsm7", 2),
            ("a" * 307, "gsm7", 3),
            ("€" * 80, "gsm7", 1),
            ("a" * 159 + "€", "gsm7", 2),
            ("ب" * 70, "ucs2", 1),
            ("ب" * 71, "ucs2", 2),
            ("ب" * 134, "ucs2", 2),
            ("ب" * 135, "ucs2", 3),
            ("a" * 69 + "é" + "\N{NO-BREAK SPACE}", "ucs2", 2),
            ("😀" * 35, "ucs2", 1),
            ("😀" * 36, "ucs2", 2),
        ]
        for text, encoding, segments in cases:
            with self.subTest(text=text[:5], length=len(text)):
                info = sms_segments(text)
                self.assertEqual(info["encoding"], encoding)
                self.assertEqual(info["segments"], segments)
        # the escaped "€" does not straddle parts: 152 + (2 + 10) -> 141 left
        self.assertEqual(sms_segments("a" * 152 + "€" + "a" * 10)["remaining"], 141)

    def test_lengths_and_remaining_units(self):
        """Scenario: the counter shown to the accountant: a 100-letter GSM-7 text
        leaves 60 of 160; extension characters count two septets; an Arabic text
        is measured in UTF-16 units (an emoji two); None counts as empty."""
        self.assertEqual(
            sms_segments("a" * 100),
            {
                "encoding": "gsm7",
                "length": 100,
                "segments": 1,
                "per_segment": 160,
                "remaining": 60,
            },
        )
        self.assertEqual(sms_segments("{}")["length"], 4)
        self.assertEqual(sms_segments("ب😀")["length"], 3)
        self.assertEqual(sms_segments(None)["segments"], 0)
        self.assertEqual(sms_encoding("Pay 10$ @ 5% [now]"), "gsm7")
        self.assertEqual(
            sms_encoding("Payez maintenant ç"), "ucs2"
        )  # ç is not GSM-7 (only Ç is)


@tagged("post_install", "-at_install")
class TestRtlWrap(BaseCase):
    def test_rtl_words_wrapped_for_wkhtmltopdf(self):
        """Scenario: an Arabic sentence with punctuation is split into one inline
        block per word and per trailing punctuation; Latin text is left alone."""
        result = wrap_rtl_words(
            "<html><body><p>نرجو السداد، شكرًا. <b>INV/1</b> Thank you "
            "all</p></body></html>"
        )
        self.assertEqual(result.count('class="o_fu_word"'), 5)
        self.assertIn(
            '>السداد</span><span class="o_fu_word" style="display: '
            'inline-block; white-space: nowrap;">،</span>',
            result,
        )
        self.assertIn("Thank you all", result)
        self.assertEqual(
            wrap_rtl_words("<p>Only English here</p>"), "<p>Only English here</p>"
        )

    def test_single_words_scripts_and_bytes(self):
        """Scenario: a one-word Arabic run stays as it is; Arabic inside a
        <style> or <script> is never touched; a tail after an inline element is
        wrapped too; bytes in, bytes out; wrapping twice changes nothing more."""
        single = "<html><body><p>شكرًا</p></body></html>"
        self.assertNotIn(WORD_CLASS, wrap_rtl_words(single))
        script = (
            "<html><head><style>/* نرجو السداد */</style></head><body><script>var a "
            "= 'نرجو السداد';</script></body></html>"
        )
        self.assertNotIn(WORD_CLASS, wrap_rtl_words(script))
        tail = wrap_rtl_words(
            "<html><body><p><b>INV/1</b> نرجو السداد</p></body></html>"
        )
        self.assertEqual(tail.count(WORD_CLASS), 2)
        self.assertIn("<b>INV/1</b>", tail)
        as_bytes = wrap_rtl_words(
            "<html><body><p>نرجو السداد</p></body></html>".encode()
        )
        self.assertIsInstance(as_bytes, bytes)
        self.assertEqual(as_bytes.decode().count(WORD_CLASS), 2)
        self.assertEqual(wrap_rtl_words(as_bytes), as_bytes)


@tagged("post_install", "-at_install")
class TestPortalInput(BaseCase):
    def test_amounts(self):
        """Scenario: amounts typed in the promise form: figures are read, an
        empty field means "no amount", anything non-finite, negative, zero,
        absurd or not a number is refused with the form's message."""
        env = FakeEnv()
        self.assertEqual(parse_amount(env, " 1500.50 "), 1500.5)
        self.assertIsNone(parse_amount(env, ""))
        self.assertIsNone(parse_amount(env, None))
        for text in ("inf", "-inf", "nan", "1e308", "1e13", "-5", "0", "12abc", "1,5"):
            with (
                self.subTest(text=text),
                self.assertRaisesRegex(
                    UserError, "Please enter an amount greater than zero"
                ),
            ):
                parse_amount(env, text)

    def test_dates_and_counts(self):
        """Scenario: dates as date inputs send them (YYYY-MM-DD) within years
        2000-2200, instalment counts of a few digits; anything else refused."""
        env = FakeEnv()
        self.assertEqual(parse_date(env, "2026-03-04"), date(2026, 3, 4))
        for text in (
            "",
            None,
            "2026-13-45",
            "99999-01-01",
            "1999-12-31",
            "2201-01-01",
            "04/03/2026",
        ):
            with (
                self.subTest(text=text),
                self.assertRaisesRegex(UserError, "Please choose a valid date."),
            ):
                parse_date(env, text)
        self.assertEqual(parse_count(env, "3"), 3)
        self.assertEqual(parse_count(env, "", default=4), 4)
        for text in ("inf", "-1", "2.5", "1000", "three"):
            with (
                self.subTest(text=text),
                self.assertRaisesRegex(UserError, "number of instalments"),
            ):
                parse_count(env, text)

    def test_record_ids_from_the_url(self):
        """Scenario: ids in portal URLs: a positive integer within PostgreSQL's
        range is an id; junk, zero, negative or out of range is None."""
        self.assertEqual(parse_id("42"), 42)
        self.assertEqual(parse_id(MAX_ID), MAX_ID)
        for value in (
            None,
            "",
            "abc",
            "0",
            "-3",
            str(MAX_ID + 1),
            "99999999999999999999",
            "1e3",
        ):
            with self.subTest(value=value):
                self.assertIsNone(parse_id(value))


@tagged("post_install", "-at_install")
class TestUploads(BaseCase):
    def _upload(self, name, content):
        return FileStorage(stream=io.BytesIO(content), filename=name)

    def test_accepted_files(self):
        """Scenario: a PDF and a text file are read with their base name (a
        Windows path stripped); no file sent means no attachment."""
        env = FakeEnv()
        self.assertEqual(
            read_upload(env, self._upload("C:\\Users\\omar\\proof.pdf", PDF)),
            [("proof.pdf", PDF)],
        )
        self.assertEqual(
            read_upload(env, self._upload("note.TXT", b"PO-123: 10 units")),
            [("note.TXT", b"PO-123: 10 units")],
        )
        self.assertEqual(read_upload(env, None), [])
        self.assertEqual(read_upload(env, self._upload("", b"")), [])

    def test_refused_files(self):
        """Scenario: an SVG, an HTML page renamed .pdf, a file without an
        extension, an empty file and a file over the limit (system parameter
        in MB) are refused, each with its own message."""
        env = FakeEnv({"invoice_followup.upload_max_mb": "2.5"})
        limit = int(2.5 * 1024 * 1024)
        cases = [
            (
                "drawing.svg",
                b"<svg xmlns='http://www.w3.org/2000/svg'/>",
                "This kind of file cannot be attached",
            ),
            ("README", b"hello", "This kind of file cannot be attached"),
            (
                "invoice.pdf",
                b"<html><script>alert(1)</script></html>",
                "does not match its type",
            ),
            ("empty.pdf", b"", "The attached file is empty"),
            (
                "big.pdf",
                PDF + b"0" * (limit - len(PDF) + 1),
                r"The file is too large: attach at most 2\.5 MB",
            ),
        ]
        for name, content, message in cases:
            with self.subTest(name=name), self.assertRaisesRegex(UserError, message):
                read_upload(env, self._upload(name, content))
        # a small limit is written as set, not rounded to "0 MB"
        small = FakeEnv({"invoice_followup.upload_max_mb": "0.01"})
        with self.assertRaisesRegex(UserError, r"attach at most 0\.01 MB\."):
            read_upload(small, self._upload("big.pdf", PDF + b"0" * 11000))
        self.assertEqual(max_upload_text(FakeEnv()), "10")
        # exactly the limit: accepted
        body = PDF + b"0" * (limit - len(PDF))
        self.assertEqual(
            read_upload(env, self._upload("ok.pdf", body)), [("ok.pdf", body)]
        )
