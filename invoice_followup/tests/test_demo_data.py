# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Checks that the demo data gives every follow-up situation it promises.

The demo file computes its dates from the day it is loaded (``DateTime.today()``
in the XML). The tests compare with that day, read from the create date of the
demo invoices, so they stay right in a database loaded on an earlier day; in a
database freshly created by ``make test`` it is today.
"""

import re
from datetime import timezone
from itertools import pairwise

import phonenumbers

from odoo.tests import TransactionCase, tagged

ARABIC_LETTERS = re.compile("[\u0600-\u06ff]")

# The demo gives rates of USD, EUR and SAR on one basis (1 USD).
DEMO_RATES = {"USD": 1.0, "EUR": 0.92, "SAR": 3.75}

COMPANIES = {
    "partner_al_noor_demo": "ar_001",
    "partner_gulf_horizon_demo": "ar_001",
    "partner_al_safa_demo": "ar_001",
    "partner_nordwind_demo": "en_US",
    "partner_maison_lumiere_demo": "en_US",
    "partner_thames_digital_demo": "en_US",
    "partner_desert_rose_demo": "en_US",
}

# Open, unpaid customer invoices: xmlid -> due date, in days from the demo day.
UNPAID_INVOICES = {
    "invoice_al_noor_not_due_demo": 20,
    "invoice_nordwind_due_in_3_demo": 3,
    "invoice_maison_lumiere_overdue_2_demo": -2,
    "invoice_nordwind_overdue_10_demo": -10,
    "invoice_al_noor_overdue_35_demo": -35,
    "invoice_desert_rose_excluded_demo": -55,
    "invoice_thames_digital_overdue_70_demo": -70,
    "invoice_al_safa_overdue_120_demo": -120,
}


def _local_date(utc_datetime):
    """Day of a naive UTC datetime in the server's local time zone, the time
    zone in which ``DateTime.today()`` of the demo file was evaluated."""
    return utc_datetime.replace(tzinfo=timezone.utc).astimezone().date()


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.has_demo = cls.env.ref("base.module_base").demo
        if cls.has_demo:
            # Demo data was asked for this database: the demo records must be
            # there (a failed demo load of this module makes these tests fail).
            anchor = cls.env.ref("invoice_followup.invoice_al_noor_not_due_demo")
            cls.demo_day = _local_date(anchor.create_date)

    def setUp(self):
        super().setUp()
        if not self.has_demo:
            self.skipTest("Database created without demo data.")

    def ref(self, xmlid):
        return self.env.ref(f"invoice_followup.{xmlid}")

    def days(self, date):
        return (date - self.demo_day).days

    def assert_valid_phone(self, number, partner):
        self.assertTrue(number, f"{partner.display_name} has no number")
        self.assertTrue(number.startswith("+"), f"{number} is not international")
        parsed = phonenumbers.parse(number)
        self.assertTrue(
            phonenumbers.is_valid_number(parsed),
            f"{number} of {partner.display_name} is not a valid number",
        )
        self.assertEqual(
            phonenumbers.region_code_for_number(parsed),
            partner.commercial_partner_id.country_id.code,
            f"{number} is not a number of the country of {partner.display_name}",
        )

    def test_customers_bilingual(self):
        """Seven customer companies, Arabic-speaking ones with Arabic names and
        the active ar_001 language, English-speaking ones in en_US."""
        self.assertTrue(self.env["res.lang"]._lang_get("ar_001").active)
        for xmlid, lang in COMPANIES.items():
            partner = self.ref(xmlid)
            self.assertTrue(partner.is_company, xmlid)
            self.assertEqual(partner.lang, lang, xmlid)
            self.assertEqual(
                bool(ARABIC_LETTERS.search(partner.name)),
                lang == "ar_001",
                partner.name,
            )
            self.assertTrue(
                partner.street and partner.city and partner.country_id, xmlid
            )
            for contact in partner.child_ids:
                self.assertEqual(contact.lang, lang, contact.display_name)
        countries = {self.ref(x).country_id.code for x in COMPANIES}
        self.assertEqual(countries, {"SA", "AE", "DE", "FR", "GB"})

    def test_contact_details(self):
        """Every demo customer and contact has valid international phone numbers
        of its country and emails on example domains only."""
        for xmlid in COMPANIES:
            company = self.ref(xmlid)
            for partner in company | company.child_ids:
                for number in filter(None, (partner.phone, partner.mobile)):
                    self.assert_valid_phone(number, partner)
                self.assertTrue(partner.phone or partner.mobile, partner.display_name)
                if partner.email:
                    self.assertRegex(
                        partner.email, r"^[\w.]+@([\w-]+\.)*example\.(com|sa)$"
                    )

    def test_invoice_address_contact(self):
        """Al Noor's accounts-payable department is its invoice address (the
        contact reminders go to), Gulf Horizon has a dedicated follow-up contact."""
        al_noor = self.ref("partner_al_noor_demo")
        accounts_payable = self.ref("partner_al_noor_accounts_payable_demo")
        self.assertEqual(accounts_payable.parent_id, al_noor)
        self.assertEqual(accounts_payable.type, "invoice")
        self.assertTrue(accounts_payable.email)
        self.assertEqual(
            al_noor.address_get(["invoice"])["invoice"], accounts_payable.id
        )
        self.assertNotEqual(accounts_payable.email, al_noor.email)

        thames = self.ref("partner_thames_digital_demo")
        self.assertEqual(
            thames.address_get(["invoice"])["invoice"],
            self.ref("partner_thames_digital_accounts_demo").id,
        )

        gulf_horizon = self.ref("partner_gulf_horizon_demo")
        finance = self.ref("partner_gulf_horizon_finance_demo")
        self.assertEqual(gulf_horizon.followup_partner_id, finance)
        self.assertEqual(finance.parent_id, gulf_horizon)
        self.assertTrue(finance.email)

    def test_unpaid_invoices_due_dates(self):
        """Posted, unpaid customer invoices not yet due, due in 3 days and
        overdue by 2, 10, 35, 55 (excluded customer), 70 and 120 days."""
        for xmlid, due_in in UNPAID_INVOICES.items():
            invoice = self.ref(xmlid)
            self.assertEqual(invoice.move_type, "out_invoice", xmlid)
            self.assertEqual(invoice.state, "posted", xmlid)
            self.assertEqual(invoice.payment_state, "not_paid", xmlid)
            self.assertGreater(invoice.amount_total, 0, xmlid)
            self.assertEqual(invoice.amount_residual, invoice.amount_total, xmlid)
            self.assertEqual(self.days(invoice.invoice_date_due), due_in, xmlid)
            terms = invoice.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            )
            self.assertEqual(
                terms.mapped("date_maturity"), [invoice.invoice_date_due], xmlid
            )
            self.assertIn(
                invoice.commercial_partner_id,
                [self.ref(x) for x in COMPANIES],
                xmlid,
            )

    def test_currencies(self):
        """Al Noor is invoiced in SAR and Nordwind in EUR, converted at the demo
        rates whatever the company currency is (USD or SAR)."""
        company_currency = self.env.company.currency_id
        for xmlid, currency in (
            ("invoice_al_noor_overdue_35_demo", "SAR"),
            ("invoice_al_noor_not_due_demo", "SAR"),
            ("invoice_nordwind_overdue_10_demo", "EUR"),
            ("invoice_nordwind_due_in_3_demo", "EUR"),
        ):
            invoice = self.ref(xmlid)
            self.assertEqual(invoice.currency_id.name, currency, xmlid)
            self.assertTrue(invoice.currency_id.active)
            if company_currency.name in DEMO_RATES:
                self.assertAlmostEqual(
                    invoice.invoice_currency_rate,
                    DEMO_RATES[currency] / DEMO_RATES[company_currency.name],
                    places=6,
                    msg=xmlid,
                )
                self.assertAlmostEqual(
                    abs(invoice.amount_total_signed),
                    invoice.amount_total / invoice.invoice_currency_rate,
                    delta=0.05,
                    msg=xmlid,
                )

    def test_partial_payment(self):
        """Thames Digital paid 5,000 on its invoice overdue by 20 days through a
        registered payment reconciled with it: the invoice is partially paid."""
        invoice = self.ref("invoice_thames_digital_partial_demo")
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.payment_state, "partial")
        self.assertEqual(self.days(invoice.invoice_date_due), -20)
        self.assertEqual(invoice.currency_id, invoice.company_currency_id)
        self.assertAlmostEqual(invoice.amount_residual, invoice.amount_total - 5000.0)
        self.assertGreater(invoice.amount_residual, 0)

        payment = invoice.matched_payment_ids
        self.assertEqual(len(payment), 1)
        self.assertEqual(payment.amount, 5000.0)
        self.assertEqual(payment.partner_id, self.ref("partner_thames_digital_demo"))
        self.assertEqual(self.days(payment.date), -25)
        self.assertIn(payment.state, ("in_process", "paid"))
        self.assertEqual(payment.move_id.state, "posted")
        term_line = invoice.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        )
        self.assertFalse(term_line.reconciled)
        self.assertEqual(
            term_line.matched_credit_ids.credit_move_id.move_id, payment.move_id
        )

    def test_paid_invoice(self):
        """Maison Lumiere's older invoice was paid in full, 5 days late: history
        that the follow-up must leave alone."""
        invoice = self.ref("invoice_maison_lumiere_paid_demo")
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.payment_state, "paid")
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        payment = invoice.matched_payment_ids
        self.assertEqual(len(payment), 1)
        self.assertEqual((payment.date - invoice.invoice_date_due).days, 5)

    def test_instalments(self):
        """Gulf Horizon's invoice is payable in three instalments: the first one
        is overdue while the invoice due date (the last instalment) is ahead."""
        invoice = self.ref("invoice_gulf_horizon_instalments_demo")
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(
            invoice.invoice_payment_term_id,
            self.ref("account_payment_term_instalments_demo"),
        )
        terms = invoice.line_ids.filtered(
            lambda line: line.display_type == "payment_term" and not line.reconciled
        ).sorted("date_maturity")
        self.assertEqual(
            [self.days(line.date_maturity) for line in terms], [-15, 15, 45]
        )
        self.assertLess(terms[0].date_maturity, self.demo_day)
        self.assertGreater(invoice.invoice_date_due, self.demo_day)
        self.assertEqual(invoice.invoice_date_due, terms[-1].date_maturity)
        total = invoice.amount_total
        self.assertGreater(total, 0)
        for line, share in zip(terms, (0.4, 0.3, 0.3), strict=True):
            self.assertAlmostEqual(
                line.amount_residual_currency, total * share, delta=0.01
            )
        self.assertAlmostEqual(sum(terms.mapped("amount_residual_currency")), total)

    def test_credit_note(self):
        """Maison Lumiere has an open credit note next to its overdue invoice:
        it is not reconciled, and lowers what the customer owes."""
        credit_note = self.ref("credit_note_maison_lumiere_demo")
        invoice = self.ref("invoice_maison_lumiere_overdue_2_demo")
        customer = self.ref("partner_maison_lumiere_demo")
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(credit_note.commercial_partner_id, customer)
        self.assertEqual(credit_note.payment_state, "not_paid")
        self.assertEqual(credit_note.amount_residual, credit_note.amount_total)
        self.assertLess(credit_note.amount_total, invoice.amount_residual)
        # Receivable balance: the overdue invoice minus the credit note (the
        # other invoice is paid).
        self.assertAlmostEqual(
            customer.credit,
            invoice.amount_residual_signed + credit_note.amount_residual_signed,
        )
        self.assertGreater(customer.credit, 0)

    def test_customer_without_email(self):
        """Al Safa Contracting can only be reached by phone, SMS or letter: no
        email on the company nor its contacts, valid phone and mobile numbers,
        a long overdue invoice."""
        customer = self.ref("partner_al_safa_demo")
        self.assertFalse(customer.email)
        self.assertFalse(customer.child_ids.filtered("email"))
        self.assert_valid_phone(customer.phone, customer)
        self.assert_valid_phone(customer.mobile, customer)
        self.assertTrue(customer.street and customer.zip and customer.city)
        self.assertEqual(customer.payment_risk_level, "high")
        self.assertEqual(
            self.ref("invoice_al_safa_overdue_120_demo").commercial_partner_id, customer
        )

    def test_proposed_payment_plan(self):
        """Al Noor has a payment plan proposed for its invoice 35 days late, made
        with the accountant's wizard: three monthly instalments that add up to
        the amount due, waiting for the customer's acceptance in the portal.
        Until then the invoice's follow-up goes on."""
        customer = self.ref("partner_al_noor_demo")
        invoice = self.ref("invoice_al_noor_overdue_35_demo")
        plan = self.env["invoice.payment.plan"].search(
            [("partner_id", "=", customer.id)]
        )
        self.assertEqual(plan.state, "proposed")
        self.assertEqual(plan.move_ids, invoice)
        self.assertEqual(len(plan.line_ids), 3)
        total = sum(plan.line_ids.mapped("amount"))
        self.assertEqual(
            plan.currency_id.compare_amounts(total, invoice.amount_residual), 0
        )
        dates = plan.line_ids.sorted("date_due").mapped("date_due")
        self.assertTrue(
            all(
                28 <= (later - earlier).days <= 31 for earlier, later in pairwise(dates)
            )
        )
        self.assertFalse(invoice.followup_pause_reason)

    def test_excluded_customer(self):
        """Desert Rose Hospitality is excluded from follow-up although it has an
        invoice overdue by 55 days; no other demo customer is excluded."""
        customer = self.ref("partner_desert_rose_demo")
        self.assertTrue(customer.followup_excluded)
        invoice = self.ref("invoice_desert_rose_excluded_demo")
        self.assertEqual(invoice.commercial_partner_id, customer)
        self.assertGreater(invoice.amount_residual, 0)
        self.assertLess(invoice.invoice_date_due, self.demo_day)
        others = [self.ref(x) for x in COMPANIES if x != "partner_desert_rose_demo"]
        self.assertFalse(any(p.followup_excluded for p in others))

    def test_arabic_invoice_lines(self):
        """Invoices of Arabic-speaking customers describe the services in
        Arabic (translated product names), the others in English."""
        for xmlid in (
            "invoice_al_noor_overdue_35_demo",
            "invoice_gulf_horizon_instalments_demo",
            "invoice_al_safa_overdue_120_demo",
        ):
            for line in self.ref(xmlid).invoice_line_ids:
                self.assertRegex(line.name, ARABIC_LETTERS, xmlid)
        for line in self.ref("invoice_nordwind_overdue_10_demo").invoice_line_ids:
            self.assertNotRegex(line.name, ARABIC_LETTERS)

    def test_invoices_before_demo_day(self):
        """Every demo invoice and credit note is dated in the past (before the
        day the demo was loaded), with a sequence number."""
        moves = self.env["account.move"].browse(
            self.env["ir.model.data"]
            .search(
                [("module", "=", "invoice_followup"), ("model", "=", "account.move")]
            )
            .mapped("res_id")
        )
        self.assertEqual(len(moves), 12)
        for move in moves:
            self.assertLess(move.invoice_date, self.demo_day)
            self.assertNotEqual(move.name, "/")

    def test_demo_invoices_in_follow_up(self):
        """Every open demo invoice of a customer in follow-up has a planned next
        step; the excluded customer's invoice is paused; the paid one is done;
        the demo company sends on its working days."""
        for xmlid in UNPAID_INVOICES:
            invoice = self.ref(xmlid)
            expected = (
                "paused"
                if invoice.commercial_partner_id.followup_excluded
                else "planned"
            )
            self.assertEqual(invoice.followup_state, expected, xmlid)
            self.assertTrue(invoice.followup_next_stage_id, xmlid)
            self.assertTrue(invoice.followup_next_date, xmlid)
        self.assertEqual(
            self.ref("invoice_maison_lumiere_paid_demo").followup_state, "done"
        )
        self.assertTrue(self.env.company._followup_sending_weekdays())
