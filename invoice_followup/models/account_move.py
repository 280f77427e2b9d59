# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

FOLLOWUP_MOVE_TYPES = ("out_invoice", "out_receipt")
PAUSE_REASONS = [
    ("dispute", "Dispute or question"),
    ("promise", "Promise to pay"),
    ("payment_plan", "Payment plan"),
    ("manual", "Paused by an accountant"),
    ("excluded", "Excluded"),
]


class AccountMove(models.Model):
    _inherit = "account.move"

    followup_date_due = fields.Date(
        "Follow-up Due Date",
        compute="_compute_followup_date_due",
        store=True,
        help="Due date of the earliest instalment still open.",
    )
    followup_stage_id = fields.Many2one(
        "invoice.followup.stage",
        string="Follow-up Stage",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="Last follow-up step done for this invoice.",
    )
    followup_last_date = fields.Date("Last Follow-up", copy=False, readonly=True)
    followup_next_stage_id = fields.Many2one(
        "invoice.followup.stage",
        string="Next Follow-up Stage",
        compute="_compute_followup_next",
        store=True,
    )
    followup_next_date = fields.Date(
        "Next Follow-up",
        compute="_compute_followup_next",
        store=True,
        index="btree_not_null",
    )
    followup_state = fields.Selection(
        [
            ("none", "Not followed up"),
            ("planned", "Planned"),
            ("action_needed", "Action needed"),
            ("paused", "Paused"),
            ("done", "Done"),
        ],
        string="Follow-up Status",
        compute="_compute_followup_state",
        store=True,
        index=True,
    )
    followup_pause_reason = fields.Selection(
        PAUSE_REASONS, string="Pause Reason", copy=False, tracking=True
    )
    followup_paused_until = fields.Date("Paused Until", copy=False, tracking=True)
    followup_receipt_date = fields.Datetime("Receipt Confirmed On", copy=False, readonly=True)
    followup_log_ids = fields.Many2many(
        "invoice.followup.log",
        "invoice_followup_log_account_move_rel",
        "move_id",
        "log_id",
        string="Follow-up History",
        copy=False,
        readonly=True,
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends(
        "invoice_date_due",
        "line_ids.date_maturity",
        "line_ids.reconciled",
        "line_ids.display_type",
    )
    def _compute_followup_date_due(self):
        for move in self:
            open_terms = move.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
                and not line.reconciled
                and line.date_maturity
            )
            move.followup_date_due = (
                min(open_terms.mapped("date_maturity")) if open_terms else move.invoice_date_due
            )

    def _followup_is_open(self):
        """A posted customer invoice that still has something to pay."""
        self.ensure_one()
        return (
            self.state == "posted"
            and self.move_type in FOLLOWUP_MOVE_TYPES
            and self.payment_state not in ("paid", "in_payment", "reversed")
            and not self.currency_id.is_zero(self.amount_residual)
            and self.amount_residual > 0
        )

    @api.model
    def _followup_stages_by_company(self, companies):
        stages = self.env["invoice.followup.stage"].sudo().search(
            [("company_id", "in", companies.ids)], order="sequence, id"
        )
        by_company = defaultdict(lambda: self.env["invoice.followup.stage"])
        for stage in stages:
            by_company[stage.company_id.id] |= stage
        return by_company

    def _followup_remaining_stages(self, stages):
        """Stages after the last one done that apply to this invoice."""
        self.ensure_one()
        done = self.followup_stage_id
        remaining = stages
        if done:
            remaining = stages.filtered(
                lambda s: (s.sequence, s.id) > (done.sequence, done.id)
            )
        return remaining.filtered(lambda s: s._applies_to(self))

    @api.depends(
        "state",
        "move_type",
        "payment_state",
        "amount_residual",
        "invoice_date",
        "followup_date_due",
        "followup_stage_id",
        "company_id",
        "partner_id.commercial_partner_id.payment_risk_level",
    )
    def _compute_followup_next(self):
        stages_by_company = self._followup_stages_by_company(self.company_id)
        for move in self:
            next_stage = self.env["invoice.followup.stage"]
            if move._followup_is_open():
                remaining = move._followup_remaining_stages(stages_by_company[move.company_id.id])
                next_stage = remaining[:1]
            move.followup_next_stage_id = next_stage
            move.followup_next_date = next_stage and next_stage._date_for(move)

    @api.depends(
        "followup_next_stage_id",
        "followup_next_date",
        "followup_pause_reason",
        "state",
        "move_type",
        "payment_state",
        "partner_id.commercial_partner_id.followup_excluded",
    )
    def _compute_followup_state(self):
        today = fields.Date.context_today(self)
        for move in self:
            if move.state != "posted" or move.move_type not in FOLLOWUP_MOVE_TYPES:
                move.followup_state = "none"
            elif not move._followup_is_open():
                move.followup_state = "done"
            elif move.followup_pause_reason or move.commercial_partner_id.followup_excluded:
                move.followup_state = "paused"
            elif not move.followup_next_stage_id:
                move.followup_state = "done"
            elif (
                not move.followup_next_stage_id.auto_execute
                and move.followup_next_date
                and move.followup_next_date <= today
            ):
                move.followup_state = "action_needed"
            else:
                move.followup_state = "planned"

    @api.model
    def _invoice_followup_recompute(self, companies):
        """Stages changed: recompute the schedule of the open invoices of ``companies``."""
        if not companies:
            return
        moves = self.sudo().search(
            [
                ("company_id", "in", companies.ids),
                ("move_type", "in", FOLLOWUP_MOVE_TYPES),
                ("state", "=", "posted"),
                ("followup_state", "not in", ("none", "done")),
            ]
        ) | self.sudo().search(
            [
                ("company_id", "in", companies.ids),
                ("move_type", "in", FOLLOWUP_MOVE_TYPES),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("followup_state", "=", "done"),
            ]
        )
        self.env.add_to_compute(self._fields["followup_next_stage_id"], moves)
        self.env.add_to_compute(self._fields["followup_next_date"], moves)
        moves._recompute_recordset(["followup_next_stage_id", "followup_next_date"])

    # ------------------------------------------------------------------
    # Engine
    # ------------------------------------------------------------------
    def _followup_due_stage(self, stages, today, include_manual=False):
        """The most advanced stage due today or before for this invoice
        (catch-up: never a burst of every stage missed). Without
        ``include_manual`` (the daily run) it never reaches past the first
        manual stage: that one waits for an accountant in the worklist."""
        self.ensure_one()
        remaining = self._followup_remaining_stages(stages)
        if not include_manual:
            manual = remaining.filtered(lambda s: not s.auto_execute)[:1]
            if manual:
                remaining = remaining.filtered(
                    lambda s: (s.sequence, s.id) < (manual.sequence, manual.id)
                )
        due = remaining.filtered(lambda s: s._date_for(self) and s._date_for(self) <= today)
        return due[-1:]

    @api.model
    def _cron_invoice_followup(self, batch_size=None):
        """Daily follow-up. In a cron: one batch of customers per call, progress
        reported with _notify_progress (the framework commits and calls again).
        Outside a cron: every due customer, then return."""
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        batch_size = batch_size or int(
            self.env["ir.config_parameter"].sudo().get_param("invoice_followup.batch_size", 50)
        )
        self._invoice_followup_release_pauses()
        total_done = 0
        seen = set()
        while True:
            work = self._invoice_followup_due_work()
            partners = [pid for pid in work if pid not in seen]
            if not partners:
                self.env["ir.cron"]._notify_progress(done=total_done, remaining=0)
                return total_done
            batch = partners[:batch_size]
            seen.update(batch)
            for partner_id in batch:
                self.browse(work[partner_id])._invoice_followup_run_customer(run_by="cron")
            total_done += len(batch)
            if in_cron:
                self.env["ir.cron"]._notify_progress(
                    done=len(batch), remaining=len(partners) - len(batch)
                )
                return total_done

    @api.model
    def _invoice_followup_release_pauses(self):
        """Pauses whose date has passed end: the invoice goes back in line; an
        unkept promise is recorded on the invoice and the customer."""
        today = fields.Date.context_today(self)
        expired = self.sudo().search(
            [
                ("followup_pause_reason", "!=", False),
                ("followup_paused_until", "!=", False),
                ("followup_paused_until", "<", today),
            ]
        )
        broken = expired.filtered(
            lambda m: m.followup_pause_reason == "promise" and m._followup_is_open()
        )
        if broken:
            broken._message_log_batch(
                {
                    move.id: self.env._(
                        "The customer did not keep the promise to pay by %(date)s: follow-up resumes.",
                        date=fields.Date.to_string(move.followup_paused_until),
                    )
                    for move in broken
                }
            )
        expired.write({"followup_pause_reason": False, "followup_paused_until": False})
        return expired

    @api.model
    def _invoice_followup_due_work(self):
        """One indexed query for the due invoices, grouped by commercial partner:
        {partner_id: [move ids]}, for companies whose automatic follow-up runs today."""
        today = fields.Date.context_today(self)
        companies = self.env["res.company"].sudo().search([("followup_auto", "=", True)])
        companies = companies.filtered(
            lambda c: today.weekday() in c.followup_weekday_ids.mapped("weekday")
        )
        if not companies:
            return {}
        # manual stages that fell due become actions for the worklist
        manual = self.sudo().search(
            [
                ("company_id", "in", companies.ids),
                ("followup_next_date", "<=", today),
                ("followup_state", "=", "planned"),
                ("followup_next_stage_id.auto_execute", "=", False),
            ]
        )
        if manual:
            self.env.add_to_compute(self._fields["followup_state"], manual)
            manual._recompute_recordset(["followup_state"])
        blocked = self._invoice_followup_blocked_partners(companies, today)
        domain = [
            ("company_id", "in", companies.ids),
            ("followup_next_date", "<=", today),
            ("followup_state", "=", "planned"),
        ]
        if blocked:
            domain.append(("commercial_partner_id", "not in", list(blocked)))
        groups = self.sudo()._read_group(
            domain, ["commercial_partner_id"], ["id:array_agg"], order="commercial_partner_id"
        )
        return {partner.id: ids for partner, ids in groups}

    @api.model
    def _invoice_followup_blocked_partners(self, companies, today):
        """Customers the daily run leaves alone today: waiting for an accountant,
        failed today already, or at their weekly maximum of reminders."""
        blocked = {
            partner.id
            for [partner] in self.sudo()._read_group(
                [("company_id", "in", companies.ids), ("followup_state", "=", "action_needed")],
                ["commercial_partner_id"],
            )
        }
        Log = self.env["invoice.followup.log"].sudo()
        blocked.update(
            partner.id
            for [partner] in Log._read_group(
                [("company_id", "in", companies.ids), ("date", "=", today), ("state", "=", "failed")],
                ["partner_id"],
            )
        )
        for company in companies.filtered("followup_max_per_week"):
            blocked.update(
                partner.id
                for partner, count in Log._read_group(
                    [
                        ("company_id", "=", company.id),
                        ("date", ">", today - timedelta(days=7)),
                        ("state", "=", "done"),
                    ],
                    ["partner_id"],
                    ["__count"],
                )
                if count >= company.followup_max_per_week
            )
        return blocked

    def _invoice_followup_run_customer(self, run_by="user", force=False):
        """Execute one follow-up step for the invoices ``self`` (one customer,
        one company): the most advanced stage due among them; every invoice
        advances to its own stage. Errors are recorded on a failed log."""
        Log = self.env["invoice.followup.log"]
        if not self:
            return Log
        partner = self.commercial_partner_id
        company = self.company_id
        if len(partner) > 1 or len(company) > 1:
            raise UserError(self.env._("A follow-up step covers one customer of one company."))
        today = fields.Date.context_today(self)
        stages = self._followup_stages_by_company(company)[company.id]
        targets = {}
        for move in self.filtered(lambda m: m._followup_is_open()):
            stage = move._followup_due_stage(stages, today, include_manual=force)
            if not stage and force:
                stage = move.followup_next_stage_id
            if stage:
                targets[move] = stage
        if not targets:
            # the stored schedule was stale: refresh it so that the run moves on
            for fname in ("followup_next_stage_id", "followup_next_date", "followup_state"):
                self.env.add_to_compute(self._fields[fname], self)
            self._recompute_recordset()
            return Log
        stage = max(targets.values(), key=lambda s: (s.sequence, s.id))
        moves = self.browse([m.id for m in targets])
        try:
            with self.env.cr.savepoint():
                log = Log._create_for_step(partner, company, stage, moves, run_by)
                log._execute()
                for move, move_stage in targets.items():
                    move.write({"followup_stage_id": move_stage.id, "followup_last_date": today})
        except Exception as error:  # noqa: BLE001 - recorded on the log, the run goes on
            _logger.warning("Follow-up failed for customer %s: %s", partner.id, error, exc_info=True)
            log = Log._create_for_step(partner, company, stage, moves, run_by)
            log.write({"state": "failed", "error": str(error)})
        return log

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_followup_send_now(self):
        """Send the follow-up of the selected invoices now, customer by customer."""
        self.check_access("write")
        logs = self.env["invoice.followup.log"]
        for _key, moves in self.grouped(lambda m: (m.commercial_partner_id, m.company_id)).items():
            logs |= moves._invoice_followup_run_customer(run_by="user", force=True)
        return logs._action_show_result()

    def action_followup_resume(self):
        self.write({"followup_pause_reason": False, "followup_paused_until": False})
