# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import re
from datetime import date, timedelta

from odoo import Command
from odoo.tests import HttpCase

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

# A Wednesday: every test moves time from here with freezegun.
TODAY = date(2026, 3, 4)


def csrf_token_of(html):
    """The CSRF token of the (first) form of a portal page's HTML."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class FollowupCommon(AccountTestInvoicingCommon):
    """Real companies, customers and posted invoices for the follow-up tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.write(
            {
                "followup_weekday_ids": [
                    Command.set(cls.env["invoice.followup.weekday"].search([]).ids)
                ],
                "followup_max_per_week": 0,
                "email": "accounts@company.example.com",
            }
        )
        cls.Stage = cls.env["invoice.followup.stage"]
        cls.Log = cls.env["invoice.followup.log"]
        cls.stages = cls.Stage.search([("company_id", "=", cls.company.id)])
        (
            cls.stage_receipt,
            cls.stage_friendly,
            cls.stage_first,
            cls.stage_second,
            cls.stage_final,
            cls.stage_escalation,
        ) = cls.stages
        cls.country_sa = cls.env.ref("base.sa")
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Gulf Trading Co.",
                "is_company": True,
                "email": "ap@gulf-trading.example.com",
                "mobile": "+966 50 123 4567",
                "country_id": cls.country_sa.id,
            }
        )
        cls.customer_b = cls.env["res.partner"].create(
            {
                "name": "Northwind Ltd",
                "is_company": True,
                "email": "finance@northwind.example.com",
                "mobile": "+44 7700 900123",
                "country_id": cls.env.ref("base.uk").id,
            }
        )
        cls.term_split = cls.env["account.payment.term"].create(
            {
                "name": "30% now, 70% in 60 days",
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 30.0, "nb_days": 0}
                    ),
                    Command.create(
                        {"value": "percent", "value_amount": 70.0, "nb_days": 60}
                    ),
                ],
            }
        )
        cls.term_30 = cls.env["account.payment.term"].create(
            {
                "name": "30 days",
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 100.0, "nb_days": 30}
                    )
                ],
            }
        )

    @classmethod
    def _reason(cls, code):
        """A late-payment reason of the module's list (see its data file)."""
        return cls.env.ref(f"invoice_followup.followup_reason_{code}")

    @classmethod
    def _invoice(
        cls,
        partner=None,
        amount=1000.0,
        days_late=None,
        invoice_date=None,
        term=None,
        currency=None,
        post=True,
        move_type="out_invoice",
        company=None,
    ):
        """A posted customer invoice. ``days_late`` puts its due date that many
        days before TODAY with a 30-day payment term."""
        if days_late is not None:
            invoice_date = TODAY - timedelta(days=days_late + 30)
            term = term or cls.term_30
        company = company or cls.company
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": move_type,
                    "company_id": company.id,
                    "partner_id": (partner or cls.customer).id,
                    "invoice_date": invoice_date or TODAY,
                    "invoice_payment_term_id": term.id if term else False,
                    "currency_id": (currency or company.currency_id).id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Consulting services",
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        if post:
            move.action_post()
        return move

    @classmethod
    def _pay(cls, moves, amount=None, date=None):
        wizard = (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=moves.ids)
            .create(
                {
                    "payment_date": date or TODAY,
                    **({"amount": amount} if amount else {}),
                }
            )
        )
        return wizard._create_payments()

    def _run(self):
        return self.env["account.move"]._cron_invoice_followup()

    def _logs(self, partner=None):
        return self.Log.search([("partner_id", "=", (partner or self.customer).id)])


def make_step(env, partner, company, stage, moves, run_by="user"):
    """A follow-up step (invoice.followup.log) of ``stage`` for ``moves``, made by
    the run's own code but not executed and not the customer's step of the day
    (several fixtures per customer and day)."""
    planned = [
        {
            "partner": partner,
            "company": company,
            "stage": stage,
            "targets": dict.fromkeys(moves, stage),
        }
    ]
    return env["invoice.followup.run"]._create_steps(planned, run_by, day_step=False)


def send_email(step):
    """Only the email channel of ``step``, as the run executes it."""
    for template, steps in step._followup_plan_emails().items():
        step.env["invoice.followup.bulk"]._queue_mails(steps, template)


class FollowupHttpCommon(FollowupCommon, HttpCase):
    """FollowupCommon for the tests that go through the real routes."""

    def _csrf(self, url):
        """Open the portal page ``url`` (it must answer 200) and return the
        CSRF token of its first form."""
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, response.text[:500])
        return csrf_token_of(response.text)

    @classmethod
    def _demo_provider(cls):
        """Odoo's demo payment provider, enabled for the company."""
        provider = cls.env.ref("payment.payment_provider_demo").sudo()
        provider.write({"state": "test", "company_id": cls.company.id})
        return provider

    def _pay_online(self, route, access_token, amount, landing_route="/my/followup"):
        """Pay through the portal's transaction ``route`` as the payment form
        does (the browser asks ``amount``) with the demo provider; the
        transaction is then done and post-processed as the provider's
        notification makes it. Returns the transaction."""
        provider = self._demo_provider()
        result = self.make_jsonrpc_request(
            route,
            {
                "access_token": access_token,
                "provider_id": provider.id,
                "payment_method_id": provider.payment_method_ids[:1].id,
                "token_id": None,
                "amount": amount,
                "flow": "direct",
                "tokenization_requested": False,
                "landing_route": landing_route,
            },
        )
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .search([("reference", "=", result["reference"])])
        )
        tx._set_done()
        tx._post_process()
        return tx

    def _post_answer(self, move, action, data, files=None, token=None):
        """Answer ``move`` through /my/followup/invoice/<id>/<action> as the
        invoice's signed link does: open the form, post it with its CSRF
        token (name "Omar" unless ``data`` says otherwise)."""
        token = move._portal_ensure_token() if token is None else token
        csrf = self._csrf(
            f"/my/followup/invoice/{move.id}/{action}?access_token={token}"
        )
        return self.url_open(
            f"/my/followup/invoice/{move.id}/{action}",
            data={"csrf_token": csrf, "access_token": token, "name": "Omar", **data},
            files=files,
            allow_redirects=False,
        )
