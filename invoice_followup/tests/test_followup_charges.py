# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Late-payment charges (issue 14): a stage's fee invoiced once per step and
waived with a credit note, statutory interest by the rate table (computed by
hand across a rate change), the fixed compensation once per invoice; all off by
default."""

from datetime import date, timedelta

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import TODAY, FollowupCommon, FollowupHttpCommon


@tagged("post_install", "-at_install")
class TestFollowupFees(FollowupCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR")  # 1 USD = 2 EUR since 2017

    def _mails(self, partner=None):
        return self.env["mail.mail"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "=", (partner or self.customer).id),
            ]
        )

    def _fees(self, partner=None):
        return self.env["account.move"].search(
            [
                ("partner_id", "=", (partner or self.customer).id),
                ("followup_charge_kind", "=", "fee"),
            ]
        )

    def _switch_fees_on(self, **stage_values):
        self.company.followup_fees = True
        self.stage_first.write(
            {"fee_type": "fixed", "fee_amount": 50.0, **stage_values}
        )

    @freeze_time(TODAY)
    def test_off_by_default(self):
        """Scenario: a company just installed: no fee, no interest; a first reminder
        goes out without any charge."""
        company = self.env["res.company"].create({"name": "New Co"})
        self.assertFalse(company.followup_fees)
        self.assertFalse(company.followup_interest_regime_id)
        stages = self.Stage.search([("company_id", "=", company.id)])
        self.assertTrue(stages)
        self.assertEqual(set(stages.mapped("fee_type")), {"none"})
        self.stage_first.write({"fee_type": "fixed", "fee_amount": 50.0})
        self._invoice(days_late=3)
        self._run()
        self.assertEqual(self._logs().stage_id, self.stage_first)
        self.assertFalse(self._fees())

    @freeze_time(TODAY)
    def test_fee_invoiced_once_listed_and_payable(self):
        """Scenario: fees on, the first reminder charges 50.00: the run makes one
        posted fee invoice, listed in the reminder's mail and its step, due at
        once; a second run the same day, and a forced step of the same stage the
        next day, charge nothing more; the customer pays the fee like any
        invoice."""
        self._switch_fees_on()
        invoice = self._invoice(days_late=3)
        preview = (
            self.env["invoice.followup.preview.wizard"]
            .with_context(default_partner_id=self.customer.id)
            .create({})
        )
        self.assertIn(self.company.currency_id.format(50.0), preview.fee_info)
        self.assertFalse(self._fees())  # the preview charges nothing
        self._run()
        self._run()
        step = self._logs()
        self.assertEqual(len(step), 1)
        fee = self._fees()
        self.assertEqual(len(fee), 1)
        self.assertEqual(fee.state, "posted")
        self.assertEqual(fee.amount_total, 50.0)
        self.assertEqual(fee.invoice_date_due, TODAY)
        self.assertEqual(fee.followup_fee_step_id, step)
        self.assertEqual(fee.followup_charged_move_ids, invoice)
        self.assertEqual(step.fee_move_ids, fee)
        self.assertIn(fee, step.move_ids)
        self.assertEqual(step.amount_due, 1050.0)
        self.assertIn(fee.name, self._mails().body_html)
        self.assertIn("Late-payment fee", fee.invoice_line_ids.name)
        self.assertTrue(fee.access_token)
        with freeze_time(TODAY + timedelta(days=1)):
            self.env["invoice.followup.run"]._run(
                invoice | fee, force=True, stage=self.stage_first
            )
        self.assertEqual(len(self._fees()), 1)
        self._pay(fee)
        self.assertIn(fee.payment_state, ("paid", "in_payment"))

    @freeze_time(TODAY)
    def test_fee_share_with_minimum_and_maximum_in_invoice_currency(self):
        """Scenario: 5 % of the overdue amount, at least 10.00 and at most 20.00
        USD (the company's currency); the customer owes 1,000.00 EUR (2 EUR a
        USD): 5 % is 50.00 EUR, more than the maximum, so 40.00 EUR; a second
        customer owes 300.00 EUR: 15.00 EUR is below the minimum, so 20.00 EUR."""
        self._switch_fees_on(
            fee_type="percent", fee_percent=5.0, fee_min=10.0, fee_max=20.0
        )
        self._invoice(days_late=3, currency=self.eur)
        self._invoice(
            partner=self.customer_b, amount=300.0, days_late=3, currency=self.eur
        )
        self._run()
        fee = self._fees()
        self.assertEqual(fee.currency_id, self.eur)
        self.assertEqual(fee.amount_total, 40.0)
        self.assertEqual(self._fees(self.customer_b).amount_total, 20.0)

    def test_fee_settings_refuse_nonsense(self):
        """Scenario: an accountant types a negative or over-100 % fee, or
        a minimum above the maximum: refused with a clear message."""
        for values in (
            {"fee_type": "fixed", "fee_amount": -5.0},
            {"fee_type": "percent", "fee_percent": 150.0},
            {
                "fee_type": "percent",
                "fee_percent": 5.0,
                "fee_min": 50.0,
                "fee_max": 10.0,
            },
            {"fee_type": "fixed", "fee_amount": 0.0},
        ):
            with self.assertRaises(ValidationError), self.cr.savepoint():
                self.stage_second.write(values)

    @freeze_time(TODAY)
    def test_fee_waived_with_a_credit_note(self):
        """Scenario: the accountant waives the fee of a good customer: the wizard
        asks why; a credit note cancels the fee, the reason is in its chatter and
        the customer's; a paid fee cannot be waived that way."""
        self._switch_fees_on()
        self._invoice(days_late=3)
        self._run()
        fee = self._fees()
        action = fee.action_followup_waive()
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        with self.assertRaises(AssertionError):  # the reason is required
            wizard.save()
        wizard.reason = "First late payment in ten years"
        result = wizard.save().action_apply()
        refund = self.env["account.move"].browse(result["res_id"])
        self.assertEqual(refund.move_type, "out_refund")
        self.assertEqual(refund.amount_total, 50.0)
        self.assertEqual(fee.payment_state, "reversed")
        self.assertEqual(
            fee.followup_charge_waived_reason, "First late payment in ten years"
        )
        self.assertIn("First late payment in ten years", fee.message_ids[0].body)
        self.assertIn(
            "First late payment in ten years", self.customer.message_ids[0].body
        )
        # a waived fee is not charged again for the same invoices at that stage
        with freeze_time(TODAY + timedelta(days=1)):
            self.env["invoice.followup.run"]._run(
                self.env["account.move"].browse(self._logs().move_ids.ids),
                force=True,
                stage=self.stage_first,
            )
        self.assertEqual(len(self._fees()), 1)
        # paid fees are refunded, not waived
        self._invoice(partner=self.customer_b, days_late=3)
        self._run()
        paid_fee = self._fees(self.customer_b)
        self._pay(paid_fee)
        with self.assertRaisesRegex(UserError, "already paid"):
            self.env["invoice.followup.charge"]._waive(paid_fee, "goodwill")

    @freeze_time(TODAY)
    def test_fee_never_twice_after_a_crash(self):
        """Scenario: the run crashes in the middle of the customer's step, after
        its fee invoice was made (the reminder's template breaks): the fee goes
        with the failed step, nothing is left half done; the next day's run
        charges the fee once. PostgreSQL refuses a second fee for one step."""
        self._switch_fees_on()
        self._invoice(days_late=3)
        template = self.stage_first.mail_template_id
        subject = template.subject
        template.subject = "{{ object.no_such_field }}"
        with mute_logger(
            "odoo.addons.invoice_followup.models.invoice_followup_run",
            "odoo.addons.mail.models.mail_render_mixin",
        ):
            self._run()
        failed = self._logs()
        self.assertEqual(failed.state, "failed")
        self.assertFalse(self._fees())
        self.assertFalse(failed.fee_move_ids)
        template.subject = subject
        with freeze_time(TODAY + timedelta(days=1)):
            self._run()
            self._run()
        done = self._logs().filtered(lambda s: s.state == "done")
        self.assertEqual(len(done), 1)
        fee = self._fees()
        self.assertEqual(len(fee), 1)
        self.assertEqual(fee.followup_fee_step_id, done)
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
        ):
            fee.copy({"followup_fee_step_id": done.id})
            self.env.flush_all()


@tagged("post_install", "-at_install")
class TestFollowupInterest(FollowupCommon):
    """The EU regime: the ECB rate + 8 points (3.15 % to 30 June 2025, 2.15 % from
    1 July 2025: 11.15 % then 10.15 %) and 40 EUR per late invoice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("1900-01-01", 1.0)])
        cls.eu = cls.env.ref("invoice_followup.interest_regime_eu")
        cls.uk = cls.env.ref("invoice_followup.interest_regime_uk")

    def _late_invoice(self, partner=None, amount=10000.0):
        """10,000.00 EUR due on 16 June 2025 (30 days from 17 May)."""
        return self._invoice(
            partner=partner,
            amount=amount,
            invoice_date=date(2025, 5, 17),
            term=self.term_30,
            currency=self.eur,
        )

    def test_interest_by_hand_across_a_rate_change(self):
        """Scenario: due 16 June 2025, 4,000.00 of 10,000.00 EUR paid on 6 July,
        looked at on 16 July: 14 days at 11.15 % on 10,000 (17-30 June), 6 days at
        10.15 % on 10,000 (1-6 July), 10 days at 10.15 % on 6,000 (7-16 July):
        42.767 + 16.685 + 16.685 = 76.14 EUR, plus 40.00 EUR compensation."""
        self.company.followup_interest_regime_id = self.eu
        invoice = self._late_invoice()
        self.assertEqual(invoice.followup_date_due, date(2025, 6, 16))
        self._pay(invoice, amount=4000.0, date=date(2025, 7, 6))
        Charge = self.env["invoice.followup.charge"]
        [line] = Charge._interest_lines(
            self.customer, self.company, date=date(2025, 7, 16)
        )
        by_hand = (
            10000 * 0.1115 * 14 / 365
            + 10000 * 0.1015 * 6 / 365
            + 6000 * 0.1015 * 10 / 365
        )
        self.assertAlmostEqual(by_hand, 76.136986, places=5)
        self.assertEqual(line["interest"], 76.14)
        self.assertEqual(line["days"], 30)
        self.assertEqual(
            [(p[0], p[1], p[2], p[3], p[4]) for p in line["parts"]],
            [
                (date(2025, 6, 17), date(2025, 6, 30), 14, 10000.0, 11.15),
                (date(2025, 7, 1), date(2025, 7, 6), 6, 10000.0, 10.15),
                (date(2025, 7, 7), date(2025, 7, 16), 10, 6000.0, 10.15),
            ],
        )
        self.assertEqual(line["compensation"], 40.0)

    def test_interest_invoiced_on_demand_compensation_once(self):
        """Scenario: on 16 July the accountant invoices the interest: one invoice of
        76.14 interest + 40.00 compensation; ten days later again: only the ten
        new days (6,000 x 10.15 % x 10 / 365 = 16.68), no second compensation."""
        self.company.followup_interest_regime_id = self.eu
        invoice = self._late_invoice()
        self._pay(invoice, amount=4000.0, date=date(2025, 7, 6))
        with freeze_time("2025-07-16"):
            self.assertEqual(
                self.customer.with_company(self.company).followup_interest_due,
                self.eur.format(116.14),
            )
            action = self.customer.action_followup_invoice_interest()
        first = self.env["account.move"].browse(action["res_id"])
        self.assertEqual(first.followup_charge_kind, "interest")
        self.assertEqual(first.state, "posted")
        self.assertEqual(first.currency_id, self.eur)
        self.assertEqual(
            sorted(first.invoice_line_ids.mapped("price_unit")), [40.0, 76.14]
        )
        self.assertEqual(invoice.followup_compensation_move_id, first)
        self.assertEqual(invoice.followup_interest_invoiced_to, date(2025, 7, 16))
        with freeze_time("2025-07-26"):
            second = self.env["invoice.followup.charge"]._invoice_interest(
                self.customer, self.company
            )
        self.assertEqual(second.invoice_line_ids.mapped("price_unit"), [16.68])
        self.assertEqual(invoice.followup_compensation_move_id, first)

    def test_final_notice_shows_interest(self):
        """Scenario: with the EU regime chosen, the final notice's mail shows the
        interest accrued; without a regime (the default) it says nothing of
        interest."""
        # the letter is read as HTML here (the PDF needs the HTTP server)
        self.stage_final.write({"send_letter": False, "attach_invoices": False})
        with freeze_time("2025-07-16"):
            self.company.followup_interest_regime_id = self.eu
            self._late_invoice()
            self._late_invoice(partner=self.customer_b)
            step = self.env["invoice.followup.run"]._run(
                self.env["account.move"].search(
                    [
                        ("partner_id", "=", self.customer.id),
                        ("move_type", "=", "out_invoice"),
                    ]
                ),
                force=True,
                stage=self.stage_final,
            )
            self.assertTrue(self.stage_final.show_interest)
            interest = step._get_followup_interest()
            [(currency, total)] = interest["totals"]
            self.assertEqual(currency, self.eur)
            self.assertAlmostEqual(total, 127.26)
            mail = self.env["mail.mail"].search(
                [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
            )
            self.assertIn("Statutory interest", mail.body_html)
            self.assertIn("127.26", mail.body_html)
            letter = (
                self.env["ir.actions.report"]
                ._render_qweb_html(
                    "invoice_followup.action_report_followup_letter", step.ids
                )[0]
                .decode()
            )
            self.assertIn("Statutory interest", letter)
            self.company.followup_interest_regime_id = False
            step_b = self.env["invoice.followup.run"]._run(
                self.env["account.move"].search(
                    [
                        ("partner_id", "=", self.customer_b.id),
                        ("move_type", "=", "out_invoice"),
                    ]
                ),
                force=True,
                stage=self.stage_final,
            )
            self.assertFalse(step_b._get_followup_interest())
            mail_b = self.env["mail.mail"].search(
                [("model", "=", "res.partner"), ("res_id", "=", self.customer_b.id)]
            )
            self.assertNotIn("Statutory interest", mail_b.body_html)

    def test_private_customer_and_missing_rates(self):
        """Scenario: a private person owes the invoice: the regime (between
        businesses) claims nothing, and invoicing says why; a regime whose table
        starts after the due date is refused with a clear message."""
        self.company.followup_interest_regime_id = self.eu
        person = self.env["res.partner"].create(
            {"name": "Sara Ali", "is_company": False}
        )
        self._late_invoice(partner=person)
        with freeze_time("2025-07-16"):
            self.assertFalse(
                self.env["invoice.followup.charge"]._interest_lines(
                    person, self.company
                )
            )
            with self.assertRaisesRegex(UserError, "No statutory interest"):
                self.env["invoice.followup.charge"]._invoice_interest(
                    person, self.company
                )
        recent = self.eu.copy(
            {
                "rate_ids": [
                    Command.create({"date_from": "2025-07-01", "reference_rate": 2.15})
                ]
            }
        )
        self.company.followup_interest_regime_id = recent
        self._late_invoice()
        with (
            freeze_time("2025-07-16"),
            self.assertRaisesRegex(UserError, "no reference rate"),
        ):
            self.env["invoice.followup.charge"]._interest_lines(
                self.customer, self.company
            )

    def test_uk_fixed_sums_by_amount(self):
        """Scenario: the UK act's fixed sums: 40 GBP under 1,000, 70 under 10,000,
        100 from 10,000 GBP."""
        gbp = self.uk.currency_id
        day = date(2025, 7, 16)
        self.assertEqual(self.uk._compensation(999.99, gbp, self.company, day), 40.0)
        self.assertEqual(self.uk._compensation(1000.0, gbp, self.company, day), 70.0)
        self.assertEqual(self.uk._compensation(9999.99, gbp, self.company, day), 70.0)
        self.assertEqual(self.uk._compensation(25000.0, gbp, self.company, day), 100.0)
        # base rate + 8: 4.25 + 8 from July 2025
        self.assertEqual(self.uk.with_context(date=day).rate_current, 12.25)
        # the table says when its latest rate is over six months old
        self.assertFalse(self.uk.with_context(date=day).rate_outdated)
        self.assertTrue(self.uk.with_context(date=date(2026, 3, 4)).rate_outdated)


@tagged("post_install", "-at_install")
class TestFollowupFeesPortal(FollowupHttpCommon):
    def test_fee_payable_in_the_portal(self):
        """Scenario: the customer opens the reminder's links on its phone: the
        statement lists the fee; the fee's own signed link opens it with "Pay
        now" (demo provider); another customer's signed link does not open it."""
        self._demo_provider()
        self.company.followup_fees = True
        self.stage_first.write({"fee_type": "fixed", "fee_amount": 50.0})
        today = fields.Date.today()
        self._invoice(invoice_date=today - timedelta(days=33), term=self.term_30)
        other = self._invoice(
            partner=self.customer_b,
            invoice_date=today - timedelta(days=33),
            term=self.term_30,
        )
        self._run()
        fee = self.env["account.move"].search(
            [
                ("partner_id", "=", self.customer.id),
                ("followup_charge_kind", "=", "fee"),
            ]
        )
        self.assertEqual(len(fee), 1)
        statement = self.url_open(self.customer._followup_get_statement_url())
        self.assertEqual(statement.status_code, 200)
        self.assertIn(fee.name, statement.text)
        page = self.url_open(fee.get_portal_url())
        self.assertEqual(page.status_code, 200)
        self.assertIn(fee.name, page.text)
        self.assertIn("portal_pay", page.text)
        document = self.url_open(fee.get_portal_url(report_type="html"))
        self.assertIn("Late-payment fee", document.text)
        other._portal_ensure_token()
        stolen = self.url_open(
            f"/my/invoices/{fee.id}?access_token={other.access_token}",
            allow_redirects=False,
        )
        self.assertNotEqual(stolen.status_code, 200)
        self.assertNotIn(fee.name, stolen.text)
