# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Numbers and dates typed in the portal: anything malformed, non-finite,
negative, zero or absurd becomes a translated UserError for the form, never a 500."""

import math
from datetime import date

from odoo import fields
from odoo.exceptions import UserError

MAX_AMOUNT = 1e12
MIN_YEAR, MAX_YEAR = 2000, 2200


def parse_amount(env, text):
    """A positive finite amount, or None when the field was left empty."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        amount = float(text)
    except ValueError:
        amount = float("nan")
    if not math.isfinite(amount) or amount <= 0 or amount > MAX_AMOUNT:
        raise UserError(
            env._(
                "Please enter an amount greater than zero, in figures (for "
                "example 1500.50)."
            )
        )
    return amount


def parse_date(env, text):
    """A date written as YYYY-MM-DD (what date inputs send), within reason."""
    try:
        value = fields.Date.to_date((text or "").strip() or None)
    except (ValueError, TypeError, OverflowError):
        value = None
    if not isinstance(value, date) or not MIN_YEAR <= value.year <= MAX_YEAR:
        raise UserError(env._("Please choose a valid date."))
    return value


def parse_count(env, text, default=None):
    """A whole number of at most a few digits (instalments), or ``default``."""
    text = (text or "").strip()
    if not text:
        return default
    if not text.isdigit() or len(text) > 3:
        raise UserError(env._("Please choose a number of instalments from the list."))
    return int(text)
