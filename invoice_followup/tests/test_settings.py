# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from ..models.invoice_followup_risk_level import RISK_LEVELS
from ..tools.uploads import max_upload_text
from .common import TODAY, FollowupCommon


@tagged("post_install", "-at_install")
class TestFollowupSettings(FollowupCommon):
    """What Settings > Invoicing > Follow-up adjusts reaches the code that reads it."""

    def _save(self, **values):
        self.env["res.config.settings"].create(values).execute()

    def test_batch_size_from_settings_drives_the_cron(self):
        """Scenario: the admin sets 1 customer per batch in Settings: the system
        parameter the run reads holds it, and inside the real cron each call
        (without a batch size of its own) handles one of the two due customers.
        Back to 0, the parameter is gone and the default (500) applies again."""
        self._save(invoice_followup_batch_size=1)
        self.assertEqual(
            self.env["ir.config_parameter"].get_param("invoice_followup.batch_size"),
            "1",
        )
        self.assertEqual(
            self.env["res.config.settings"].create({}).invoice_followup_batch_size, 1
        )
        cron = self.env.ref("invoice_followup.ir_cron_invoice_followup")
        with freeze_time(TODAY):
            self._invoice(days_late=5)
            self._invoice(partner=self.customer_b, days_late=5)
            progress = self.env["ir.cron.progress"].create(
                {"cron_id": cron.id, "remaining": 0, "done": 0}
            )
            self.env["account.move"].with_context(
                ir_cron_progress_id=progress.id
            )._cron_invoice_followup()
            self.assertEqual((progress.done, progress.remaining), (1, 1))
        self._save(invoice_followup_batch_size=0)
        self.assertFalse(
            self.env["ir.config_parameter"].get_param("invoice_followup.batch_size")
        )
        self.assertEqual(
            self.env["res.config.settings"].create({}).invoice_followup_batch_size, 500
        )

    def test_portal_limits_from_settings(self):
        """Scenario: the admin allows 1 portal answer per link and day and 2 MB
        attachments: a second answer the same day is refused, and the upload
        limit says 2 MB. Negative limits are refused."""
        self._save(
            invoice_followup_portal_answers_per_day=1,
            invoice_followup_upload_max_mb=2.0,
            invoice_followup_lock_wait_seconds=5,
        )
        params = self.env["ir.config_parameter"]
        self.assertEqual(params.get_param("invoice_followup.lock_wait_seconds"), "5")
        self.assertEqual(max_upload_text(self.env), "2")
        move = self._invoice(days_late=5)
        move._followup_count_answer()
        with self.assertRaisesRegex(UserError, "many answers today"):
            move._followup_count_answer()
        with self.assertRaises(ValidationError):
            self._save(invoice_followup_batch_size=-1)

    def test_risk_levels_said_once(self):
        """Scenario: the risk level records, the customer's level, the policy's
        highest level and a stage's filter use the same levels in the same
        order; the risk levels have their menu under Configuration > Follow-up."""
        levels = self.env["invoice.followup.risk.level"].search([])
        self.assertEqual(levels.mapped("code"), [code for code, _label in RISK_LEVELS])
        for model, field in (
            ("res.partner", "payment_risk_level"),
            ("res.company", "payment_plan_max_risk"),
        ):
            self.assertEqual(
                [code for code, _label in self.env[model]._fields[field].selection],
                levels.mapped("code"),
            )
        menu = self.env.ref("invoice_followup.invoice_followup_risk_level_menu")
        self.assertEqual(
            menu.action,
            self.env.ref("invoice_followup.invoice_followup_risk_level_action"),
        )
        self.assertEqual(
            menu.parent_id,
            self.env.ref("invoice_followup.invoice_followup_config_menu"),
        )
