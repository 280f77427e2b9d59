# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Formatting for the follow-up documents (mail, SMS, letter, statement, portal).

Pure helpers: they take what they need (a res.lang record, currencies, dates) and
touch no database.
"""

import ast
from collections import defaultdict

import babel.dates

from odoo.tools.misc import babel_locale_parse, posix_to_ldml

from odoo.addons.base.models.res_lang import intersperse

NBSP = "\N{NO-BREAK SPACE}"


def days_late(due, today):
    """Whole days ``due`` (a date, or False) lies before ``today``; 0 when not late."""
    return max((today - due).days, 0) if due else 0


def ageing_bucket(days):
    """Index of the ageing column for an instalment ``days`` past due:
    0 not due, 1: 1-30, 2: 31-60, 3: 61-90, 4: over 90."""
    if days <= 0:
        return 0
    return 1 if days <= 30 else 2 if days <= 60 else 3 if days <= 90 else 4


def totals_per_currency(items):
    """[(currency, total)] sorted by currency name, from (currency, amount) pairs."""
    totals = defaultdict(float)
    for currency, amount in items:
        totals[currency] += amount
    return sorted(totals.items(), key=lambda item: item[0].name)


def align(direction, end=False):
    """'right' for right-to-left text, else 'left' (``end``: the other side).
    Mail clients such as Outlook ignore ``text-align: start / end``."""
    start = "right" if direction == "rtl" else "left"
    if not end:
        return start
    return "left" if start == "right" else "right"


def formatters(lang):
    """(format_date(date), format_amount(amount, currency)) for the res.lang
    record ``lang``, as odoo.tools.format_date / format_amount give them, with
    the language read once instead of at every value (a mail has many)."""
    locale = babel_locale_parse(lang.code)
    date_format = posix_to_ldml(lang.date_format, locale=locale)
    grouping = ast.literal_eval(lang.grouping)

    def format_date(value):
        return (
            babel.dates.format_date(value, format=date_format, locale=locale)
            if value
            else ""
        )

    def format_amount(amount, currency):
        # res.lang.format(), its grouping parsed once
        parts = (f"%.{currency.decimal_places}f" % currency.round(amount)).split(".")
        parts[0] = intersperse(parts[0], grouping, lang.thousands_sep or "")[0]
        number = lang.decimal_point.join(parts)
        number = number.replace(" ", NBSP).replace(
            "-", "-\N{ZERO WIDTH NO-BREAK SPACE}"
        )
        if currency.position == "before":
            return f"{currency.symbol or ''}{NBSP}{number}"
        return f"{number}{NBSP}{currency.symbol or ''}"

    return format_date, format_amount


def sms_amounts(totals):
    """ "1,250.00 SAR, 80.00 $" for [(currency, amount)], with plain spaces: the
    no-break spaces of the amount format would turn an SMS into UCS-2."""
    return ", ".join(
        currency.format(amount)
        .replace(NBSP, " ")
        .replace("\N{NARROW NO-BREAK SPACE}", " ")
        for currency, amount in totals
    )
