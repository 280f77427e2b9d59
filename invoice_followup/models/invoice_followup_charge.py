# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Late-payment charges, on Odoo's own accounting: a stage's fee and the
statutory interest (with its fixed compensation) become real customer invoices,
payable in the portal like any other; a fee is waived with a credit note. All
off by default: a company charges fees only when it switches them on, and
interest only when it chooses a regime (Settings)."""

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class InvoiceFollowupCharge(models.AbstractModel):
    _name = "invoice.followup.charge"
    _description = "Late-payment Charges"

    # ------------------------------------------------------------------
    # Fees: one invoice per step (and currency), made in the step's transaction
    # ------------------------------------------------------------------
    @api.model
    def _fee_amount(self, stage, overdue, currency, date):
        """The fee of ``stage`` on ``overdue`` (in ``currency``), in ``currency``:
        the fixed amount, or the share with its minimum and maximum (set in the
        company's currency, converted at ``date``)."""
        company = stage.company_id

        def convert(amount):
            return company.currency_id._convert(amount, currency, company, date)

        if stage.fee_type == "fixed":
            amount = convert(stage.fee_amount)
        elif stage.fee_type == "percent":
            amount = overdue * stage.fee_percent / 100.0
            if stage.fee_min:
                amount = max(amount, convert(stage.fee_min))
            if stage.fee_max:
                amount = min(amount, convert(stage.fee_max))
        else:
            return 0.0
        return currency.round(amount)

    @api.model
    def _fee_plan(self, step):
        """The fees ``step`` charges: [(currency, invoices charged, amount)], one per
        currency of its overdue invoices that no fee of the same stage charged
        yet; empty when the company charges no fees, the stage has none or the
        customer's credits cover the claim."""
        stage, company = step.stage_id, step.company_id
        if (
            not company.followup_fees
            or stage.fee_type in (False, "none")
            or step.currency_id.compare_amounts(step.amount_due, step.amount_credit)
            <= 0
        ):
            return []
        Move = self.env["account.move"]
        base = step.move_ids.filtered(
            lambda m: not m.followup_charge_kind
            and m.followup_date_due
            and m.followup_date_due < step.date
        )
        if base:
            base -= (
                Move.sudo()
                .search(
                    [
                        ("followup_charge_kind", "=", "fee"),
                        ("followup_fee_stage_id", "=", stage.id),
                        ("followup_charged_move_ids", "in", base.ids),
                        ("state", "=", "posted"),
                    ]
                )
                .followup_charged_move_ids
            )
        plan = []
        for currency, moves in base.grouped("currency_id").items():
            amount = self._fee_amount(
                stage, sum(moves.mapped("amount_residual")), currency, step.date
            )
            if currency.compare_amounts(amount, 0.0) > 0:
                plan.append((currency, moves, amount))
        return plan

    @api.model
    def _charge_fees(self, steps):
        """Invoice the fees of ``steps`` (_fee_plan; the run calls it in the steps'
        savepoint, before their channels, so the reminder lists the fee and a
        crash undoes both): one fee invoice per step and currency. A second
        run, a forced step or a rerun after a crash charge nothing twice for the
        same invoices; a unique index on the step refuses it anyway. Returns the
        fee invoices."""
        fees = self.env["account.move"]
        for step in steps:
            plan = self._fee_plan(step)
            if not plan:
                continue
            stage, company = step.stage_id, step.company_id
            partner = step.partner_id.with_context(lang=step.partner_id.lang)
            product = company.followup_fee_product_id or self.env.ref(
                "invoice_followup.product_followup_fee"
            )
            step_fees = fees.browse()
            for currency, moves, amount in plan:
                label = partner.env._(
                    "Late-payment fee (%(stage)s): %(invoices)s",
                    stage=stage.with_context(lang=partner.env.lang).name,
                    invoices=", ".join(moves.mapped("name")),
                )
                step_fees |= self._create_charge_invoice(
                    partner,
                    company,
                    currency,
                    product,
                    [(label, amount)],
                    {
                        "ref": label,
                        "followup_charge_kind": "fee",
                        "followup_fee_step_id": step.id,
                        "followup_fee_stage_id": stage.id,
                        "followup_charged_move_ids": [Command.set(moves.ids)],
                    },
                )
            # the fee goes on from the stage that charged it, with the others
            step_fees.with_context(
                skip_invoice_sync=True, check_move_validity=False
            ).write({"followup_stage_id": stage.id, "followup_last_date": step.date})
            step._followup_set(
                {
                    "move_ids": [Command.link(fee.id) for fee in step_fees],
                    "amount_due": step.amount_due
                    + sum(step_fees.mapped("amount_residual_signed")),
                }
            )
            fees |= step_fees
        return fees

    @api.model
    def _create_charge_invoice(
        self, partner, company, currency, product, lines, values
    ):
        """A posted customer invoice of ``lines`` [(label, amount)] for the
        charges on ``partner``, due at once, with the product's taxes."""
        term = self.env.ref(
            "account.account_payment_term_immediate", raise_if_not_found=False
        )
        taxes = product.taxes_id.filtered(lambda t: t.company_id == company)
        move = (
            self.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "currency_id": currency.id,
                    "invoice_date": fields.Date.context_today(self),
                    "invoice_payment_term_id": term.id if term else False,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "name": label,
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [Command.set(taxes.ids)],
                            }
                        )
                        for label, amount in lines
                    ],
                    **values,
                }
            )
        )
        move.action_post()
        return move

    @api.model
    def _waive(self, fees, reason):
        """Waive unpaid ``fees`` (fee or interest invoices): a credit note of each,
        reconciled with it, with ``reason`` in both chatters and the
        customer's."""
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Say why the fee is waived."))
        for fee in fees:
            if not fee.followup_charge_kind or fee.state != "posted":
                raise UserError(
                    self.env._(
                        "%(move)s is not a posted late-payment charge.", move=fee.name
                    )
                )
            if fee.payment_state != "not_paid":
                raise UserError(
                    self.env._(
                        "%(move)s is already paid in part or in full: refund it with a "
                        "credit note instead.",
                        move=fee.name,
                    )
                )
        today = fields.Date.context_today(self)
        refunds = fees._reverse_moves(
            [
                {
                    "ref": self.env._("Waived: %(reason)s", reason=reason),
                    "invoice_date": today,
                    "date": today,
                }
                for _fee in fees
            ],
            cancel=True,
        )
        fees.followup_charge_waived_reason = reason
        for fee, refund in zip(fees, refunds, strict=True):
            body = Markup("%s<br/>%s") % (
                self.env._(
                    "Late-payment charge %(move)s waived by %(user)s (credit note "
                    "%(refund)s).",
                    move=fee.name,
                    user=self.env.user.name,
                    refund=refund.name,
                ),
                reason,
            )
            fee.message_post(body=body)
            fee.commercial_partner_id.message_post(body=body)
        return refunds

    # ------------------------------------------------------------------
    # Statutory interest and fixed compensation
    # ------------------------------------------------------------------
    @api.model
    def _interest_lines(self, partner, company, moves=None, date=None):
        """The interest due today (or at ``date``) on the customer's overdue
        invoices in ``company`` (``moves``: those only), by the company's
        regime: [{'move', 'currency', 'interest', 'compensation', 'parts',
        'days'}] with each instalment's days late from its due date (or the
        day up to which interest was invoiced) counted at the rates of the
        regime's table. Empty when the company claims no interest, or the
        regime covers businesses only and the customer is a private person."""
        regime = company.followup_interest_regime_id
        partner = partner.commercial_partner_id
        if not regime or (regime.business_only and not partner.is_company):
            return []
        date = date or fields.Date.context_today(self)
        if moves is None:
            moves = partner.with_company(company)._followup_open_invoices()
        result = []
        for move in moves.filtered(
            lambda m: not m.followup_charge_kind and m.move_type == "out_invoice"
        ).sorted(lambda m: (m.followup_date_due or date, m.id)):
            interest, parts = 0.0, []
            terms = move.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
                and line.date_maturity
                and line.date_maturity < date
            )
            for line in terms:
                start = max(
                    line.date_maturity,
                    move.followup_interest_invoiced_to or line.date_maturity,
                )
                payments = [
                    (partial.max_date, partial.debit_amount_currency)
                    for partial in line.matched_credit_ids
                ]
                line_interest, line_parts = regime._interest(
                    line.amount_currency, payments, start, date
                )
                interest += line_interest
                parts += line_parts
            if not terms:
                continue
            compensation = (
                0.0
                if move.followup_compensation_move_id
                else regime._compensation(
                    move.amount_total, move.currency_id, company, date
                )
            )
            result.append(
                {
                    "move": move,
                    "currency": move.currency_id,
                    "interest": move.currency_id.round(interest),
                    "compensation": move.currency_id.round(compensation),
                    "parts": parts,
                    "days": sum(part[2] for part in parts),
                }
            )
        return result

    @api.model
    def _interest_summary(self, partner, company, moves=None, date=None):
        """What the final notice shows: {'lines', 'totals': [(currency, interest
        + compensation)], 'regime', 'rate'}; False when nothing is due."""
        lines = [
            line
            for line in self._interest_lines(partner, company, moves, date)
            if line["interest"] or line["compensation"]
        ]
        if not lines:
            return False
        totals = {}
        for line in lines:
            totals[line["currency"]] = (
                totals.get(line["currency"], 0.0)
                + line["interest"]
                + line["compensation"]
            )
        regime = company.followup_interest_regime_id
        return {
            "lines": lines,
            "totals": list(totals.items()),
            "regime": regime,
            "rate": regime.with_context(date=date).rate_current,
        }

    @api.model
    def _invoice_interest(self, partner, company):
        """Invoice the interest and fixed compensation due today on the
        customer's overdue invoices: one invoice per currency. The invoices
        then count interest from today on, and their compensation is claimed
        once. Returns the interest invoices."""
        regime = company.followup_interest_regime_id
        if not regime:
            raise UserError(
                self.env._(
                    "%(company)s claims no statutory interest: choose a regime in "
                    "Settings > Invoicing > Follow-up first.",
                    company=company.name,
                )
            )
        today = fields.Date.context_today(self)
        partner = partner.commercial_partner_id
        lines = [
            line
            for line in self._interest_lines(partner, company, date=today)
            if line["interest"] > 0 or line["compensation"] > 0
        ]
        if not lines:
            raise UserError(
                self.env._(
                    "No statutory interest or compensation is due from %(customer)s "
                    "today (the regime covers businesses only, or nothing is "
                    "overdue).",
                    customer=partner.display_name,
                )
            )
        product = company.followup_interest_product_id or self.env.ref(
            "invoice_followup.product_followup_interest"
        )
        by_currency = {}
        for line in lines:
            by_currency.setdefault(line["currency"], []).append(line)
        invoices = self.env["account.move"]
        lang_env = self.with_context(lang=partner.lang).env
        for currency, currency_lines in by_currency.items():
            labels = []
            for line in currency_lines:
                move = line["move"]
                if line["interest"] > 0:
                    labels.append(
                        (
                            lang_env._(
                                "Statutory interest on %(invoice)s: %(days)s days late "
                                "(%(periods)s)",
                                invoice=move.name,
                                days=line["days"],
                                periods="; ".join(
                                    f"{fields.Date.to_string(p[0])} - "
                                    f"{fields.Date.to_string(p[1])}: "
                                    f"{currency.format(p[3])} x {p[4]:.2f} %"
                                    for p in line["parts"]
                                ),
                            ),
                            line["interest"],
                        )
                    )
                if line["compensation"] > 0:
                    labels.append(
                        (
                            lang_env._(
                                "Fixed compensation for recovery costs: %(invoice)s",
                                invoice=move.name,
                            ),
                            line["compensation"],
                        )
                    )
            invoice = self._create_charge_invoice(
                partner,
                company,
                currency,
                product,
                labels,
                {
                    "ref": lang_env._("Statutory interest and compensation"),
                    "followup_charge_kind": "interest",
                    "followup_charged_move_ids": [
                        Command.set([line["move"].id for line in currency_lines])
                    ],
                },
            )
            Moves = self.env["account.move"].with_context(
                skip_invoice_sync=True, check_move_validity=False
            )
            Moves.browse([line["move"].id for line in currency_lines]).write(
                {"followup_interest_invoiced_to": today}
            )
            Moves.browse(
                [line["move"].id for line in currency_lines if line["compensation"] > 0]
            ).write({"followup_compensation_move_id": invoice.id})
            invoices |= invoice
        partner.message_post(
            body=self.env._(
                "Statutory interest invoiced: %(invoices)s",
                invoices=", ".join(invoices.mapped("name")),
            )
        )
        return invoices
