# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from .common import (
    TODAY,
    FollowupCommon,
    FollowupHttpCommon,
    csrf_token_of,
    make_step,
    send_email,
)

# TODAY is Wednesday 4 March 2026; D0 is Friday 23 January
D0 = TODAY - timedelta(days=40)


def at(day, hour=9, minute=30):
    return datetime.combine(day, datetime.min.time()).replace(hour=hour, minute=minute)


@tagged("post_install", "-at_install")
class TestFollowupEffect(FollowupCommon):
    """What happened after each step, attributed to the last step before each
    event, with real invoices, payments, credit notes and answers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "Asia/Riyadh"  # UTC+3
        cls.customer.payment_risk_override = "high"
        cls.company.followup_default_risk = "low"
        cls.Effect = cls.env["invoice.followup.effect"]
        # Gulf Trading: 1,000 and 500 overdue on D0; Northwind 600
        cls.inv1 = cls._invoice(
            amount=1000, invoice_date=D0 - timedelta(days=40), term=cls.term_30
        )
        cls.inv2 = cls._invoice(
            amount=500, invoice_date=D0 - timedelta(days=40), term=cls.term_30
        )
        cls.inv_n = cls._invoice(
            partner=cls.customer_b,
            amount=600,
            invoice_date=D0 - timedelta(days=40),
            term=cls.term_30,
        )

    def _step(self, partner, moves, stage=None):
        """A step made now (frozen time); PostgreSQL stamps its create_date with
        its own clock, which freezegun does not move: set it as it would be."""
        step = make_step(
            self.env, partner, self.company, stage or self.stage_first, moves
        )
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE invoice_followup_log SET create_date = %s WHERE id = %s",
            (fields.Datetime.now(), step.id),
        )
        step.invalidate_recordset(["create_date"])
        return step

    def test_payments_go_to_the_last_step_before_them(self):
        """Scenario: step A on D0 (Friday, 09:30 UTC = 12:30 in Riyadh) claims
        both Gulf Trading invoices, 1,500, by email and SMS. Gulf Trading pays
        700 of the first on D0+5 and the 300 left on D0+8; step B on D0+10
        claims the 500 left, paid on D0+20. By hand: A was followed by 700
        within 7 days and 1,000 within 14 and 30 (a share of 2/3 of 1,500,
        paid in part); the 500 goes to B, the last step before it: paid in 10
        days, all of it. Northwind's step on D0 was followed by a credit note
        only, which is not cash: nothing, after 40 days."""
        with freeze_time(at(D0)):
            step_a = self._step(self.customer, self.inv1 | self.inv2)
            step_a.write({"email_state": "sent", "sms_state": "sent"})
            step_n = self._step(self.customer_b, self.inv_n)
        self._pay(self.inv1, amount=700, date=D0 + timedelta(days=5))
        self._pay(self.inv1, amount=300, date=D0 + timedelta(days=8))
        with freeze_time(at(D0 + timedelta(days=10), hour=6)):
            step_b = self._step(self.customer, self.inv2, stage=self.stage_second)
        self._pay(self.inv2, date=D0 + timedelta(days=20))
        credit = self._invoice(
            partner=self.customer_b,
            amount=200,
            invoice_date=D0 + timedelta(days=3),
            move_type="out_refund",
        )
        (credit | self.inv_n).line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        ).reconcile()
        self.assertEqual(self.inv_n.amount_residual, 400)
        self.assertEqual(step_a.amount_due, 1500)

        with freeze_time(at(TODAY, hour=22)):
            self.Effect._refresh()

        self.assertEqual(
            (step_a.paid_7_amount, step_a.paid_14_amount, step_a.paid_30_amount),
            (700, 1000, 1000),
        )
        self.assertAlmostEqual(step_a.paid_14_share, 2 / 3, places=4)
        self.assertAlmostEqual(step_a.paid_7_share, 700 / 1500, places=4)
        self.assertEqual(step_a.outcome, "part_paid")
        self.assertEqual(step_a.channel_mix, "email+sms")
        self.assertEqual((step_a.sent_weekday, step_a.sent_hour), ("5", 12))
        self.assertEqual(step_a.risk_band, "high")
        self.assertEqual(step_a.lang, "en_US")
        self.assertEqual(
            (step_b.paid_7_amount, step_b.paid_14_amount, step_b.paid_30_amount),
            (0, 500, 500),
        )
        self.assertEqual(step_b.paid_14_share, 1)
        self.assertEqual(step_b.outcome, "paid")
        self.assertEqual(step_b.channel_mix, "none")
        self.assertEqual((step_b.sent_weekday, step_b.sent_hour), ("1", 9))
        self.assertEqual(step_n.paid_30_amount, 0)
        self.assertEqual(step_n.outcome, "nothing")
        # no history: the company's default band
        self.assertEqual(step_n.risk_band, "low")

    def test_answers_promises_and_waiting(self):
        """Scenario: three days ago Gulf Trading and Northwind each got a step.
        Northwind promises to pay 300 next week (through the model the portal
        calls) and later asks a question: the first answer is the promise, the
        outcome "promised". Gulf Trading did nothing yet: "waiting", as 30 days
        have not passed. A week later, still nothing from Gulf Trading: the
        daily run's refresh keeps it waiting."""
        day = TODAY - timedelta(days=3)
        with freeze_time(at(day)):
            step_gulf = self._step(self.customer, self.inv1)
            step_n = self._step(self.customer_b, self.inv_n)
        with freeze_time(at(TODAY)):
            self.inv_n._followup_promise(TODAY + timedelta(days=7), 300.0, "Lena")
        with freeze_time(at(TODAY, hour=11)):
            self.inv_n._followup_ask(
                "question", self._reason("missing_po"), "Which order is this?", "Lena"
            )
            self.Effect._refresh()
        self.assertEqual(step_n.answer_kind, "promise")
        self.assertTrue(step_n.promised)
        self.assertEqual(step_n.outcome, "promised")
        self.assertEqual(step_gulf.outcome, "waiting")
        self.assertFalse(step_gulf.answer_kind)
        with freeze_time(at(TODAY + timedelta(days=7), hour=22)):
            self.env["invoice.followup.run"]._refresh_insight()
        self.assertEqual(step_gulf.outcome, "waiting")
        self.assertEqual(step_gulf.effect_date, TODAY + timedelta(days=7))

    def test_old_steps_keep_their_figures_until_asked(self):
        """Steps older than the refresh window keep what they had; the
        accountant's "recompute every step" reaches them."""
        with freeze_time(at(D0 - timedelta(days=30))):
            old = self._step(self.customer, self.inv1)
        self._pay(self.inv1, date=D0 - timedelta(days=25))
        with freeze_time(at(TODAY)):
            self.Effect._refresh()
            self.assertFalse(old.outcome)
            self.Effect._action_refresh_all()
        self.assertEqual(old.outcome, "paid")  # before their due date, in 5 days
        self.assertEqual(old.paid_7_amount, 1000)


@tagged("post_install", "-at_install")
class TestFollowupEffectPortal(FollowupHttpCommon):
    """The customer's visits and online payments through the real routes."""

    def test_link_opened_and_paid_online(self):
        """Scenario: after today's step, the customer opens its signed
        statement link and pays all its overdue invoices online with the demo
        provider. The step reads: opened, paid online, paid (all of it within 7
        days). A visit with a wrong token, and this token with another
        customer's id, open nothing. A second visit keeps the first
        visit's time."""
        today = fields.Date.today()
        first = self._invoice(
            invoice_date=today - timedelta(days=40), term=self.term_30, amount=300.0
        )
        step = make_step(self.env, self.customer, self.company, self.stage_first, first)
        other = make_step(
            self.env,
            self.customer_b,
            self.company,
            self.stage_first,
            self._invoice(
                partner=self.customer_b,
                invoice_date=today - timedelta(days=40),
                term=self.term_30,
            ),
        )
        token = self.customer._followup_get_access_token()
        wrong = self.url_open(f"/my/followup?pid={self.customer.id}&access_token=nope")
        self.assertEqual(wrong.status_code, 403)
        self.assertFalse(step.opened_date)
        page = self.url_open(
            f"/my/followup?pid={self.customer.id}&access_token={token}"
        )
        self.assertEqual(page.status_code, 200)
        self.assertTrue(step.opened_date)
        opened = step.opened_date
        self.url_open(f"/my/followup?pid={self.customer.id}&access_token={token}")
        step.invalidate_recordset()
        self.assertEqual(step.opened_date, opened)
        # Gulf Trading's token on Northwind's statement
        refused = self.url_open(
            f"/my/followup?pid={self.customer_b.id}&access_token={token}"
        )
        self.assertEqual(refused.status_code, 403)
        other.invalidate_recordset()
        self.assertFalse(other.opened_date)

        self._pay_online(
            f"/my/followup/pay/transaction/{self.customer.id}/{self.company.currency_id.id}",
            token,
            300.0,
        )
        self.env["invoice.followup.effect"]._refresh()
        self.assertTrue(step.paid_online)
        self.assertEqual(step.paid_7_amount, 300)
        self.assertEqual(step.outcome, "paid")
        self.assertFalse(other.paid_online)
        self.assertEqual(other.outcome, "waiting")


@tagged("post_install", "-at_install")
class TestFollowupFeedback(FollowupHttpCommon):
    """Customers say whether a reminder helped, through Odoo's rating pages,
    from the link at the end of the mail or from their statement."""

    def test_reminder_feedback_from_the_mail(self):
        """Scenario: a reminder is mailed; its last line asks "Was this reminder
        helpful?". The customer clicks "No", lands on Odoo's rating page, and
        sends a comment. The rating is on the step, its stage is the parent,
        the template is the stage's; the responsible gets an activity on the
        customer; the statement stops asking. Another customer's token, another
        customer's step, or a rate outside 1/3/5 open nothing."""
        accountant = self.env["res.users"].create(
            {
                "name": "Huda Accountant",
                "login": "huda_fb",
                "email": "huda@company.example.com",
                "groups_id": [
                    (6, 0, [self.env.ref("account.group_account_invoice").id])
                ],
            }
        )
        self.customer.with_company(self.company).followup_responsible_id = accountant
        move = self._invoice(days_late=10)
        step = make_step(self.env, self.customer, self.company, self.stage_first, move)
        send_email(step)
        mail = (
            self.env["mail.mail"]
            .sudo()
            .search([("mail_message_id", "=", step.mail_message_id.id)])
        )
        self.assertIn("Was this reminder helpful?", mail.body_html)
        link = step._get_followup_rate_url(1)
        self.assertIn(f"/my/followup/rate/{step.id}/1?", link)
        self.assertIn(link.replace("&", "&amp;"), mail.body_html)
        path = link[len(step.get_base_url()) :]
        # the statement asks too, until the customer answers
        token = self.customer._followup_get_access_token()
        statement = self.url_open(
            f"/my/followup?pid={self.customer.id}&access_token={token}"
        )
        self.assertIn(f"/my/followup/rate/{step.id}/5", statement.text)

        other_step = make_step(
            self.env,
            self.customer_b,
            self.company,
            self.stage_first,
            self._invoice(partner=self.customer_b, days_late=10),
        )
        other_token = self.customer_b._followup_get_access_token()
        for refused in (
            f"/my/followup/rate/{step.id}/1?pid={self.customer_b.id}"
            f"&access_token={other_token}",
            f"/my/followup/rate/{other_step.id}/1?pid={self.customer.id}"
            f"&access_token={token}",
            f"/my/followup/rate/{step.id}/2?pid={self.customer.id}"
            f"&access_token={token}",
            f"/my/followup/rate/{step.id}/1?pid={self.customer.id}&access_token=x",
        ):
            response = self.url_open(refused, allow_redirects=False)
            self.assertIn(response.status_code, (403, 404), refused)
        self.assertFalse(other_step.sudo().rating_ids)

        response = self.url_open(path, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        rating = step.sudo().rating_ids
        self.assertEqual(len(rating), 1)
        self.assertTrue(
            response.headers["Location"].endswith(f"/rate/{rating.access_token}/1")
        )
        page = self.url_open(f"/rate/{rating.access_token}/1")
        self.assertEqual(page.status_code, 200)
        answer = self.url_open(
            f"/rate/{rating.access_token}/submit_feedback",
            data={
                "csrf_token": csrf_token_of(page.text),
                "rate": "1",
                "feedback": "Too many reminders for an invoice I disputed.",
            },
        )
        self.assertEqual(answer.status_code, 200)
        rating.invalidate_recordset()
        self.assertTrue(rating.consumed)
        self.assertEqual(rating.rating, 1)
        self.assertEqual(rating.parent_res_model, "invoice.followup.stage")
        self.assertEqual(rating.parent_res_id, self.stage_first.id)
        self.assertEqual(rating.followup_template_id, self.stage_first.mail_template_id)
        self.assertEqual(rating.rated_partner_id, accountant.partner_id)
        self.stage_first.invalidate_recordset()
        self.assertEqual(self.stage_first.rating_count, 1)
        self.assertEqual(self.stage_first.rating_percentage_satisfaction, 0)
        activity = self.customer.activity_ids.filtered(
            lambda a: a.user_id == accountant
            and "found a reminder unhelpful" in (a.summary or "")
        )
        self.assertEqual(len(activity), 1)
        self.assertIn("Too many reminders", activity.note)
        statement = self.url_open(
            f"/my/followup?pid={self.customer.id}&access_token={token}"
        )
        self.assertNotIn(f"/my/followup/rate/{step.id}/5", statement.text)

    def test_happy_feedback_makes_no_activity(self):
        """A "Yes" with a kind word is recorded and gives nobody work."""
        step = make_step(
            self.env,
            self.customer,
            self.company,
            self.stage_first,
            self._invoice(days_late=10),
        )
        rating_token = step._followup_rating_token()
        step.sudo().rating_apply(5, token=rating_token, feedback="Clear, thanks")
        self.assertEqual(step.sudo().rating_ids.rating, 5)
        self.assertFalse(
            self.customer.activity_ids.filtered(
                lambda a: "unhelpful" in (a.summary or "")
            )
        )
