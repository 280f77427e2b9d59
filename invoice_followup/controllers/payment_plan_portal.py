# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from werkzeug.exceptions import Forbidden
from werkzeug.urls import url_encode

from odoo import fields, http
from odoo.exceptions import MissingError, UserError, ValidationError
from odoo.http import request
from odoo.tools.translate import LazyTranslate

from odoo.addons.account_payment.controllers.payment import PaymentPortal
from odoo.addons.account_payment.controllers.portal import PortalAccount

from ..tools.portal_input import parse_count
from .access import (
    _token_matches,
    followup_partner,
    followup_plan,
    parse_id,
    statement_params,
    use_customer_language,
)
from .portal import FollowupPortal, error_text

_lt = LazyTranslate(__name__)

# The only texts a banner shows: chosen by a code in the URL, never taken from it.
PLAN_MESSAGES = {
    "accepted": _lt("Thank you: your payment plan is active."),
    "declined": _lt("You declined the plan; we will contact you."),
    "requested": _lt("Your request was sent: an accountant will review it."),
}


class PaymentPlanPortal(FollowupPortal, PortalAccount, PaymentPortal):
    """Payment plans in the portal: list, schedule, accept or decline, pay the
    next instalment online, request a plan from the statement."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "payment_plan_count" in counters:
            Plan = request.env["invoice.payment.plan"]
            values["payment_plan_count"] = (
                Plan.search_count(
                    [("state", "in", ("proposed", "active", "broken", "done"))]
                )
                if Plan.has_access("read")
                else 0
            )
        return values

    @http.route()
    def portal_my_invoice_detail(self, invoice_id, access_token=None, **kw):
        """Odoo's invoice page; a visit through the invoice's signed link (the
        reminder's "Pay now") counts as the customer opening the last step."""
        response = super().portal_my_invoice_detail(
            invoice_id, access_token=access_token, **kw
        )
        if access_token and not kw.get("report_type"):
            move = request.env["account.move"].sudo().browse(invoice_id).exists()
            if move and _token_matches(move, access_token):
                request.env["invoice.followup.log"].sudo()._followup_mark_opened(
                    move.commercial_partner_id
                )
        return response

    def _plan_redirect(self, plan, access_token, **params):
        if access_token:
            params["access_token"] = access_token
        return request.redirect(
            plan.access_url + ("?" + url_encode(params) if params else "")
        )

    def _plan_page(self, plan, access_token, done=None, error=None, status=200):
        use_customer_language(plan.partner_id)
        values = self._prepare_portal_layout_values()
        message = PLAN_MESSAGES.get(done or "")
        values.update(
            {
                "plan": plan,
                "page_name": "payment_plan",
                "access_token": access_token,
                "message": str(message) if message else None,
                "error": error,
            }
        )
        line = plan.next_line_id
        if plan.state in ("active", "broken") and line:
            amount = line.amount - line.amount_paid
            values.update({"amount": amount, "next_line": line})
            values.update(
                self._get_common_page_view_values(
                    invoices_data={
                        "partner": plan.partner_id,
                        "company": plan.company_id,
                        "total_amount": amount,
                        "currency": plan.currency_id,
                        "amount_residual": amount,
                        "payment_reference": plan.name,
                        "landing_route": plan.get_portal_url(),
                        "transaction_route": f"/my/payment_plans/{plan.id}/transaction",
                    },
                    access_token=access_token,
                )
            )
        return request.render(
            "invoice_followup.portal_payment_plan_page", values, status=status
        )

    @http.route("/my/payment_plans", type="http", auth="user", website=True)
    def portal_my_payment_plans(self, **kw):
        plans = request.env["invoice.payment.plan"].search(
            [("state", "in", ("proposed", "active", "broken", "done"))]
        )
        values = self._prepare_portal_layout_values()
        values.update({"plans": plans, "page_name": "payment_plans"})
        return request.render("invoice_followup.portal_my_payment_plans", values)

    @http.route(
        "/my/payment_plans/<int:plan_id>", type="http", auth="public", website=True
    )
    def portal_payment_plan(
        self,
        plan_id,
        access_token=None,
        report_type=None,
        download=False,
        done=None,
        **kw,
    ):
        try:
            plan = followup_plan(plan_id, access_token)
        except (Forbidden, MissingError):
            return request.redirect("/my")
        if report_type in ("html", "pdf", "text"):
            return self._show_report(
                plan,
                report_type,
                "invoice_followup.action_report_payment_plan",
                download=download,
            )
        return self._plan_page(plan, access_token, done=done)

    @http.route(
        "/my/payment_plans/<int:plan_id>/<string:decision>",
        type="http",
        auth="public",
        website=True,
        methods=["POST"],
    )
    def portal_payment_plan_decide(
        self, plan_id, decision, access_token=None, name=None, **kw
    ):
        if decision not in ("accept", "decline"):
            return request.not_found()
        try:
            plan = followup_plan(plan_id, access_token)
        except MissingError:
            raise Forbidden() from None
        try:
            with request.env.cr.savepoint():
                if decision == "accept":
                    plan._action_accept((name or "")[:128])
                else:
                    plan._action_decline((name or "")[:128])
        except (UserError, ValidationError) as error:
            return self._plan_page(
                plan, access_token, error=error_text(error), status=400
            )
        return self._plan_redirect(
            plan, access_token, done="accepted" if decision == "accept" else "declined"
        )

    @http.route(
        "/my/payment_plans/<int:plan_id>/transaction", type="json", auth="public"
    )
    def portal_payment_plan_transaction(self, plan_id, access_token=None, **kwargs):
        """A transaction on the plan's invoices for the next instalment's open
        amount (computed here, never taken from the browser)."""
        try:
            plan = followup_plan(plan_id, access_token)
        except (Forbidden, MissingError) as error:
            raise ValidationError(
                request.env._("The access token is invalid.")
            ) from error
        line = plan.next_line_id
        if plan.state not in ("active", "broken") or not line:
            raise ValidationError(request.env._("There is no instalment to pay."))
        logged_in = not request.env.user._is_public()
        partner = request.env.user.partner_id if logged_in else plan.partner_id
        self._validate_transaction_kwargs(kwargs)
        kwargs["amount"] = line.amount - line.amount_paid
        return self._process_transaction(
            partner.id, plan.currency_id.id, plan.move_ids.ids, plan.name, **kwargs
        )

    # ------------------------------------------------------------------
    # Pay every overdue invoice at once, from the statement (signed link or login)
    # ------------------------------------------------------------------
    @http.route(
        "/my/followup/pay", type="http", auth="public", website=True, sitemap=False
    )
    def portal_followup_pay_overdue(
        self, pid=None, access_token=None, currency_id=None, **kw
    ):
        try:
            partner = followup_partner(pid, access_token)
        except Forbidden as error:
            return self._followup_refused(error)
        try:
            moves = partner._followup_overdue_moves(
                parse_id(currency_id) if currency_id else None
            )
        except UserError as error:
            return self._followup_statement_page(
                partner, access_token, error=error_text(error), status=400
            )
        use_customer_language(partner)
        # each invoice at its early-payment discount while it lasts
        document = request.env["invoice.followup.document"].sudo()
        amount = document._amount_to_pay(moves)
        query = url_encode(statement_params(partner, access_token))
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "followup",
                "partner": partner,
                "moves": moves,
                "lines": document._lines(moves, fields.Date.context_today(moves)),
                "amount": amount,
                "currency": moves.currency_id,
            }
        )
        values.update(
            self._get_common_page_view_values(
                invoices_data={
                    "partner": partner,
                    "company": moves.company_id[:1],
                    "total_amount": amount,
                    "currency": moves.currency_id,
                    "amount_residual": amount,
                    "payment_reference": moves[:1].name if len(moves) == 1 else False,
                    "landing_route": "/my/followup" + ("?" + query if query else ""),
                    "transaction_route": (
                        "/my/followup/pay/transaction/"
                        f"{partner.id}/{moves.currency_id.id}"
                    ),
                },
                access_token=access_token,
            )
        )
        return request.render("invoice_followup.portal_followup_pay_overdue", values)

    @http.route(
        "/my/followup/pay/transaction/<int:pid>/<int:currency_id>",
        type="json",
        auth="public",
    )
    def portal_followup_pay_overdue_transaction(
        self, pid, currency_id, access_token=None, **kwargs
    ):
        """A transaction on the customer's overdue invoices of one currency, for
        their amount due (computed here, never taken from the browser)."""
        try:
            partner = followup_partner(pid, access_token)
        except Forbidden as error:
            raise ValidationError(
                request.env._("The access token is invalid.")
            ) from error
        moves = partner._followup_overdue_moves(currency_id)
        logged_in = not request.env.user._is_public()
        payer = request.env.user.partner_id if logged_in else partner
        self._validate_transaction_kwargs(kwargs)
        kwargs["amount"] = (
            request.env["invoice.followup.document"].sudo()._amount_to_pay(moves)
        )
        return self._process_transaction(
            payer.id, moves.currency_id.id, moves.ids, False, **kwargs
        )

    # ------------------------------------------------------------------
    # Request from the statement
    # ------------------------------------------------------------------
    @http.route(
        "/my/payment_plans/request",
        type="http",
        auth="public",
        website=True,
        methods=["GET", "POST"],
    )
    def portal_payment_plan_request(
        self, pid=None, access_token=None, instalments=None, currency_id=None, **post
    ):
        try:
            partner = followup_partner(pid, access_token)
        except Forbidden as error:
            return self._followup_refused(error)
        use_customer_language(partner)
        query = statement_params(partner, access_token)
        Plan = request.env["invoice.payment.plan"].sudo()
        pending = Plan._pending_request(partner)
        if pending and request.httprequest.method == "GET":
            # one request at a time: the customer sees the one waiting
            pending._portal_ensure_token()
            return self._plan_redirect(pending, pending.access_token)
        try:
            count = parse_count(request.env, instalments)
            currency = parse_id(currency_id) if currency_id else None
            if request.httprequest.method == "POST":
                with request.env.cr.savepoint():
                    partner._followup_count_answer()
                    plan = Plan._create_request(
                        partner,
                        count,
                        currency,
                        reason=request.env[
                            "invoice.followup.reason"
                        ]._followup_from_post(post.get("reason")),
                    )
                    plan._portal_ensure_token()
                return self._plan_redirect(
                    plan,
                    plan.access_token,
                    **({"done": "requested"} if plan.state == "draft" else {}),
                )
            preview = Plan._request_preview(partner, count, currency)
            error = None
        except (UserError, ValidationError) as exc:
            preview, error = None, error_text(exc)
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "partner": partner,
                "preview": preview,
                "error": error,
                "query": query,
                "access_token": access_token,
                "page_name": "payment_plan_request",
                "reasons": request.env[
                    "invoice.followup.reason"
                ]._followup_portal_reasons(),
            }
        )
        return request.render("invoice_followup.portal_payment_plan_request", values)
