# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import FollowupHttpCommon, csrf_token_of

PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" '
    b'onload="alert(document.cookie)"><script>alert(1)</script></svg>'
)


@tagged("post_install", "-at_install")
class TestPortalSecurity(FollowupHttpCommon):
    """The portal as an attacker tries it, through the real routes: what one
    invoice's link, a follower's login, a forged URL, a flood of answers, an
    upload or an absurd number can and cannot do."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.today()
        cls.move = cls._invoice(
            invoice_date=cls.today - timedelta(days=40), term=cls.term_30, amount=1200.0
        )
        cls.other_move = cls._invoice(
            invoice_date=cls.today - timedelta(days=45), term=cls.term_30, amount=640.0
        )
        cls.move_b = cls._invoice(
            partner=cls.customer_b,
            invoice_date=cls.today - timedelta(days=40),
            term=cls.term_30,
            amount=777.0,
        )
        cls.statement_token = cls.customer._followup_get_access_token()

    def _invoice_url(self, move, action, **params):
        query = "&".join(
            f"{key}={value}"
            for key, value in {
                "access_token": move._portal_ensure_token(),
                **params,
            }.items()
        )
        return f"/my/followup/invoice/{move.id}/{action}?{query}"

    # ------------------------------------------------------------ 1. one invoice's link
    def test_invoice_link_never_leads_to_the_statement(self):
        """Scenario: a branch contact holds the link of one invoice only. Its
        answer page and the page after answering never carry the statement's
        token, and the other invoices of the company stay out of sight."""
        for action in ("confirm", "question", "paid", "promise"):
            page = self.url_open(self._invoice_url(self.move, action))
            self.assertEqual(page.status_code, 200)
            self.assertNotIn(self.statement_token, page.text, action)
            self.assertNotIn(self.other_move.name, page.text, action)
        response = self._post_answer(self.move, "confirm", {})
        self.assertEqual(response.status_code, 303)
        location = response.headers["Location"]
        self.assertNotIn(self.statement_token, location)
        self.assertIn(f"/my/followup/invoice/{self.move.id}/confirm", location)
        thanks = self.url_open(location)
        self.assertIn("Thank you for confirming that the invoice arrived.", thanks.text)
        self.assertNotIn(self.statement_token, thanks.text)
        self.assertNotIn(self.other_move.name, thanks.text)
        self.assertTrue(self.move.followup_receipt_date)

    def test_statement_visitor_keeps_the_statement(self):
        """Scenario: the customer came with the statement link and answers from
        it: back on the statement after answering (it had that token already)."""
        page = self.url_open(
            f"/my/followup?pid={self.customer.id}&access_token={self.statement_token}"
        )
        self.assertIn(f"statement_token={self.statement_token}", page.text)
        url = self._invoice_url(
            self.move,
            "confirm",
            pid=self.customer.id,
            statement_token=self.statement_token,
        )
        form = self.url_open(url)
        self.assertIn(f"access_token={self.statement_token}", form.text)
        response = self.url_open(
            url,
            data={"csrf_token": csrf_token_of(form.text), "name": "Omar"},
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303)
        self.assertIn("/my/followup?pid=", response.headers["Location"])
        statement = self.url_open(response.headers["Location"])
        self.assertIn("Thank you for confirming", statement.text)
        # a statement token of another customer does not open this one's statement
        url = self._invoice_url(
            self.move,
            "confirm",
            pid=self.customer.id,
            statement_token=self.customer_b._followup_get_access_token(),
        )
        self.assertNotIn("/my/followup?pid=", self.url_open(url).text)

    def test_follower_with_junk_token_is_refused(self):
        """Scenario: a portal user of another customer follows the invoice (so
        Odoo's record rules let it read it) and sends a junk token: the answer
        pages refuse it and nothing changes; the statement does not open."""
        intruder = new_test_user(
            self.env,
            "follower_portal",
            groups="base.group_portal",
            partner_id=self.customer_b.id,
        )
        self.move.message_subscribe(partner_ids=self.customer_b.ids)
        self.authenticate(intruder.login, intruder.login)
        url = f"/my/followup/invoice/{self.move.id}/confirm?access_token=junk"
        self.assertEqual(self.url_open(url, allow_redirects=False).status_code, 403)
        csrf = self._csrf("/my/followup")
        post = self.url_open(
            f"/my/followup/invoice/{self.move.id}/confirm",
            data={"csrf_token": csrf, "access_token": "junk", "name": "X"},
            allow_redirects=False,
        )
        self.assertEqual(post.status_code, 403)
        self.assertFalse(self.move.followup_receipt_date)
        statement = self.url_open(
            f"/my/followup?pid={self.customer.id}&access_token=junk",
            allow_redirects=False,
        )
        self.assertEqual(statement.status_code, 403)
        self.assertNotIn(self.move.name, statement.text)

    def test_huge_or_junk_ids_are_refused_cleanly(self):
        """Scenario: ids out of range or junk in the URL: a refusal, never a 500."""
        for url in (
            "/my/followup/invoice/99999999999999999999/confirm?access_token=x",
            "/my/followup/invoice/2147483648/promise?access_token=x",
            f"/my/followup?pid=99999999999999999999&access_token={self.statement_token}",
            "/my/followup?pid=abc&access_token=x",
            "/my/payment_plans/99999999999/accept",
            f"/my/followup/pay?pid={self.customer.id}&access_token={self.statement_token}&currency_id=1e308",
        ):
            response = self.url_open(url, allow_redirects=False)
            self.assertLess(response.status_code, 500, url)

    # ------------------------------------------------------------ 3. uploads
    def test_upload_types_and_size(self):
        """Scenario: a question with an SVG carrying a script, an HTML file
        renamed .pdf and a file above the limit are refused with a clear error
        and nothing is recorded; a real PDF is stored as Odoo stores a portal
        user's upload (not as the superuser) and is served as a PDF."""
        self.env["ir.config_parameter"].sudo().set_param(
            "invoice_followup.upload_max_mb", "0.01"
        )
        data = {
            "request_type": "question",
            "reason": self._reason("disputed").id,
            "note": "See the file.",
        }
        cases = [
            ("drawing.svg", SVG, "This kind of file cannot be attached"),
            (
                "invoice.pdf",
                b"<html><script>alert(1)</script></html>",
                "does not match its type",
            ),
            ("big.pdf", PDF + b"0" * 11000, "The file is too large"),
        ]
        for name, content, message in cases:
            response = self._post_answer(
                self.move, "question", data, files={"attachment": (name, content)}
            )
            self.assertEqual(response.status_code, 400, name)
            self.assertIn(message, response.text, name)
            self.assertFalse(self.move.followup_question_state, name)
        # far above the limit: refused before the body is read, with the way back to the
        # form
        page = self.url_open(self._invoice_url(self.move, "question"))
        big = self.url_open(
            f"/my/followup/invoice/{self.move.id}/question?access_token={self.move.access_token}",
            data={"csrf_token": csrf_token_of(page.text), "name": "Omar", **data},
            files={"attachment": ("big.pdf", PDF + b"0" * 200_000)},
            allow_redirects=False,
        )
        self.assertEqual(big.status_code, 413)
        self.assertIn("The file is too large", big.text)
        self.assertIn(
            f"/my/followup/invoice/{self.move.id}/question?access_token=", big.text
        )
        self.assertFalse(self.move.followup_question_state)
        response = self._post_answer(
            self.move, "question", data, files={"attachment": ("proof.pdf", PDF)}
        )
        self.assertEqual(response.status_code, 303)
        attachment = self.env["ir.attachment"].search(
            [
                ("res_model", "=", "account.move"),
                ("res_id", "=", self.move.id),
                ("name", "=", "proof.pdf"),
            ]
        )
        self.assertEqual(attachment.mimetype, "application/pdf")
        self.assertNotEqual(attachment.create_uid, self.env.ref("base.user_root"))
        self.assertEqual(base64.b64decode(attachment.datas), PDF)

    def test_attachment_created_as_visitor_is_neutralised(self):
        """Scenario: a text file starting like markup is refused; an attachment
        that Odoo stores for a visitor (public user) is never served as HTML."""
        response = self._post_answer(
            self.move,
            "question",
            {
                "request_type": "question",
                "reason": self._reason("other").id,
                "note": "x",
            },
            files={
                "attachment": (
                    "note.txt",
                    b"<html><body onload=alert(1)>hi</body></html>",
                )
            },
        )
        self.assertEqual(response.status_code, 400)
        public = self.env.ref("base.public_user")
        attachment = (
            self.env["ir.attachment"]
            .with_user(public)
            .sudo()
            .create(
                {
                    "name": "page.html",
                    "raw": b"<html><script>alert(1)</script></html>",
                    "res_model": "account.move",
                    "res_id": self.move.id,
                }
            )
        )
        self.assertEqual(attachment.mimetype, "text/plain")

    # ------------------------------------------------------------ 4. flooding
    def test_repeated_questions_return_the_open_one(self):
        """Scenario: the same link posts a question five times: one message, one
        activity, no assignment mail to the accountant; the repeats are told their
        request is being handled. Past the day's limit, a clear error."""
        accountant = new_test_user(
            self.env,
            "fu_acc_flood",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=self.company.ids,
            email="acc@company.example.com",
        )
        self.customer.with_company(self.company).followup_responsible_id = accountant
        self.env["ir.config_parameter"].sudo().set_param(
            "invoice_followup.portal_answers_per_day", "5"
        )
        mails_before = self.env["mail.mail"].search_count(
            [("recipient_ids", "in", accountant.partner_id.ids)]
        )
        data = {
            "request_type": "question",
            "reason": self._reason("disputed").id,
            "note": "Why 12 units?",
        }
        locations = [
            self._post_answer(self.move, "question", data).headers.get("Location")
            for _i in range(5)
        ]
        self.assertIn("done=question", locations[0])
        self.assertTrue(all("done=pending" in location for location in locations[1:]))
        self.assertIn("We already have your request", self.url_open(locations[-1]).text)
        messages = self.move.message_ids.filtered(
            lambda m: "Why 12 units?" in (m.body or "")
        )
        self.assertEqual(len(messages), 1)
        self.assertEqual(len(self.move.activity_ids), 1)
        mails_after = self.env["mail.mail"].search_count(
            [("recipient_ids", "in", accountant.partner_id.ids)]
        )
        self.assertEqual(mails_after, mails_before)
        sixth = self._post_answer(self.move, "paid", {"note": "Paid yesterday"})
        self.assertEqual(sixth.status_code, 400)
        self.assertIn("You sent us many answers today", sixth.text)

    def test_repeated_plan_requests_return_the_open_one(self):
        """Scenario: the statement link posts a payment plan request, then the
        same request again, then opens the request form again: one plan, one
        activity for the accountant; the repeats lead to the plan waiting."""
        self.company.payment_plan_max_amount = (
            1.0  # outside the policy: waits for an accountant
        )
        self.company.followup_responsible_id = new_test_user(
            self.env,
            "fu_acc_plans",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        url = (
            f"/my/payment_plans/request?pid={self.customer.id}"
            f"&access_token={self.statement_token}"
        )
        page = self.url_open(url)
        self.assertIn('class="o_plan_request"', page.text)
        data = {
            "csrf_token": csrf_token_of(page.text.split('class="o_plan_request"')[1]),
            "pid": self.customer.id,
            "access_token": self.statement_token,
            "instalments": "3",
        }
        first = self.url_open(
            "/my/payment_plans/request", data=data, allow_redirects=False
        )
        again = self.url_open(
            "/my/payment_plans/request", data=data, allow_redirects=False
        )
        form = self.url_open(url, allow_redirects=False)
        plans = self.env["invoice.payment.plan"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(len(plans), 1)
        self.assertEqual(len(plans.activity_ids), 1)
        for response in (first, again, form):
            self.assertEqual(response.status_code, 303)
            self.assertIn(
                f"/my/payment_plans/{plans.id}?", response.headers["Location"]
            )
        self.assertIn(
            "an accountant will review it",
            self.url_open(first.headers["Location"]).text,
        )

    # ------------------------------------------------------------ 5. words from the URL
    def test_banners_come_from_the_server(self):
        """Scenario: a real link with made-up banner texts in its query string:
        none of them is shown, on the statement, the answer page or a plan."""
        forged = "Our bank changed: pay to IBAN XX00 1234"
        statement = self.url_open(
            f"/my/followup?pid={self.customer.id}&access_token={self.statement_token}"
            f"&message={forged}&error={forged}&done={forged}"
        )
        self.assertEqual(statement.status_code, 200)
        self.assertNotIn("IBAN XX00", statement.text)
        answer = self.url_open(
            self._invoice_url(
                self.move, "promise", error=forged, message=forged, done=forged
            )
        )
        self.assertNotIn("IBAN XX00", answer.text)
        plan = self.env["invoice.payment.plan"].create(
            self.env["invoice.payment.plan"]._prepare_plan_values(
                self.move, 2, self.today + timedelta(days=7)
            )
        )
        plan.action_propose()
        page = self.url_open(
            f"{plan.get_portal_url()}&message={forged}&error={forged}&done={forged}"
        )
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("IBAN XX00", page.text)

    # ------------------------------------------------------------ 6. absurd numbers
    def test_absurd_amounts_and_dates_get_the_form_error(self):
        """Scenario: a promise with inf, 1e308, nan, a negative, a zero, letters,
        a malformed or far-off date: each time the form with a translated error
        (HTTP 400, never 500) and no promise recorded."""
        good_date = fields.Date.to_string(self.today + timedelta(days=5))
        cases = [
            (
                {"date": good_date, "amount": "inf"},
                "Please enter an amount greater than zero",
            ),
            (
                {"date": good_date, "amount": "1e308"},
                "Please enter an amount greater than zero",
            ),
            (
                {"date": good_date, "amount": "nan"},
                "Please enter an amount greater than zero",
            ),
            (
                {"date": good_date, "amount": "-5"},
                "Please enter an amount greater than zero",
            ),
            (
                {"date": good_date, "amount": "0"},
                "Please enter an amount greater than zero",
            ),
            (
                {"date": good_date, "amount": "12abc"},
                "Please enter an amount greater than zero",
            ),
            ({"date": good_date, "amount": "5000"}, "at most the amount due"),
            ({"date": "2026-13-45"}, "Please choose a valid date."),
            ({"date": "99999-01-01"}, "Please choose a valid date."),
            ({"date": "2199-01-01"}, "Please choose a date between today and"),
            ({"date": ""}, "Please choose a valid date."),
        ]
        for data, message in cases:
            response = self._post_answer(self.move, "promise", data)
            self.assertEqual(response.status_code, 400, data)
            self.assertIn(message, response.text, data)
            self.assertFalse(self.move.followup_promise_date, data)
        page = self.url_open(
            f"/my/payment_plans/request?pid={self.customer.id}&access_token={self.statement_token}"
            "&instalments=inf"
        )
        self.assertEqual(page.status_code, 200)
        self.assertIn("Please choose a number of instalments from the list.", page.text)

    # ------------------------------------------------------------ 7. token rotation
    def test_renewed_link_refuses_the_old_one_and_sends_a_new_one(self):
        """Scenario: an accountant renews the customer's link: the old statement
        and SMS links show "no longer valid" with a button that mails the new
        link to the address on file (once a day); the new link works."""
        old = self.statement_token
        manager = new_test_user(
            self.env,
            "fu_manager",
            groups="account.group_account_manager",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        self.customer.with_user(manager).action_followup_renew_link()
        new = self.customer._followup_get_access_token()
        self.assertNotEqual(old, new)
        refused = self.url_open(
            f"/my/followup?pid={self.customer.id}&access_token={old}",
            allow_redirects=False,
        )
        self.assertEqual(refused.status_code, 403)
        self.assertIn("This link is no longer valid", refused.text)
        self.assertNotIn(self.move.name, refused.text)
        self.assertEqual(
            self.url_open(f"/f/{old}", allow_redirects=False).status_code, 403
        )
        self.assertIn(
            self.move.name,
            self.url_open(
                f"/my/followup?pid={self.customer.id}&access_token={new}"
            ).text,
        )
        Mail = self.env["mail.mail"]
        before = Mail.search_count([("recipient_ids", "in", self.customer.ids)])
        for _i in range(2):
            response = self.url_open(
                "/my/followup/new_link",
                data={
                    "csrf_token": csrf_token_of(refused.text),
                    "pid": self.customer.id,
                },
            )
            self.assertIn(
                "a new link was sent to the email address we have on file",
                response.text,
            )
        mails = Mail.search(
            [("recipient_ids", "in", self.customer.ids)], order="id desc"
        )
        self.assertEqual(len(mails), before + 1)
        self.assertIn(new, mails[0].body_html)
        self.assertNotIn(old, mails[0].body_html)
        # unknown customers get the same answer and no mail
        response = self.url_open(
            "/my/followup/new_link",
            data={"csrf_token": csrf_token_of(refused.text), "pid": "999999"},
        )
        self.assertIn("a new link was sent", response.text)

    def test_token_is_bound_to_its_commercial_partner(self):
        """Scenario: a company that had a statement link becomes a contact of
        another company: its old link opens neither statement."""
        branch = self.env["res.partner"].create(
            {
                "name": "Gulf Branch",
                "is_company": True,
                "email": "branch@gulf.example.com",
            }
        )
        self._invoice(
            partner=branch,
            invoice_date=self.today - timedelta(days=40),
            term=self.term_30,
        )
        token = branch._followup_get_access_token()
        self.assertEqual(
            self.url_open(
                f"/my/followup?pid={branch.id}&access_token={token}"
            ).status_code,
            200,
        )
        branch.write({"parent_id": self.customer.id, "is_company": False})
        response = self.url_open(
            f"/my/followup?pid={branch.id}&access_token={token}", allow_redirects=False
        )
        self.assertEqual(response.status_code, 403)
        self.assertNotIn(self.move.name, response.text)
        response = self.url_open(
            f"/my/followup?pid={self.customer.id}&access_token={token}",
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 403)

    def test_renew_link_needs_a_manager(self):
        """Scenario: a billing user cannot renew a customer's link (refused, the
        link still works); an accounting manager can (the link changes)."""
        billing = new_test_user(
            self.env,
            "fu_billing",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        with self.assertRaisesRegex(AccessError, "Only accounting managers can renew"):
            self.customer.with_user(billing).action_followup_renew_link()
        self.assertEqual(
            self.customer._followup_get_access_token(), self.statement_token
        )
        self.assertEqual(
            self.url_open(
                f"/my/followup?pid={self.customer.id}&access_token={self.statement_token}",
                allow_redirects=False,
            ).status_code,
            200,
        )
        manager = new_test_user(
            self.env,
            "fu_renewer",
            groups="account.group_account_manager",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        self.customer.with_user(manager).action_followup_renew_link()
        self.assertNotEqual(
            self.customer._followup_get_access_token(), self.statement_token
        )

    def test_plan_pages_refuse_a_follower(self):
        """Scenario: a logged-in user of another customer follows a plan and
        opens it with a junk token: refused."""
        plan = self.env["invoice.payment.plan"].create(
            self.env["invoice.payment.plan"]._prepare_plan_values(
                self.move, 2, self.today + timedelta(days=7)
            )
        )
        plan.action_propose()
        plan.message_subscribe(partner_ids=self.customer_b.ids)
        intruder = new_test_user(
            self.env,
            "plan_follower",
            groups="base.group_portal",
            partner_id=self.customer_b.id,
        )
        self.authenticate(intruder.login, intruder.login)
        response = self.url_open(
            f"/my/payment_plans/{plan.id}?access_token=junk", allow_redirects=False
        )
        self.assertEqual(response.status_code, 303)
        self.assertNotIn(plan.name, response.text)
        csrf = self._csrf("/my/followup")
        accept = self.url_open(
            f"/my/payment_plans/{plan.id}/accept",
            data={"csrf_token": csrf, "access_token": "junk", "name": "X"},
            allow_redirects=False,
        )
        self.assertEqual(accept.status_code, 403)
        self.assertEqual(plan.state, "proposed")
