# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from werkzeug.exceptions import Forbidden
from werkzeug.urls import url_encode

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import content_disposition, request
from odoo.tools import consteq

from odoo.addons.portal.controllers.portal import CustomerPortal

INVOICE_ACTIONS = ("confirm", "question", "paid", "promise")


def followup_partner(pid=None, access_token=None):
    """The commercial partner whose statement is asked for (sudo), or raise
    Forbidden. A valid signed link wins; else the logged-in user's own."""
    Partner = request.env["res.partner"].sudo()
    if pid and access_token:
        try:
            partner = Partner.browse(int(pid)).exists()
        except ValueError:
            partner = Partner
        token = partner.followup_access_token if partner else False
        if token and consteq(token, str(access_token)):
            return partner.commercial_partner_id
        raise Forbidden()
    user = request.env.user
    if user._is_public():
        raise Forbidden()
    own = user.partner_id.commercial_partner_id
    if pid and str(pid) != str(own.id):
        raise Forbidden()
    return own.sudo()


class FollowupPortal(CustomerPortal):
    """Customer side of the follow-up: the statement, answers on invoices and
    contact preferences. Access: a logged-in portal user for its own commercial
    entity, or the signed link of a follow-up mail or SMS."""

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------
    def _followup_partner(self, pid=None, access_token=None):
        return followup_partner(pid, access_token)

    def _followup_use_language(self, partner):
        """Visitors without a login read the page in the customer's language."""
        lang = partner.lang
        if request.env.user._is_public() and lang and lang in dict(request.env["res.lang"].get_installed()):
            request.update_context(lang=lang)

    def _followup_query(self, partner, access_token):
        """Query string that keeps the signed link on the statement's own links."""
        if access_token:
            return "?" + url_encode({"pid": partner.id, "access_token": access_token})
        return ""

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

    # ------------------------------------------------------------------
    # Statement
    # ------------------------------------------------------------------
    @http.route("/my/followup", type="http", auth="public", website=True, sitemap=False)
    def portal_followup_statement(self, pid=None, access_token=None, message=None, error=None, **kw):
        try:
            partner = self._followup_partner(pid, access_token)
        except Forbidden:
            return self._followup_denied()
        self._followup_use_language(partner)
        values = self._prepare_portal_layout_values()
        values.update(partner._followup_statement_data())
        values.update({
            "page_name": "followup",
            "partner": partner,
            "access_token": access_token,
            "query": self._followup_query(partner, access_token),
            "message": message,
            "error": error,
            "logged_in": not request.env.user._is_public(),
        })
        return request.render("invoice_followup.portal_followup_statement", values)

    @http.route("/f/<string:token>", type="http", auth="public", website=True, sitemap=False)
    def portal_followup_short_link(self, token, **kw):
        """The short link of an SMS: redirect to the signed statement."""
        partner = request.env["res.partner"].sudo().search(
            [("followup_access_token", "=", token)], limit=1
        ) if len(token) >= 12 else request.env["res.partner"]
        if not partner:
            return self._followup_denied()
        return request.redirect("/my/followup?" + url_encode({"pid": partner.id, "access_token": token}))

    @http.route("/my/followup/statement.pdf", type="http", auth="public", website=True, sitemap=False)
    def portal_followup_statement_pdf(self, pid=None, access_token=None, **kw):
        """The statement of account as a PDF, in the customer's language."""
        try:
            partner = self._followup_partner(pid, access_token)
        except Forbidden:
            return self._followup_denied()
        self._followup_use_language(partner)
        company = partner._followup_open_invoices(all_companies=True).company_id[:1] or request.env.company
        content, content_type = request.env["ir.actions.report"].sudo().with_company(company)._render_qweb_pdf(
            "invoice_followup.action_report_partner_statement", partner.ids
        )
        filename = request.env._("Statement of account - %(name)s.pdf", name=partner.name)
        mimetype = "application/pdf" if content_type == "pdf" else "text/html; charset=utf-8"
        return request.make_response(content, headers=[
            ("Content-Type", mimetype),
            ("Content-Disposition", content_disposition(filename)),
        ])

    def _followup_denied(self):
        if request.env.user._is_public():
            return request.redirect("/web/login?redirect=/my/followup")
        raise Forbidden()

    # ------------------------------------------------------------------
    # Answers on one invoice
    # ------------------------------------------------------------------
    def _followup_invoice_for(self, move_id, action, access_token):
        """The invoice an answer is about, or the response refusing it."""
        if action not in INVOICE_ACTIONS:
            return None, request.not_found()
        try:
            return self._followup_invoice(move_id, access_token), None
        except (AccessError, MissingError):
            return None, self._followup_denied()

    def _followup_invoice(self, move_id, access_token):
        move = self._document_check_access("account.move", move_id, access_token)
        if move.move_type not in ("out_invoice", "out_receipt") or move.state != "posted":
            raise MissingError(request.env._("This document does not exist."))
        return move

    def _followup_statement_url(self, move, access_token, **params):
        partner = move.commercial_partner_id
        if access_token:
            params.update(pid=partner.id, access_token=partner._followup_get_access_token())
        return "/my/followup" + ("?" + url_encode(params) if params else "")

    @http.route(
        "/my/followup/invoice/<int:move_id>/<string:action>",
        type="http", auth="public", website=True, methods=["GET"], sitemap=False,
    )
    def portal_followup_invoice_form(self, move_id, action, access_token=None, error=None, **kw):
        move, refusal = self._followup_invoice_for(move_id, action, access_token)
        if refusal:
            return refusal
        self._followup_use_language(move.commercial_partner_id)
        values = self._prepare_portal_layout_values()
        today = fields.Date.context_today(move)
        values.update({
            "page_name": "followup_answer",
            "move": move,
            "action": action,
            "access_token": access_token,
            "error": error,
            "reasons": move._fields["followup_question_reason"]._description_selection(request.env),
            "default_name": request.env.user.name if not request.env.user._is_public() else "",
            "min_date": fields.Date.to_string(today),
            "max_date": fields.Date.to_string(
                fields.Date.add(today, days=move.company_id.followup_max_promise_days)
            ),
            "statement_url": self._followup_statement_url(move, access_token),
        })
        return request.render("invoice_followup.portal_followup_answer", values)

    @http.route(
        "/my/followup/invoice/<int:move_id>/<string:action>",
        type="http", auth="public", website=True, methods=["POST"], sitemap=False,
    )
    def portal_followup_invoice_submit(self, move_id, action, access_token=None, **post):
        move, refusal = self._followup_invoice_for(move_id, action, access_token)
        if refusal:
            return refusal
        user = request.env.user
        name = (post.get("name") or "").strip() or (not user._is_public() and user.name) or ""
        try:
            if not name:
                raise UserError(request.env._("Please tell us your name."))
            if action == "confirm":
                move._followup_confirm_receipt(name)
                message = request.env._("Thank you for confirming that invoice %(name)s arrived.", name=move.name)
            elif action == "promise":
                date = fields.Date.to_date(post.get("date") or None)
                amount = float(post["amount"]) if post.get("amount") else None
                move._followup_promise(date, amount, name)
                message = request.env._("Thank you: we noted your promise to pay by %(date)s.", date=post.get("date"))
            else:
                attachments = []
                upload = request.httprequest.files.get("attachment")
                if upload and upload.filename:
                    attachments = [(upload.filename, upload.read())]
                move._followup_ask(
                    "paid" if action == "paid" else post.get("request_type") or "question",
                    "already_paid" if action == "paid" else post.get("reason"),
                    (post.get("note") or "").strip(),
                    name,
                    attachments,
                )
                message = request.env._("Thank you: your message reached us and we will answer soon.")
        except (UserError, ValidationError, ValueError) as error:
            text = error.args[0] if error.args else str(error)
            url = "/my/followup/invoice/%s/%s?%s" % (
                move.id, action, url_encode({"access_token": access_token or "", "error": text})
            )
            return request.redirect(url)
        return request.redirect(self._followup_statement_url(move, access_token, message=message))

    # ------------------------------------------------------------------
    # Contact preferences
    # ------------------------------------------------------------------
    @http.route("/my/followup/preferences", type="http", auth="public", website=True,
                methods=["POST"], sitemap=False)
    def portal_followup_preferences(self, pid=None, access_token=None, **post):
        try:
            partner = self._followup_partner(pid, access_token)
        except Forbidden:
            return self._followup_denied()
        query = {"pid": partner.id, "access_token": access_token} if access_token else {}
        try:
            partner._followup_set_preferences(
                use_email=bool(post.get("use_email")),
                use_sms=bool(post.get("use_sms")),
                use_letter=bool(post.get("use_letter")),
                use_phone=bool(post.get("use_phone")),
                mobile=(post.get("mobile") or "").strip(),
                lang=post.get("lang") or False,
            )
        except (UserError, ValidationError) as error:
            query["error"] = error.args[0]
        else:
            query["message"] = request.env._("Your contact preferences are saved.")
        return request.redirect("/my/followup?" + url_encode(query) + "#preferences")
