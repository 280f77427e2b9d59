# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, FollowupCommon


@tagged("post_install", "-at_install")
class TestSaudiCompany(FollowupCommon):
    """A Saudi company on the Saudi chart of accounts (l10n_sa), in SAR, with an
    Arabic-speaking customer."""

    @classmethod
    @FollowupCommon.setup_country("sa")
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ar_001")
        cls.env["ir.module.module"]._load_module_terms(
            ["base", "mail", "account", "invoice_followup"], ["ar_001"], overwrite=True
        )
        cls.customer.lang = "ar_001"

    def test_saudi_company_follow_up_in_arabic(self):
        """Scenario: the Saudi company (Saudi chart, SAR) has its six stages; a
        new Saudi company sends Sunday to Thursday; an Arabic customer 5 days
        late gets the first reminder in Arabic, right to left, in SAR."""
        self.assertEqual(self.company.currency_id, self.env.ref("base.SAR"))
        self.assertEqual(self.company.chart_template, "sa")
        self.assertEqual(len(self.stages), 6)
        other = self.env["res.company"].create(
            {"name": "Jeddah Branch", "country_id": self.country_sa.id}
        )
        self.assertEqual(other._followup_sending_weekdays(), {6, 0, 1, 2, 3})
        with freeze_time(TODAY):
            move = self._invoice(days_late=5, amount=1150.0)
            self._run()
        log = self._logs()
        self.assertEqual(log.stage_id, self.stage_first)
        self.assertEqual(log.email_state, "sent")
        mail = self.env["mail.mail"].search(
            [("recipient_ids", "in", self.customer.ids)]
        )
        self.assertIn(move.name, mail.body_html)
        self.assertIn('dir="rtl"', mail.body_html)
        self.assertTrue(
            any("\u0600" <= char <= "\u06ff" for char in mail.subject), mail.subject
        )
        self.assertIn("1,150.00", mail.body_html)
