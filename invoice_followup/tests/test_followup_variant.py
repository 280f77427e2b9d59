# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import math
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from ..models.invoice_followup_variant import two_proportions
from .common import TODAY, FollowupCommon, make_step, send_email

STEP_DAY = TODAY - timedelta(days=20)


@tagged("post_install", "-at_install")
class TestFollowupVariant(FollowupCommon):
    """A/B tests of a stage: random, sticky assignment, and a report that finds
    a known effect with the right sign and size."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Variant = cls.env["invoice.followup.variant"]
        cls.control = cls.Variant.create(
            {
                "stage_id": cls.stage_first.id,
                "name": "Polite",
                "sequence": 1,
                "send_sms": False,
            }
        )
        cls.direct = cls.Variant.create(
            {
                "stage_id": cls.stage_first.id,
                "name": "Direct, SMS too",
                "sequence": 2,
                "send_sms": True,
                "send_hour": 23.0,
            }
        )

    def test_two_proportions_by_hand(self):
        """12 of 40 against 28 of 40: difference 0.40; pooled share 0.5, its
        standard error sqrt(0.25 * 2 / 40) = 0.1118, z = 3.578, p = 0.00035;
        interval 0.40 +- 1.96 * sqrt(0.3 * 0.7 / 40 * 2) = 0.40 +- 0.2008."""
        diff, (low, high), p_value = two_proportions(12, 40, 28, 40)
        self.assertAlmostEqual(diff, 0.4)
        self.assertAlmostEqual(low, 0.4 - 1.959964 * math.sqrt(0.0105), places=6)
        self.assertAlmostEqual(high, 0.4 + 1.959964 * math.sqrt(0.0105), places=6)
        self.assertAlmostEqual(
            p_value, math.erfc(0.4 / math.sqrt(0.0125) / math.sqrt(2)), places=9
        )
        self.assertLess(p_value, 0.001)
        self.assertIsNone(two_proportions(0, 0, 1, 2))

    def test_known_effect_found_with_sign_and_size(self):
        """Scenario: 100 customers get the first reminder 20 days ago, each
        through the variant it drew. Of the control's customers 30 % pay in
        full 5 days later, of the direct variant's 70 % pay 10 days later. The
        report says so: 30 % and 70 %, a difference of 40 points whose interval
        holds it, significant, better; mean days to pay 5 and 10. A customer's
        second step keeps its variant; one click makes the direct variant the
        only one."""
        partners = self.env["res.partner"].create(
            [{"name": f"Customer {i:03d}", "is_company": True} for i in range(100)]
        )
        moves = self.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": STEP_DAY - timedelta(days=40),
                    "invoice_payment_term_id": self.term_30.id,
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Service", "price_unit": 100.0, "tax_ids": []}
                        )
                    ],
                }
                for partner in partners
            ]
        )
        moves.action_post()
        with freeze_time(STEP_DAY):
            steps = self.env["invoice.followup.run"]._create_steps(
                [
                    {
                        "partner": move.partner_id,
                        "company": self.company,
                        "stage": self.stage_first,
                        "targets": {move: self.stage_first},
                    }
                    for move in moves
                ],
                "cron",
                day_step=False,
            )
        by_variant = {
            variant: steps.filtered(lambda s, v=variant: s.variant_id == v)
            for variant in (self.control, self.direct)
        }
        self.assertEqual(len(steps.variant_id), 2)
        for variant, its_steps in by_variant.items():
            self.assertGreaterEqual(len(its_steps), 30, variant.name)
        paying = {}
        for variant, share, days in ((self.control, 0.3, 5), (self.direct, 0.7, 10)):
            its_steps = by_variant[variant]
            paying[variant] = round(len(its_steps) * share)
            self._pay(
                its_steps[: paying[variant]].move_ids,
                date=STEP_DAY + timedelta(days=days),
            )
        with freeze_time(TODAY):
            self.env["invoice.followup.effect"]._refresh(since=False)
            self.stage_first.invalidate_recordset()
            control, direct = self.control, self.direct
            (control | direct).invalidate_recordset()
            n_c, n_d = len(by_variant[control]), len(by_variant[direct])
            self.assertEqual(control.verdict, "Control")
            self.assertEqual((control.step_count, direct.step_count), (n_c, n_d))
            self.assertEqual(direct.customer_count, n_d)
            self.assertAlmostEqual(
                control.paid_14_rate, paying[control] / n_c * 100, delta=0.05
            )
            self.assertAlmostEqual(
                direct.paid_14_rate, paying[direct] / n_d * 100, delta=0.05
            )
            diff, (low, high), p_value = two_proportions(
                paying[control], n_c, paying[direct], n_d
            )
            self.assertAlmostEqual(direct.difference, diff * 100, delta=0.05)
            self.assertAlmostEqual(direct.difference, 40, delta=3)
            self.assertLess(direct.difference_low, 40)
            self.assertGreater(direct.difference_high, 40)
            self.assertLess(direct.p_value, 0.05)
            self.assertEqual(direct.verdict, "Better than the control (significant)")
            self.assertAlmostEqual(control.days_to_pay, 5)
            self.assertAlmostEqual(direct.days_to_pay, 10)
            # the Follow-up Analysis (pivot by variant) reads the same effect
            shares = dict(
                self.env["invoice.followup.log"]._read_group(
                    [("id", "in", steps.ids)], ["variant_id"], ["paid_14_share:avg"]
                )
            )
            self.assertAlmostEqual(shares[control], paying[control] / n_c, places=6)
            self.assertAlmostEqual(shares[direct], paying[direct] / n_d, places=6)
            self.assertGreater(shares[direct] - shares[control], 0.35)
        # sticky: the customer's next step of this stage has the same variant
        customer = by_variant[self.direct][-1].partner_id
        again = make_step(
            self.env,
            customer,
            self.company,
            self.stage_first,
            by_variant[self.direct][-1].move_ids,
        )
        self.assertEqual(again.variant_id, self.direct)
        self.direct.action_make_only_variant()
        self.assertFalse(self.control.active)
        self.assertEqual(
            self.Variant._pick(
                self.stage_first, by_variant[self.control][0].partner_id
            ),
            self.direct,
        )

    def test_small_sample_says_not_enough_data(self):
        """With a few steps per variant the report does not conclude."""
        for index in range(4):
            partner = self.env["res.partner"].create({"name": f"Small {index}"})
            with freeze_time(STEP_DAY):
                make_step(
                    self.env,
                    partner,
                    self.company,
                    self.stage_first,
                    self._invoice(partner=partner, days_late=30),
                )
        with freeze_time(TODAY):
            self.assertIn("Not enough data yet", self.direct.verdict)

    @freeze_time(datetime(2026, 3, 4, 10, 0))
    def test_variant_template_channels_and_hour(self):
        """The direct variant sends SMS where the stage does not, and its mail
        leaves at 23:00 in the company's time zone (Riyadh, UTC+3: 20:00 UTC)."""
        self.company.partner_id.tz = "Asia/Riyadh"
        self.stage_first.send_sms = False
        step = make_step(
            self.env,
            self.customer,
            self.company,
            self.stage_first,
            self._invoice(days_late=10),
        )
        step.variant_id = self.direct
        self.assertTrue(step._followup_sends("sms"))
        step.variant_id = self.control
        self.assertFalse(step._followup_sends("sms"))
        step.variant_id = self.direct
        send_email(step)
        mail = (
            self.env["mail.mail"]
            .sudo()
            .search([("mail_message_id", "=", step.mail_message_id.id)])
        )
        self.assertEqual(mail.scheduled_date, datetime(2026, 3, 4, 20, 0))
        self.assertEqual(step.mail_template_id, self.stage_first.mail_template_id)
