# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import SUPERUSER_ID, api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import formatting
from .invoice_followup_risk_level import RISK_LEVELS


class InvoiceFollowupWorklist(models.Model):
    """The accountants' daily screen: one row per customer and company with
    open invoices in follow-up. A read-only SQL view over account.move."""

    _name = "invoice.followup.worklist"
    _description = "Follow-up Worklist"
    _auto = False
    _order = "next_date asc nulls last, amount_overdue desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    responsible_id = fields.Many2one("res.users", string="Responsible", readonly=True)
    invoice_count = fields.Integer("Invoices", readonly=True)
    amount_due = fields.Monetary(readonly=True)
    amount_overdue = fields.Monetary(readonly=True)
    oldest_due_date = fields.Date(readonly=True)
    days_late = fields.Integer(compute="_compute_days_late")
    next_date = fields.Date("Next Action", readonly=True)
    next_stage_id = fields.Many2one(
        "invoice.followup.stage", string="Next Stage", readonly=True
    )
    state = fields.Selection(
        [
            ("action_needed", "Action needed"),
            ("planned", "Planned"),
            ("paused", "Paused"),
        ],
        string="Status",
        readonly=True,
    )
    last_date = fields.Date("Last Follow-up", readonly=True)
    avg_days_late = fields.Float(
        "Usually Days Late",
        readonly=True,
        digits=(16, 1),
        help="How late the customer pays on average (its payment behaviour).",
    )
    usually_late = fields.Boolean(readonly=True)
    risk_score = fields.Integer(readonly=True)
    getting_worse = fields.Boolean(readonly=True)
    risk_level = fields.Selection(
        RISK_LEVELS,
        "Payment Risk",
        readonly=True,
        help="Set by hand, else from the payment behaviour, else the company's "
        "band for new customers.",
    )
    paid_count = fields.Integer("Paid Invoices", readonly=True)
    agency_id = fields.Many2one(related="partner_id.followup_agency_id")
    # models/res_partner_delivery.py
    delivery_failure_count = fields.Integer(related="partner_id.followup_failure_count")

    @api.depends("oldest_due_date")
    @api.depends_context("tz")
    def _compute_days_late(self):
        today = fields.Date.context_today(self)
        for row in self:
            row.days_late = formatting.days_late(row.oldest_due_date, today)

    def init(self):
        """The responsible is chosen as res.partner._followup_get_responsible()
        chooses it: the customer's follow-up responsible in the row's company
        (a company-dependent value: the company's own entry, else the ir.default
        fallback the ORM would read), else the salesperson, else the company's
        default responsible."""
        tools.drop_view_if_exists(self.env.cr, self._table)
        # the rows of the view by customer, in order: counting the first rows
        # (the list's count, limited) stops early instead of aggregating every
        # open invoice (1 s on 100,000 customers, issue 16)
        tools.create_index(
            self.env.cr,
            "account_move__followup_worklist_index",
            "account_move",
            ["commercial_partner_id", "company_id"],
            where="state = 'posted' AND move_type IN ('out_invoice', 'out_receipt')"
            " AND payment_state IN ('not_paid', 'partial')"
            " AND followup_state IN ('planned', 'action_needed', 'paused')",
        )
        self.env.cr.execute(
            SQL(
                """
            CREATE VIEW %(view)s AS (
                SELECT
                    agg.id,
                    agg.partner_id,
                    agg.company_id,
                    COALESCE(
                        (COALESCE(p.followup_responsible_id -> agg.company_id::text,
                            fallback.value) ->> 0)::int,
                        p.user_id,
                        c.followup_responsible_id
                    ) AS responsible_id,
                    agg.invoice_count,
                    agg.amount_due,
                    agg.amount_overdue,
                    agg.oldest_due_date,
                    agg.next_date,
                    agg.next_stage_id,
                    agg.state,
                    agg.last_date,
                    COALESCE(b.avg_days_late, 0) AS avg_days_late,
                    COALESCE(b.usually_late, FALSE) AS usually_late,
                    COALESCE(b.risk_score, 0) AS risk_score,
                    COALESCE(b.getting_worse, FALSE) AS getting_worse,
                    COALESCE(p.payment_risk_override, b.risk_band,
                             c.followup_default_risk, 'low') AS risk_level,
                    COALESCE(b.paid_count, 0) AS paid_count
                FROM (
                    SELECT
                        MIN(m.id) AS id,
                        m.commercial_partner_id AS partner_id,
                        m.company_id AS company_id,
                        COUNT(*) AS invoice_count,
                        SUM(m.amount_residual_signed) AS amount_due,
                        SUM(m.amount_residual_signed) FILTER (
                            WHERE m.followup_date_due < CURRENT_DATE
                        ) AS amount_overdue,
                        MIN(m.followup_date_due) AS oldest_due_date,
                        MIN(m.followup_next_date) FILTER (
                            WHERE m.followup_state IN ('planned', 'action_needed')
                        ) AS next_date,
                        -- what the run sends: the most advanced stage due, else the
                        -- next to come. An arg max as MAX/MIN of (key * 2^31 + stage
                        -- id), the stage id in the low 31 bits: ordered ARRAY_AGGs
                        -- sort every customer's invoices apart, ~1 s on 100,000
                        -- customers (issue 16). Planned invoices have a stage and
                        -- a date.
                        COALESCE(
                            (MAX(s.sequence::bigint * 2147483648 + s.id)
                                FILTER (WHERE m.followup_state IN ('planned',
                                    'action_needed')
                                        AND m.followup_next_date <= CURRENT_DATE)
                                & 2147483647)::int,
                            (MIN((m.followup_next_date - DATE '2000-01-01')::bigint
                                    * 2147483648 + m.followup_next_stage_id)
                                FILTER (WHERE m.followup_state IN ('planned',
                                    'action_needed'))
                                & 2147483647)::int
                        ) AS next_stage_id,
                        CASE
                            WHEN BOOL_OR(m.followup_state = 'action_needed') THEN
                                'action_needed'
                            WHEN BOOL_OR(m.followup_state = 'planned') THEN 'planned'
                            ELSE 'paused'
                        END AS state,
                        MAX(m.followup_last_date) AS last_date
                    FROM account_move m
                    LEFT JOIN invoice_followup_stage s ON s.id =
                        m.followup_next_stage_id
                    WHERE m.state = 'posted'
                      AND m.move_type IN ('out_invoice', 'out_receipt')
                      AND m.payment_state IN ('not_paid', 'partial')
                      AND m.followup_state IN ('planned', 'action_needed', 'paused')
                    GROUP BY m.commercial_partner_id, m.company_id
                ) agg
                JOIN res_partner p ON p.id = agg.partner_id
                JOIN res_company c ON c.id = agg.company_id
                LEFT JOIN invoice_followup_behaviour b
                       ON b.partner_id = agg.partner_id
                      AND b.company_id = agg.company_id
                -- the default of the field as ir.default gives it to the ORM (as
                -- superuser), once per company (not once per row: issue 16)
                LEFT JOIN (
                    SELECT DISTINCT ON (dc.id) dc.id AS company_id,
                           d.json_value::jsonb AS value
                      FROM res_company dc
                      JOIN ir_default d
                        ON d.company_id IS NULL OR d.company_id = dc.id
                      JOIN ir_model_fields f ON f.id = d.field_id
                     WHERE f.model = 'res.partner' AND f.name =
                         'followup_responsible_id'
                       AND (d.user_id IS NULL OR d.user_id = %(superuser)s)
                       AND d.condition IS NULL
                     ORDER BY dc.id, d.user_id, d.company_id, d.id
                ) fallback ON fallback.company_id = agg.company_id
            )
            """,
                view=SQL.identifier(self._table),
                superuser=SUPERUSER_ID,
            )
        )

    def _partners(self):
        return self.partner_id.with_company(self.company_id[:1] or self.env.company)

    def action_open_customer(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
            "context": {"invoice_followup_tab": True},
        }

    def action_send_now(self):
        moves = self.env["account.move"]
        for row in self:
            moves |= row.partner_id.with_company(
                row.company_id
            )._followup_moves_or_raise()
        return moves.action_followup_send_now()

    def action_escalate(self):
        """Escalate the selected customers now
        (res.partner.action_followup_escalate)."""
        if len(self.company_id) > 1:
            raise UserError(
                self.env._("Escalate the customers of one company at a time.")
            )
        return self._partners().action_followup_escalate()

    def action_preview(self):
        self.ensure_one()
        return self._partners().action_followup_preview()

    def action_skip_stage(self):
        for row in self:
            row.partner_id.with_company(row.company_id).action_followup_skip_stage()
        return True

    def action_pause(self):
        return self._partners().action_followup_pause()

    def action_exclude(self):
        return self._partners().action_followup_exclude()

    def action_log_call(self):
        return self._partners().action_followup_log_call()
