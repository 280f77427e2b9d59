# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Who may open what in the follow-up portal: the one helper every route uses.

- A statement (a customer's whole account) opens with its statement link (the
  commercial partner's id and its token) or for a logged-in user of that customer.
- An invoice opens with that invoice's own token, or for a logged-in user of its
  customer. Nothing else: a follower's read access never stands in for the token,
  and an invoice's token never leads to the statement.
- A payment plan opens with its own token or for a logged-in user of its customer.

Every helper returns the record in sudo mode with the visitor's uid kept, so that
what the visitor uploads is stored as Odoo stores a portal user's upload.
"""

from werkzeug.exceptions import Forbidden

from odoo.exceptions import MissingError
from odoo.http import request
from odoo.tools import consteq

from ..models.account_move import FOLLOWUP_MOVE_TYPES

MAX_ID = 2**31 - 1


class InvalidLink(Forbidden):
    """A signed link whose token is not (or no longer) valid."""

    def __init__(self, partner_id=None):
        super().__init__()
        self.partner_id = partner_id


def parse_id(value):
    """A record id from the URL, or None (junk, zero, negative, out of range)."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def visitor_customer():
    """The commercial partner of the logged-in user, or None for a visitor."""
    user = request.env.user
    if user._is_public():
        return None
    return user.partner_id.commercial_partner_id


def followup_partner(pid=None, access_token=None):
    """The commercial partner whose statement is asked for (sudo): a valid
    statement link wins, else the logged-in user's own customer. Raises
    InvalidLink for a wrong or outdated token, Forbidden otherwise."""
    own = visitor_customer()
    partner_id = parse_id(pid) if pid else None
    if access_token and partner_id:
        partner = request.env["res.partner"].sudo().browse(partner_id).exists()
        if partner and partner._followup_check_access_token(access_token):
            return partner
    if own and (not pid or partner_id == own.id):
        return own.sudo()
    raise InvalidLink(partner_id) if access_token else Forbidden()


def _token_matches(record, access_token):
    return bool(
        access_token
        and record.access_token
        and consteq(record.access_token, str(access_token))
    )


def followup_invoice(move_id, access_token=None):
    """The posted customer invoice ``move_id`` (sudo) for its token or for a
    logged-in user of its customer; (invoice, whether the visitor is logged in
    as that customer: only then may the pages lead to the statement)."""
    move = request.env["account.move"].sudo().browse(parse_id(move_id) or []).exists()
    if not move or move.move_type not in FOLLOWUP_MOVE_TYPES or move.state != "posted":
        raise MissingError(request.env._("This document does not exist."))
    own = visitor_customer()
    is_customer = bool(own and own == move.commercial_partner_id)
    if is_customer or _token_matches(move, access_token):
        return move, is_customer
    raise Forbidden()


def followup_plan(plan_id, access_token=None):
    """The payment plan ``plan_id`` (sudo) for its token or for a logged-in
    user of its customer."""
    plan = (
        request.env["invoice.payment.plan"]
        .sudo()
        .browse(parse_id(plan_id) or [])
        .exists()
    )
    if not plan:
        raise MissingError(request.env._("This document does not exist."))
    own = visitor_customer()
    if (own and own == plan.partner_id.commercial_partner_id) or _token_matches(
        plan, access_token
    ):
        return plan
    raise Forbidden()


def statement_params(partner, access_token):
    """The statement link's query parameters, to keep on the pages it leads to
    (none for a logged-in customer)."""
    return {"pid": partner.id, "access_token": access_token} if access_token else {}


def use_customer_language(partner):
    """Visitors without a login read the pages in the customer's language."""
    lang = partner.lang
    if (
        request.env.user._is_public()
        and lang
        and lang in dict(request.env["res.lang"].get_installed())
    ):
        request.update_context(lang=lang)
