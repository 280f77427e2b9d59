# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import common as odoo_tests_common
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.invoice_followup.tests.common import TODAY, FollowupCommon

# queue_job 18.0.4's test helpers register themselves in SETATTR_SOURCES, which
# Odoo 18.0 sources before it (no check of patched model classes) do not have
if not hasattr(odoo_tests_common, "SETATTR_SOURCES"):
    odoo_tests_common.SETATTR_SOURCES = {}

# pylint: disable=wrong-import-position,ungrouped-imports
from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.tests.common import trap_jobs

from ..models.invoice_followup_run import CHANNEL

CRON_XMLID = "invoice_followup.ir_cron_invoice_followup"


@tagged("post_install", "-at_install")
class TestQueueRun(FollowupCommon):
    """With invoice_followup_queue, the scheduled daily run enqueues one job per
    batch of customers; the jobs, run as queue_job's runner runs them, do the
    follow-up of the customers still due."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_c = cls.env["res.partner"].create(
            {
                "name": "Al Noor Supplies",
                "is_company": True,
                "email": "accounts@alnoor.example.com",
            }
        )
        cls.customers = cls.customer | cls.customer_b | cls.customer_c
        cls.Run = cls.env["invoice.followup.run"]
        cls.env["ir.config_parameter"].set_param("invoice_followup.batch_size", 2)

    def _cron(self):
        """The daily run as the scheduler starts it (the cron record's action)."""
        self.env.ref(CRON_XMLID).method_direct_trigger()

    def _jobs(self, method="_followup_queue_batch"):
        return (
            self.env["queue.job"]
            .sudo()
            .search(
                [("channel", "=", CHANNEL), ("method_name", "=", method)], order="id"
            )
        )

    def _perform(self, record):
        """``record`` (queue.job) run as the job runner has it run: through
        queue_job's /queue_job/runjob controller code, in this transaction."""
        env = self.env(su=True)  # the controller's user
        with patch.object(Job, "in_temporary_env") as temporary_env:
            temporary_env.return_value.__enter__.return_value = env
            RunJobController._runjob(env, Job.load(env, record.uuid))

    def _due_invoices(self):
        return {
            partner: self._invoice(partner=partner, days_late=5)
            for partner in self.customers
        }

    def _steps(self):
        return self.Log.search([("partner_id", "in", self.customers.ids)])

    def _mails(self):
        return self.env["mail.mail"].search(
            [("recipient_ids", "in", self.customers.ids)]
        )

    def test_scheduled_run_enqueues_one_job_per_batch(self):
        """Scenario: three customers are due and a batch holds two. The
        scheduled run sends nothing itself: it enqueues two jobs on the
        channel root.invoice_followup (two customers, then one), each with an
        identity key naming the company and the day, and the insight job after
        them. Performed, the jobs give each customer its step."""
        with freeze_time(TODAY), trap_jobs() as trap:
            self._due_invoices()
            self._cron()
            self.assertFalse(self._steps())
            trap.assert_jobs_count(2, only=self.Run._followup_queue_batch)
            trap.assert_jobs_count(1, only=self.Run._refresh_insight)
            batch_calls = [
                call
                for call in trap.calls
                if call.method.__name__ != "_refresh_insight"
            ]
            self.assertEqual(
                sorted(call.args for call in batch_calls),
                [
                    (self.company.id, sorted(self.customers.ids)[:2]),
                    (self.company.id, sorted(self.customers.ids)[2:]),
                ],
            )
            keys = [call.properties["identity_key"] for call in batch_calls]
            self.assertEqual(len(set(keys)), 2)
            for call in trap.calls:
                self.assertEqual(call.properties["channel"], CHANNEL)
            for key in keys:
                self.assertTrue(
                    key.startswith(f"invoice_followup:{self.company.id}:2026-03-04:")
                )
            trap.perform_enqueued_jobs()
            self.assertEqual(self._steps().partner_id, self.customers)
            self.assertEqual(len(self._mails()), 3)

    def test_direct_call_stays_synchronous(self):
        """Scenario: called outside the scheduler (a shell, a script), the daily
        run does the follow-up itself and enqueues nothing."""
        with freeze_time(TODAY), trap_jobs() as trap:
            self._due_invoices()
            self.assertEqual(self._run(), 3)
            trap.assert_jobs_count(0)
            self.assertEqual(len(self._steps()), 3)

    def test_second_call_same_day_enqueues_no_new_job(self):
        """Scenario: the scheduled run is started twice the same morning before
        any job ran: the second call finds the batches' jobs waiting (same
        identity keys) and enqueues nothing. Once the jobs are done, a third
        call has nobody left to follow up."""
        with freeze_time(TODAY):
            self._due_invoices()
            self._cron()
            jobs = self._jobs()
            self.assertEqual(len(jobs), 2)
            self.assertTrue(all(jobs.mapped("identity_key")))
            self.assertEqual(len(self._jobs("_refresh_insight")), 1)
            self._cron()
            self.assertEqual(self._jobs(), jobs)
            self.assertEqual(len(self._jobs("_refresh_insight")), 1)
            for job in jobs:
                self._perform(job)
            self.assertEqual(jobs.mapped("state"), ["done", "done"])
            self.assertEqual(len(self._steps()), 3)
            self._cron()
            self.assertEqual(self._jobs(), jobs)
            self.assertEqual(len(self._steps()), 3)

    def test_job_of_customers_handled_meanwhile_does_nothing(self):
        """Scenario: the jobs are enqueued, then before they run the first
        customer pays, the second one's invoice is paused by an accountant and
        the third one gets its step from another run (an accountant's run of
        the day). The job reads again what is due: no step, no mail."""
        self.env["ir.config_parameter"].set_param("invoice_followup.batch_size", 10)
        with freeze_time(TODAY), trap_jobs() as trap:
            invoices = self._due_invoices()
            self._cron()
            trap.assert_jobs_count(1, only=self.Run._followup_queue_batch)
            self._pay(invoices[self.customer])
            invoices[self.customer_b].followup_pause_reason = "manual"
            self.Run._run(invoices[self.customer_c], run_by="user")
            steps, mails = self._steps(), self._mails()
            self.assertEqual(steps.partner_id, self.customer_c)
            trap.perform_enqueued_jobs()
            self.assertEqual(self._steps(), steps)
            self.assertEqual(self._mails(), mails)
            self.assertEqual(invoices[self.customer_b].followup_state, "paused")

    def test_failed_job_leaves_other_batches_done_and_can_be_requeued(self):
        """Scenario: one batch per customer; the second customer's batch fails
        (an error outside the per-customer steps). The other jobs are done and
        their customers have their step; the failed job says why, the insight
        job waits for it. Requeued (Job Queue > Jobs > Requeue) once the cause
        is gone, it is done, the customer has its step and the insight job is
        released."""
        self.env["ir.config_parameter"].set_param("invoice_followup.batch_size", 1)
        plan = type(self.Run)._plan
        failing = self.customer_b

        def broken_plan(run, moves, *args, **kwargs):
            if failing in moves.commercial_partner_id:
                raise ValueError("stage configuration broken")
            return plan(run, moves, *args, **kwargs)

        with freeze_time(TODAY):
            self._due_invoices()
            self._cron()
            jobs = self._jobs()
            self.assertEqual(len(jobs), 3)
            by_partner = {job.args[1][0]: job for job in jobs}
            with (
                patch.object(type(self.Run), "_plan", broken_plan),
                mute_logger("odoo.addons.queue_job.controllers.main"),
            ):
                for job in jobs:
                    try:
                        self._perform(job)
                    except ValueError:
                        self.assertEqual(job, by_partner[failing.id])
            failed = by_partner[failing.id]
            self.assertEqual(failed.state, "failed")
            self.assertIn("stage configuration broken", failed.exc_message)
            self.assertEqual((jobs - failed).mapped("state"), ["done", "done"])
            self.assertEqual(self._steps().partner_id, self.customers - failing)
            insight = self._jobs("_refresh_insight")
            self.assertEqual(insight.state, "wait_dependencies")

            failed.requeue()
            self.assertEqual(failed.state, "pending")
            self._perform(failed)
            self.assertEqual(failed.state, "done")
            self.assertEqual(self._steps().partner_id, self.customers)
            self.assertEqual(insight.state, "pending")
            self._perform(insight)
            self.assertEqual(insight.state, "done")

    def test_lost_connection_is_retried(self):
        """Scenario: the database connection drops while a job runs: the job
        raises queue_job's RetryableJobError, so the runner postpones it (10
        seconds first, by the job function's retry pattern) instead of failing
        it."""
        with freeze_time(TODAY):
            self._due_invoices()
            self._cron()
            job = Job.load(self.env(su=True), self._jobs()[0].uuid)
            lost = psycopg2.OperationalError(
                "server closed the connection unexpectedly"
            )
            with (
                patch.object(type(self.Run), "_run", side_effect=lost),
                self.assertRaises(RetryableJobError),
            ):
                job.perform()
            self.assertEqual(job.retry, 1)
            self.assertEqual(job._get_retry_seconds(), 10)
            self.assertFalse(self._steps())

    def test_settings_set_the_channel_capacity(self):
        """Scenario: the admin sets how many follow-up jobs run at once: it is
        the capacity of the job channel, which the job runner applies live; a
        negative number is refused."""
        channel = self.env.ref(
            "invoice_followup_queue.queue_job_channel_invoice_followup"
        ).sudo()
        self.assertEqual(channel.complete_name, CHANNEL)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.followup_queue_capacity, channel.capacity)
        settings.followup_queue_capacity = 4
        settings.execute()
        self.assertEqual(channel.capacity, 4)
        settings = self.env["res.config.settings"].create({})
        settings.followup_queue_capacity = -1
        with self.assertRaises(ValidationError):
            settings.execute()
        self.assertEqual(channel.capacity, 4)
