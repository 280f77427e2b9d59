# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import threading

from freezegun import freeze_time

from odoo import fields
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import TODAY, FollowupCommon, make_step


@tagged("post_install", "-at_install")
class TestFollowupConcurrency(FollowupCommon):
    """Two runs at once, a run after a crash, "Send now" after the cron: the
    database guards that nobody gets a second step or a second message. The
    other run is a second real PostgreSQL connection (its own transaction)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time(TODAY):  # the schedule is computed on the day of the tests
            cls.move = cls._invoice(days_late=4)
            cls.move_b = cls._invoice(partner=cls.customer_b, days_late=4)

    def _mails(self, partner):
        return self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "=", partner.id)]
        )

    def _other_run_holds(self, partner):
        """A second connection takes the run's lock on ``partner`` (as a run in
        another worker or server does while it works on it)."""
        cursor = db_connect(self.env.cr.dbname).cursor()
        self.addCleanup(cursor.close)
        cursor.execute(
            "SELECT pg_advisory_lock(hashtextextended(%s, 0))",
            [f"invoice_followup.step:{self.company.id}:{partner.id}"],
        )
        return cursor

    @freeze_time(TODAY)
    def test_customer_held_by_another_run_is_left_to_it(self):
        """Scenario: another run keeps working on the first customer longer than
        the cron waits for it (1 s here): the cron does the second customer only.
        Once the other run is gone, a new run does the first customer, once."""
        self.env["ir.config_parameter"].sudo().set_param(
            "invoice_followup.lock_wait_seconds", "1"
        )
        other = self._other_run_holds(self.customer)
        self._run()
        self.assertFalse(self._logs(self.customer))
        self.assertEqual(len(self._logs(self.customer_b)), 1)
        self.assertFalse(self._mails(self.customer))
        other.execute("SELECT pg_advisory_unlock_all()")
        self._run()
        self._run()
        self.assertEqual(len(self._logs(self.customer)), 1)
        self.assertEqual(len(self._logs(self.customer_b)), 1)
        self.assertEqual(len(self._mails(self.customer)), 1)
        self.assertEqual(len(self._mails(self.customer_b)), 1)

    @freeze_time(TODAY)
    def test_run_waits_for_a_customer_another_run_releases(self):
        """Scenario: another run holds the first customer and ends (it dies, or
        gives up) half a second after the cron started: the cron waits for it
        and then does that customer's step itself; nobody is missed."""
        other = self._other_run_holds(self.customer)
        release = threading.Timer(
            0.5, other.execute, ["SELECT pg_advisory_unlock_all()"]
        )
        release.start()
        self.addCleanup(release.cancel)
        self._run()
        self.assertEqual(len(self._logs(self.customer)), 1)
        self.assertEqual(len(self._logs(self.customer_b)), 1)
        self.assertEqual(len(self._mails(self.customer)), 1)

    @freeze_time(TODAY)
    def test_step_committed_by_another_run_is_not_repeated(self):
        """Scenario: between this run's look at the due work and its insert,
        another run committed the customer's step of the day (what PostgreSQL's
        snapshot cannot show): the unique index refuses the second one, this run
        sends nothing for that customer and records no failure; the other
        customer of the batch goes out."""
        self.Log.create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "stage_id": self.stage_first.id,
                "move_ids": [fields.Command.set(self.move.ids)],
                "run_by": "cron",
                "is_day_step": True,
            }
        )
        Run = self.env["invoice.followup.run"]
        planned = Run._plan(
            self.env["account.move"].browse((self.move | self.move_b).ids)
        )
        self.assertEqual(len(planned), 2)
        with mute_logger("odoo.sql_db"):
            logs = Run._execute(planned, "cron")
        self.assertEqual(logs.partner_id, self.customer_b)
        self.assertEqual(len(self._logs(self.customer)), 1)
        self.assertFalse(self._mails(self.customer))
        self.assertFalse(
            self._logs(self.customer).filtered(lambda log: log.state == "failed")
        )
        self.assertFalse(self.move.followup_stage_id)

    @freeze_time(TODAY)
    def test_send_now_after_the_cron_sends_nothing_more(self):
        """Scenario: the cron reminded the customer this morning; an accountant
        clicks "Send now" on the same invoice: told there is nothing to send,
        no second step, no second mail."""
        self._run()
        self.assertEqual(len(self._mails(self.customer)), 1)
        result = self.move.action_followup_send_now()
        self.assertEqual(result.get("tag"), "display_notification")
        self.assertIn(
            "had its follow-up step today already", result["params"]["message"]
        )
        self.assertEqual(len(self._logs(self.customer)), 1)
        self.assertEqual(len(self._mails(self.customer)), 1)

    @freeze_time(TODAY)
    def test_failed_attempt_and_preview_leave_the_day_free(self):
        """Scenario: a preview, and a failed attempt, do not count as the day's
        step: once the cause is fixed the accountant's "Send now" goes out."""
        preview = (
            self.env["invoice.followup.preview.wizard"]
            .with_context(default_partner_id=self.customer.id)
            .create({})
        )
        self.assertTrue(preview.subject)
        failed = make_step(
            self.env,
            self.customer,
            self.company,
            self.stage_first,
            self.move,
            run_by="cron",
        )
        failed._followup_set({"state": "failed", "error": "SMTP down"})
        logs = self.move.action_followup_send_now()
        self.assertEqual(logs.get("res_model"), "invoice.followup.log")
        day = self._logs(self.customer).filtered("is_day_step")
        self.assertEqual(len(day), 1)
        self.assertEqual(day.state, "done")
