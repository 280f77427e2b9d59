# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from werkzeug.exceptions import Forbidden
from werkzeug.urls import url_encode

from odoo import http
from odoo.http import request

from .access import followup_partner, parse_id, statement_params, use_customer_language
from .portal import FollowupPortal


class PaymentPolicyPortal(FollowupPortal):
    """The company's payment policy, for its customers: opened with the
    statement's access (signed link or login), in the customer's language."""

    @http.route(
        "/my/followup/policy", type="http", auth="public", website=True, sitemap=False
    )
    def portal_followup_policy(
        self, pid=None, access_token=None, company_id=None, **kw
    ):
        try:
            partner = followup_partner(pid, access_token)
        except Forbidden as error:
            return self._followup_refused(error)
        use_customer_language(partner)
        values = self._prepare_portal_layout_values()
        values.update(
            request.env["invoice.followup.document"]
            .sudo()
            ._policy_values(partner, parse_id(company_id) if company_id else None)
        )
        query = url_encode(statement_params(partner, access_token))
        values.update(
            {
                "page_name": "followup_policy",
                "partner": partner,
                "back_url": "/my/followup" + ("?" + query if query else ""),
            }
        )
        return request.render(
            "invoice_followup.portal_followup_policy",
            values,
            status=200 if values["policy"] else 404,
        )
