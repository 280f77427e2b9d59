# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, FollowupHttpCommon, make_step, send_email

TERM_EN = "Invoices are payable within 30 days. Call Layla on 011 555 0101."
TERM_AR = "تُدفع الفواتير خلال 30 يومًا. اتصلوا بليلى على 011 555 0101."
POLICY_EN = f"<p>{TERM_EN}</p>"


@tagged("post_install", "-at_install")
class TestFollowupPaymentPolicy(FollowupHttpCommon):
    """The company writes its payment policy once in Settings; customers read
    it in the portal in their language, through the statement's access (signed
    link or login), linked from the statement and the first reminder."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ar_001")
        cls.customer.lang = "ar_001"
        cls.customer_b.lang = "en_US"
        settings = cls.env["res.config.settings"].create(
            {"followup_payment_policy": POLICY_EN}
        )
        settings.execute()
        # as Odoo's translation dialog writes it: paragraph by paragraph
        cls.company.update_field_translations(
            "followup_payment_policy", {"ar_001": {TERM_EN: TERM_AR}}
        )
        with freeze_time(TODAY):
            cls.move = cls._invoice(cls.customer, days_late=4)
            cls.move_b = cls._invoice(cls.customer_b, days_late=4)
        cls.token = cls.customer._followup_get_access_token()
        cls.policy_url = (
            f"/my/followup/policy?pid={cls.customer.id}&access_token={cls.token}"
            f"&company_id={cls.company.id}"
        )

    def test_settings_store_the_policy(self):
        """Scenario: the admin wrote the policy in Settings: it is the
        company's, and Settings show it again."""
        self.assertIn("payable within 30 days", self.company.followup_payment_policy)
        settings = self.env["res.config.settings"].create({})
        self.assertIn("payable within 30 days", settings.followup_payment_policy)
        action = settings.action_followup_translate_payment_policy()
        self.assertEqual(
            (action["res_model"], action["res_id"]), ("res.company", self.company.id)
        )

    def test_policy_page_in_the_customer_language(self):
        """Scenario: the Arabic-speaking customer opens its statement link: it
        links to the policy, which opens without a login in Arabic; the English
        customer reads it in English from its own link."""
        statement = self.url_open(
            self.customer._followup_get_statement_url().replace(
                self.customer.get_base_url(), ""
            )
        )
        self.assertIn("o_followup_policy_link", statement.text)
        self.assertIn(
            f"/my/followup/policy?pid={self.customer.id}&amp;access_token={self.token}"
            f"&amp;company_id={self.company.id}",
            statement.text,
        )
        page = self.url_open(self.policy_url)
        self.assertEqual(page.status_code, 200)
        self.assertIn("تُدفع الفواتير خلال 30 يومًا", page.text)
        self.assertNotIn("payable within 30 days", page.text)
        self.assertIn("o_rtl", page.text)

        token_b = self.customer_b._followup_get_access_token()
        page_b = self.url_open(
            f"/my/followup/policy?pid={self.customer_b.id}&access_token={token_b}"
        )
        self.assertEqual(page_b.status_code, 200)
        self.assertIn("payable within 30 days", page_b.text)
        self.assertNotIn("تُدفع الفواتير", page_b.text)

    def test_wrong_token_or_foreign_company_refused(self):
        """Scenario: a wrong token, another customer's id with this token, or
        a company that never invoiced the customer show no policy."""
        wrong = self.url_open(
            f"/my/followup/policy?pid={self.customer.id}&access_token=wrong-token-123"
        )
        self.assertEqual(wrong.status_code, 403)
        self.assertIn("o_followup_link_invalid", wrong.text)
        self.assertNotIn("تُدفع الفواتير", wrong.text)
        foreign = self.url_open(
            f"/my/followup/policy?pid={self.customer_b.id}&access_token={self.token}"
        )
        self.assertEqual(foreign.status_code, 403)
        self.assertNotIn("payable within 30 days", foreign.text)
        anonymous = self.url_open("/my/followup/policy", allow_redirects=False)
        self.assertIn(anonymous.status_code, (302, 303))
        self.assertIn("/web/login", anonymous.headers["Location"])

        other = self.setup_other_company(name="Other Trading")["company"]
        other.followup_payment_policy = "<p>Secret terms of another company</p>"
        page = self.url_open(
            f"/my/followup/policy?pid={self.customer.id}&access_token={self.token}"
            f"&company_id={other.id}"
        )
        self.assertEqual(page.status_code, 404)
        self.assertNotIn("Secret terms", page.text)

    def test_first_reminder_links_the_policy(self):
        """Scenario: the first reminder (three days past due) is sent to the
        Arabic-speaking customer: its mail links to the policy with the
        statement's signed link, and the link opens the Arabic policy."""
        with freeze_time(TODAY):
            step = make_step(
                self.env, self.customer, self.company, self.stage_first, self.move
            )
            send_email(step)
        body = (
            self.env["mail.mail"]
            .search([("mail_message_id", "=", step.mail_message_id.id)])
            .body_html
        )
        href = self.customer.get_base_url() + self.policy_url.replace("&", "&amp;")
        self.assertIn(href, body)
        self.assertIn("o_followup_policy_link", body)
        page = self.url_open(self.policy_url)
        self.assertIn("تُدفع الفواتير خلال 30 يومًا", page.text)

    def test_no_policy_no_link(self):
        """Scenario: the company has not written a policy: neither the
        statement nor the first reminder links to one, and the page says none
        is written (404)."""
        self.company.followup_payment_policy = False
        statement = self.url_open(
            self.customer._followup_get_statement_url().replace(
                self.customer.get_base_url(), ""
            )
        )
        self.assertEqual(statement.status_code, 200)
        self.assertNotIn("o_followup_policy_link", statement.text)
        with freeze_time(TODAY + timedelta(days=1)):
            step = make_step(
                self.env, self.customer, self.company, self.stage_first, self.move
            )
            send_email(step)
        body = (
            self.env["mail.mail"]
            .search([("mail_message_id", "=", step.mail_message_id.id)])
            .body_html
        )
        self.assertIn(self.move.name, body)
        self.assertNotIn("/my/followup/policy", body)
        page = self.url_open(self.policy_url)
        self.assertEqual(page.status_code, 404)
        self.assertIn("o_followup_policy_none", page.text)
        self.assertNotIn("payable within 30 days", page.text)
