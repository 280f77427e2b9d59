# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The daily run as queue_job jobs: the scheduled action only enqueues, one job
per batch of customers and company; the job runner hands the jobs to as many
workers (and Odoo servers) as the channel's capacity allows."""

import hashlib

import psycopg2

from odoo import api, fields, models

from odoo.addons.queue_job.delay import group
from odoo.addons.queue_job.exception import RetryableJobError

CHANNEL = "root.invoice_followup"
# queue.job states of a job that has not finished: its batch is not enqueued again
OPEN_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")


class InvoiceFollowupRun(models.AbstractModel):
    _inherit = "invoice.followup.run"

    @api.model
    def _run_daily(self, batch_size=None):
        """In the scheduled action: the due customers become jobs, one per
        batch (the admin's batch size) and company, on the channel
        root.invoice_followup, and one last job that refreshes the day's
        insight once they are all done (alone when nothing is due). A batch
        whose job has not finished yet (a second call the same day) is not
        enqueued again. Returns how many batch jobs were enqueued. Called
        directly (a shell, a script), the run stays the synchronous one of
        invoice_followup."""
        if not self.env.context.get("ir_cron_progress_id"):
            return super()._run_daily(batch_size)
        work = self._daily_work()
        batches = self._queue_batches(work, batch_size or self._batch_size())
        if not work:  # nothing due today: the insight still learns from the day
            today = fields.Date.to_string(fields.Date.context_today(self))
            self._insight_job(f"invoice_followup:insight:{today}").delay()
        elif batches:
            group(
                *(
                    self.delayable(
                        channel=CHANNEL,
                        identity_key=key,
                        description=self.env._(
                            "Follow-up: %(count)s customer(s) of %(company)s",
                            count=len(partner_ids),
                            company=company.name,
                        ),
                    )._followup_queue_batch(company.id, partner_ids)
                    for company, partner_ids, key in batches
                )
            ).on_done(self._insight_job()).delay()
        self.env["ir.cron"]._notify_progress(done=len(batches), remaining=0)
        return len(batches)

    @api.model
    def _insight_job(self, identity_key=None):
        """The job (a queue_job Delayable, not delayed yet) that refreshes the
        day's insight (_refresh_insight)."""
        return self.delayable(
            channel=CHANNEL,
            identity_key=identity_key,
            description=self.env._("Follow-up: the day's insight"),
        )._refresh_insight()

    @api.model
    def _queue_batches(self, work, batch_size):
        """[(company, [commercial partner ids], identity key)] of ``work``
        (_due_work) in batches of ``batch_size`` customers per company, less the
        batches whose job has not finished. The key names the company, the day
        and the batch's customers, so the same batch is never queued twice
        while it waits."""
        if not work:
            return []
        today = fields.Date.to_string(fields.Date.context_today(self))
        groups = (
            self.env["account.move"]
            .sudo()
            ._read_group(
                [("id", "in", [move_id for ids in work.values() for move_id in ids])],
                ["company_id"],
                ["commercial_partner_id:array_agg"],
            )
        )
        batches = []
        for company, partner_ids in groups:
            partner_ids = sorted(set(partner_ids))
            for start in range(0, len(partner_ids), batch_size):
                batch = partner_ids[start : start + batch_size]
                digest = hashlib.sha1(
                    ",".join(map(str, batch)).encode(), usedforsecurity=False
                ).hexdigest()[:16]
                key = f"invoice_followup:{company.id}:{today}:{digest}"
                batches.append((company, batch, key))
        waiting = set(
            self.env["queue.job"]
            .sudo()
            .search(
                [
                    ("identity_key", "in", [key for _c, _p, key in batches]),
                    ("state", "in", OPEN_JOB_STATES),
                ]
            )
            .mapped("identity_key")
        )
        return [batch for batch in batches if batch[2] not in waiting]

    @api.model
    def _followup_queue_batch(self, company_id, partner_ids):
        """A job of the daily run: the follow-up of these customers in this
        company. It reads again what they still have due (_due_work restricted
        to them): a customer who paid, was paused, or had the day's step from
        another run (the claim: locks and the unique index of day steps) gets
        nothing. A lost connection or a serialization failure is retried
        (queue.job.function retry pattern); any other error fails the job,
        which Job Queue > Jobs shows and can requeue; the other batches are
        not affected."""
        try:
            work = self._due_work(partner_ids=partner_ids)
            company = self.env["res.company"].sudo().browse(company_id)
            moves = (
                self.env["account.move"]
                .sudo()
                .with_company(company)
                .browse([move_id for ids in work.values() for move_id in ids])
                .filtered(lambda m: m.company_id == company)
            )
            steps = self.with_company(company)._run(moves, run_by="cron")
            self.env.flush_all()
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
            raise RetryableJobError(str(error)) from error
        return self.env._(
            "%(steps)s step(s) for %(due)s of %(count)s customer(s) still due",
            steps=len(steps),
            due=len(work),
            count=len(partner_ids),
        )
