# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Statutory late-payment interest: a regime (the EU's directive 2011/7/EU, the
UK's Late Payment of Commercial Debts Act...), its reference rates with their
dates of validity and its fixed compensation sums. A company claims interest only
when it chooses a regime (Settings); none is chosen by default."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

DAYS_IN_YEAR = 365


class InvoiceFollowupInterestRegime(models.Model):
    _name = "invoice.followup.interest.regime"
    _description = "Statutory Late-payment Interest"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    country_ids = fields.Many2many(
        "res.country",
        string="Countries",
        help="Where this law applies (shown to help choosing; the company decides).",
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        help="The currency of the fixed compensation sums.",
    )
    business_only = fields.Boolean(
        "Between Businesses Only",
        default=True,
        help="Interest and compensation are claimed from companies only, not from "
        "private persons (the EU directive and the UK act cover commercial "
        "transactions).",
    )
    rate_ids = fields.One2many(
        "invoice.followup.interest.rate", "regime_id", "Rates", copy=True
    )
    compensation_ids = fields.One2many(
        "invoice.followup.interest.compensation",
        "regime_id",
        "Fixed Compensation",
        copy=True,
        help="A fixed sum per late invoice for the costs of recovery, by the "
        "amount of the invoice.",
    )
    note = fields.Html(
        "Legal Basis", translate=True, help="Shown to accountants, not to customers."
    )
    rate_current = fields.Float(
        "Current Rate (%)", compute="_compute_rate_current", digits=(16, 2)
    )
    rate_outdated = fields.Boolean(
        "Rate Table Out of Date",
        compute="_compute_rate_current",
        help="Its latest rate is more than six months old: the reference rate of "
        "the current half-year is probably missing.",
    )

    @api.depends("rate_ids.date_from", "rate_ids.rate")
    @api.depends_context("date")
    def _compute_rate_current(self):
        today = fields.Date.to_date(
            self.env.context.get("date")
        ) or fields.Date.context_today(self)
        for regime in self:
            rates = regime.rate_ids.filtered(lambda r: r.date_from <= today)
            latest = rates and max(rates, key=lambda r: r.date_from)
            regime.rate_current = latest.rate if latest else 0.0
            regime.rate_outdated = not latest or (
                latest.date_from < fields.Date.subtract(today, months=6)
            )

    def _periods(self, start, end):
        """[(first day, last day, annual rate %)] covering the days after
        ``start`` up to ``end`` (both dates), each rate from its date of validity
        to the day before the next one."""
        self.ensure_one()
        rates = self.rate_ids.sorted("date_from")
        first = start + timedelta(days=1)
        if not rates or rates[0].date_from > first:
            raise UserError(
                self.env._(
                    "%(regime)s has no reference rate for %(date)s: add the rate "
                    "of that period to its rate table.",
                    regime=self.name,
                    date=fields.Date.to_string(first),
                )
            )
        periods = []
        for rate, following in zip(rates, [*rates[1:], None], strict=True):
            period_end = following.date_from - timedelta(days=1) if following else end
            lo, hi = max(first, rate.date_from), min(end, period_end)
            if lo <= hi:
                periods.append((lo, hi, rate.rate))
        return periods

    def _interest(self, amount, payments, start, end):
        """Simple interest per day on ``amount`` overdue since ``start`` (the due
        date, or the day up to which interest was invoiced) until ``end``
        included, the days' rates from the rate table: the amount of each day is
        what was still unpaid at its start (``payments``: [(date, amount)]; a
        payment stops the interest after its day). Returns (interest, parts) with
        parts [(first day, last day, days, base, rate %, interest)], unrounded."""
        self.ensure_one()
        if end <= start:
            return 0.0, []
        cuts = {start, end}
        cuts.update(day for day, _amount in payments if start < day < end)
        periods = self._periods(start, end)
        cuts.update(p_start - timedelta(days=1) for p_start, _e, _r in periods[1:])
        cuts = sorted(cuts)
        total, parts = 0.0, []
        for lo, hi in zip(cuts, cuts[1:], strict=False):
            first = lo + timedelta(days=1)
            base = amount - sum(paid for day, paid in payments if day <= lo)
            if base <= 0:
                continue
            rate = next(r for p_start, p_end, r in periods if p_start <= first <= p_end)
            days = (hi - lo).days
            interest = base * rate / 100.0 * days / DAYS_IN_YEAR
            total += interest
            if parts and parts[-1][3] == base and parts[-1][4] == rate:
                prev = parts[-1]
                parts[-1] = (
                    prev[0],
                    hi,
                    prev[2] + days,
                    base,
                    rate,
                    prev[5] + interest,
                )
            else:
                parts.append((first, hi, days, base, rate, interest))
        return total, parts

    def _compensation(self, amount, currency, company, date):
        """The fixed compensation for one late invoice of ``amount`` in
        ``currency``, in that currency (0 when the regime has none)."""
        self.ensure_one()
        if not self.compensation_ids:
            return 0.0
        in_regime = currency._convert(amount, self.currency_id, company, date)
        rows = self.compensation_ids.filtered(lambda c: c.amount_from <= in_regime)
        if not rows:
            return 0.0
        row = max(rows, key=lambda c: c.amount_from)
        return self.currency_id._convert(row.amount, currency, company, date)
