# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The customer's portal pages reached from a signed link or a login: the
statement, the invoice answers, preferences and the short SMS link. Over 400
lines because each route is thin but the pages are many; access is checked in
controllers/access.py, the values come from invoice.followup.document."""

from werkzeug.exceptions import Forbidden
from werkzeug.urls import url_encode

from odoo import fields, http
from odoo.exceptions import MissingError, UserError, ValidationError
from odoo.http import content_disposition, request
from odoo.tools.translate import LazyTranslate

from odoo.addons.portal.controllers.portal import CustomerPortal

from ..tools.portal_input import parse_amount, parse_date
from ..tools.uploads import ACCEPT, max_upload_text, read_upload
from .access import (
    InvalidLink,
    followup_invoice,
    followup_partner,
    parse_id,
    statement_params,
    use_customer_language,
)

_lt = LazyTranslate(__name__)

INVOICE_ACTIONS = ("confirm", "question", "paid", "promise")
# The only texts a banner shows: chosen by a code in the URL, never taken from it.
DONE_MESSAGES = {
    "confirm": _lt("Thank you for confirming that the invoice arrived."),
    "question": _lt("Thank you: your message reached us and we will answer soon."),
    "paid": _lt("Thank you: your message reached us and we will answer soon."),
    "promise": _lt("Thank you: we noted your promise to pay."),
    "pending": _lt(
        "We already have your request about this invoice: we will answer it soon."
    ),
    "preferences": _lt("Your contact preferences are saved."),
}


def done_message(code):
    message = DONE_MESSAGES.get(code or "")
    return str(message) if message else None


def error_text(error):
    return error.args[0] if error.args else str(error)


class FollowupPortal(CustomerPortal):
    """Customer side of the follow-up: the statement, answers on invoices and
    contact preferences. Access (controllers/access.py): a logged-in portal
    user for its own commercial entity, or the signed link of a follow-up mail
    or SMS; an invoice's link opens that invoice only."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "followup_count" in counters:
            user = request.env.user
            count = 0
            if not user._is_public():
                partner = user.partner_id.commercial_partner_id.sudo()
                count = len(partner._followup_open_invoices(all_companies=True))
            values["followup_count"] = count
        return values

    def _followup_refused(self, error=None):
        """An outdated or wrong signed link (InvalidLink): a page that says so
        and offers a new link by mail; else the login page for a visitor."""
        if isinstance(error, InvalidLink):
            partner = (
                request.env["res.partner"]
                .sudo()
                .browse(error.partner_id or [])
                .exists()
            )
            if partner:
                use_customer_language(partner)
            values = self._prepare_portal_layout_values()
            values.update(
                {"page_name": "followup", "pid": error.partner_id, "sent": False}
            )
            return request.render(
                "invoice_followup.portal_followup_link_invalid", values, status=403
            )
        if request.env.user._is_public():
            return request.redirect("/web/login?redirect=/my/followup")
        raise Forbidden()

    # ------------------------------------------------------------------
    # Statement
    # ------------------------------------------------------------------
    def _followup_statement_page(
        self, partner, access_token, done=None, error=None, status=200
    ):
        use_customer_language(partner)
        values = self._prepare_portal_layout_values()
        values.update(
            request.env["invoice.followup.document"].sudo()._portal_values(partner)
        )
        values.update(
            {
                "page_name": "followup",
                "partner": partner,
                "access_token": access_token,
                "query": "?" + url_encode(statement_params(partner, access_token))
                if access_token
                else "",
                "message": done_message(done),
                "error": error,
                "logged_in": not request.env.user._is_public(),
                "feedback_step": request.env["invoice.followup.log"]
                .sudo()
                ._followup_to_rate(partner),
            }
        )
        return request.render(
            "invoice_followup.portal_followup_statement", values, status=status
        )

    @http.route("/my/followup", type="http", auth="public", website=True, sitemap=False)
    def portal_followup_statement(self, pid=None, access_token=None, done=None, **kw):
        try:
            partner = followup_partner(pid, access_token)
        except Forbidden as error:
            return self._followup_refused(error)
        if access_token:
            request.env["invoice.followup.log"].sudo()._followup_mark_opened(partner)
        return self._followup_statement_page(partner, access_token, done=done)

    @http.route(
        "/my/followup/rate/<int:step_id>/<int:rate>",
        type="http",
        auth="public",
        website=True,
        methods=["GET"],
        sitemap=False,
    )
    def portal_followup_rate(self, step_id, rate, pid=None, access_token=None, **kw):
        """Whether a reminder helped: Odoo's rating page for the step, for its
        customer only (signed link or login)."""
        try:
            partner = followup_partner(pid, access_token)
        except Forbidden as error:
            return self._followup_refused(error)
        step = request.env["invoice.followup.log"].sudo().browse(step_id).exists()
        if rate not in (1, 3, 5) or not step or step.partner_id != partner:
            return request.not_found()
        return request.redirect(f"/rate/{step._followup_rating_token()}/{rate}")

    @http.route(
        "/f/<string:token>", type="http", auth="public", website=True, sitemap=False
    )
    def portal_followup_short_link(self, token, **kw):
        """The short link of an SMS: redirect to the signed statement."""
        partner = (
            request.env["res.partner"]
            .sudo()
            .search([("followup_access_token", "=", token)], limit=1)
            if 12 <= len(token) <= 64
            else request.env["res.partner"]
        )
        if not partner or not partner._followup_check_access_token(token):
            return self._followup_refused(InvalidLink())
        return request.redirect(
            "/my/followup?" + url_encode({"pid": partner.id, "access_token": token})
        )

    @http.route(
        "/my/followup/new_link",
        type="http",
        auth="public",
        website=True,
        methods=["POST"],
        sitemap=False,
    )
    def portal_followup_new_link(self, pid=None, **kw):
        """Someone with an outdated link asks for a new one: it goes to the
        customer's address on file. The answer is the same whoever asks."""
        partner = request.env["res.partner"].sudo().browse(parse_id(pid) or []).exists()
        if partner:
            partner._followup_send_new_link()
        values = self._prepare_portal_layout_values()
        values.update({"page_name": "followup", "pid": None, "sent": True})
        return request.render("invoice_followup.portal_followup_link_invalid", values)

    @http.route(
        "/my/followup/statement.pdf",
        type="http",
        auth="public",
        website=True,
        sitemap=False,
    )
    def portal_followup_statement_pdf(self, pid=None, access_token=None, **kw):
        """The statement of account as a PDF, in the customer's language."""
        try:
            partner = followup_partner(pid, access_token)
        except Forbidden as error:
            return self._followup_refused(error)
        use_customer_language(partner)
        company = (
            partner._followup_open_invoices(all_companies=True).company_id[:1]
            or request.env.company
        )
        content, content_type = (
            request.env["ir.actions.report"]
            .sudo()
            .with_company(company)
            ._render_qweb_pdf(
                "invoice_followup.action_report_partner_statement", partner.ids
            )
        )
        filename = request.env._(
            "Statement of account - %(name)s.pdf", name=partner.name
        )
        mimetype = (
            "application/pdf" if content_type == "pdf" else "text/html; charset=utf-8"
        )
        return request.make_response(
            content,
            headers=[
                ("Content-Type", mimetype),
                ("Content-Disposition", content_disposition(filename)),
            ],
        )

    # ------------------------------------------------------------------
    # Answers on one invoice
    # ------------------------------------------------------------------
    @staticmethod
    def _followup_statement_link(move, is_customer, pid=None, statement_token=None):
        """The way from an invoice's page back to its customer's statement, or
        None: only for a login of that customer or a visitor who came from the
        statement with its token (an invoice's own token never leads there)."""
        if is_customer:
            return {}
        partner = move.commercial_partner_id
        if (
            statement_token
            and parse_id(pid) == partner.id
            and partner._followup_check_access_token(statement_token)
        ):
            return statement_params(partner, statement_token)
        return None

    def _followup_answer_access(
        self, move_id, action, access_token, pid, statement_token
    ):
        """(invoice, way back to the statement or None, None), or (None, None,
        the response refusing the visitor)."""
        if action not in INVOICE_ACTIONS:
            return None, None, request.not_found()
        try:
            move, is_customer = followup_invoice(move_id, access_token)
        except (Forbidden, MissingError):
            return None, None, self._followup_refused()
        return (
            move,
            self._followup_statement_link(move, is_customer, pid, statement_token),
            None,
        )

    def _followup_answer_page(
        self, move, action, access_token, statement, done=None, error=None, status=200
    ):
        use_customer_language(move.commercial_partner_id)
        values = self._prepare_portal_layout_values()
        today = fields.Date.context_today(move)
        values.update(
            {
                "page_name": "followup_answer",
                "move": move,
                "action": action,
                "access_token": access_token,
                "form_query": "?"
                + url_encode(
                    {
                        "access_token": access_token or "",
                        **(
                            {
                                "pid": statement["pid"],
                                "statement_token": statement["access_token"],
                            }
                            if statement
                            else {}
                        ),
                    }
                ),
                "message": done_message(done),
                "error": error,
                "reasons": request.env[
                    "invoice.followup.reason"
                ]._followup_portal_reasons(),
                "default_name": request.env.user.name
                if not request.env.user._is_public()
                else "",
                "min_date": fields.Date.to_string(today),
                "max_date": fields.Date.to_string(move._followup_promise_limit()),
                "accept": ACCEPT,
                "max_upload_mb": max_upload_text(request.env),
                # an invoice's link leads back to the invoice, never to the statement
                "back_url": "/my/followup"
                + ("?" + url_encode(statement) if statement else "")
                if statement is not None
                else move.get_portal_url(),
                "back_is_statement": statement is not None,
            }
        )
        return request.render(
            "invoice_followup.portal_followup_answer", values, status=status
        )

    @http.route(
        "/my/followup/invoice/<int:move_id>/<string:action>",
        type="http",
        auth="public",
        website=True,
        methods=["GET"],
        sitemap=False,
    )
    def portal_followup_invoice_form(
        self,
        move_id,
        action,
        access_token=None,
        done=None,
        pid=None,
        statement_token=None,
        **kw,
    ):
        move, statement, refusal = self._followup_answer_access(
            move_id, action, access_token, pid, statement_token
        )
        if refusal:
            return refusal
        if access_token:
            request.env["invoice.followup.log"].sudo()._followup_mark_opened(
                move.commercial_partner_id
            )
        return self._followup_answer_page(
            move, action, access_token, statement, done=done
        )

    @http.route(
        "/my/followup/invoice/<int:move_id>/<string:action>",
        type="http",
        auth="public",
        website=True,
        methods=["POST"],
        sitemap=False,
        followup_upload=True,
    )
    def portal_followup_invoice_submit(
        self, move_id, action, access_token=None, pid=None, statement_token=None, **post
    ):
        move, statement, refusal = self._followup_answer_access(
            move_id, action, access_token, pid, statement_token
        )
        if refusal:
            return refusal
        try:
            # an answer refused by a check does not count against the day's limit
            with request.env.cr.savepoint():
                move._followup_count_answer()
                done = self._followup_answer(move, action, post)
        except (UserError, ValidationError) as error:
            return self._followup_answer_page(
                move,
                action,
                access_token,
                statement,
                error=error_text(error),
                status=400,
            )
        if statement is not None:
            return request.redirect(
                "/my/followup?" + url_encode({**statement, "done": done})
            )
        query = url_encode({"access_token": access_token, "done": done})
        return request.redirect(f"/my/followup/invoice/{move.id}/{action}?{query}")

    def _followup_answer(self, move, action, post):
        """Apply the customer's answer; the code of the banner to show."""
        user = request.env.user
        name = (
            (post.get("name") or "").strip()[:128]
            or (not user._is_public() and user.name)
            or ""
        )
        if not name:
            raise UserError(request.env._("Please tell us your name."))
        if action == "confirm":
            move._followup_confirm_receipt(name)
            return "confirm"
        reason = request.env["invoice.followup.reason"]._followup_from_post(
            post.get("reason")
        )
        if action == "promise":
            move._followup_promise(
                parse_date(request.env, post.get("date")),
                parse_amount(request.env, post.get("amount")),
                name,
                reason,
            )
            return "promise"
        attachments = read_upload(
            request.env, request.httprequest.files.get("attachment")
        )
        new = move._followup_ask(
            "paid" if action == "paid" else post.get("request_type") or "question",
            reason,
            (post.get("note") or "").strip()[:5000],
            name,
            attachments,
        )
        return action if new else "pending"

    # ------------------------------------------------------------------
    # Contact preferences
    # ------------------------------------------------------------------
    @http.route(
        "/my/followup/preferences",
        type="http",
        auth="public",
        website=True,
        methods=["POST"],
        sitemap=False,
    )
    def portal_followup_preferences(self, pid=None, access_token=None, **post):
        try:
            partner = followup_partner(pid, access_token)
        except Forbidden as error:
            return self._followup_refused(error)
        try:
            with request.env.cr.savepoint():
                partner._followup_count_answer()
                partner._followup_set_preferences(
                    use_email=bool(post.get("use_email")),
                    use_sms=bool(post.get("use_sms")),
                    use_whatsapp=bool(post.get("use_whatsapp"))
                    if post.get("whatsapp_offered")
                    else None,
                    use_letter=bool(post.get("use_letter")),
                    use_phone=bool(post.get("use_phone")),
                    mobile=(post.get("mobile") or "").strip()[:64],
                    lang=post.get("lang") or False,
                )
        except (UserError, ValidationError) as error:
            return self._followup_statement_page(
                partner, access_token, error=error_text(error), status=400
            )
        query = {**statement_params(partner, access_token), "done": "preferences"}
        return request.redirect("/my/followup?" + url_encode(query) + "#preferences")
