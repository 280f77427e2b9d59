# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import TODAY, FollowupCommon


@tagged("post_install", "-at_install")
class TestFollowupStage(FollowupCommon):
    """Stages: defaults per company, edits that reschedule, access, translations."""

    def test_default_stages_for_every_company(self):
        """Scenario: the addon is installed, then a Saudi company is created.
        Each company has the six default stages of its own, in order, with
        the agreed schedule and channels; the Saudi one sends Sunday to Thursday."""
        self.assertEqual(
            [(s.date_reference, s.offset_days) for s in self.stages],
            [
                ("invoice_date", 2),
                ("due_date", -3),
                ("due_date", 3),
                ("due_date", 15),
                ("due_date", 30),
                ("due_date", 60),
            ],
        )
        self.assertEqual(self.stage_receipt.name, "Invoice received?")
        self.assertTrue(self.stage_first.send_sms and self.stage_first.send_email)
        self.assertTrue(self.stage_final.send_letter)
        self.assertFalse(self.stage_escalation.auto_execute)
        self.assertTrue(self.stage_escalation.escalate)
        self.assertEqual(
            self.stage_second.activity_type_id,
            self.env.ref("mail.mail_activity_data_call"),
        )
        self.assertTrue(
            all(s.mail_template_id.model == "invoice.followup.log" for s in self.stages)
        )

        saudi = self.env["res.company"].create(
            {"name": "Riyadh Supplies", "country_id": self.country_sa.id}
        )
        saudi_stages = self.Stage.search([("company_id", "=", saudi.id)])
        self.assertEqual(len(saudi_stages), 6)
        self.assertFalse(saudi_stages & self.stages)
        self.assertEqual(
            sorted(saudi.followup_weekday_ids.mapped("weekday")), [0, 1, 2, 3, 6]
        )

    def test_stage_edit_reschedules_invoices(self):
        """Scenario: an invoice waits for the receipt check (invoice date + 2);
        the manager moves that stage to + 5 days, then archives it: the
        invoice's next date and next stage follow at once."""
        with freeze_time(TODAY):
            move = self._invoice(term=self.term_30)
            self.assertEqual(move.followup_next_stage_id, self.stage_receipt)
            self.assertEqual((move.followup_next_date - TODAY).days, 2)
            self.stage_receipt.offset_days = 5
            self.assertEqual((move.followup_next_date - TODAY).days, 5)
            self.stage_receipt.active = False
            self.assertEqual(move.followup_next_stage_id, self.stage_friendly)
            self.assertEqual((move.followup_next_date - TODAY).days, 27)

    def test_stage_used_cannot_be_deleted(self):
        """Scenario: a stage already sent to a customer is deleted: refused, archive it
        instead."""
        with freeze_time(TODAY):
            self._invoice(days_late=5)
            self._run()
            with self.assertRaises(UserError):
                self.stage_first.unlink()

    def test_only_managers_edit_stages(self):
        """Scenario: a billing user reads the stages but cannot change them;
        an accounting manager can."""
        billing = new_test_user(
            self.env,
            "billing_fu",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        manager = new_test_user(
            self.env,
            "manager_fu",
            groups="account.group_account_manager",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        self.assertTrue(self.stage_first.with_user(billing).name)
        with self.assertRaises(AccessError):
            self.stage_first.with_user(billing).write({"offset_days": 4})
        self.stage_first.with_user(manager).write({"offset_days": 4})
        self.assertEqual(self.stage_first.offset_days, 4)

    def test_companies_never_see_each_other(self):
        """Scenario: two companies each run their follow-up; a user of the first
        sees neither the stages nor the logs of the second."""
        other = self.setup_other_company(name="Second Co")["company"]
        other.followup_weekday_ids = self.company.followup_weekday_ids
        with freeze_time(TODAY):
            self._invoice(days_late=5)
            self._invoice(partner=self.customer_b, days_late=5, company=other)
            self._run()
        user = new_test_user(
            self.env,
            "fu_company1",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        visible_stages = self.Stage.with_user(user).search([])
        self.assertEqual(visible_stages.company_id, self.company)
        logs = self.Log.with_user(user).search([])
        self.assertTrue(logs)
        self.assertEqual(logs.company_id, self.company)
        self.assertTrue(self.Log.search([("company_id", "=", other.id)]))
        Worklist = self.env["invoice.followup.worklist"]
        self.assertTrue(Worklist.search([("company_id", "=", other.id)]))
        self.assertFalse(
            Worklist.with_user(user).search([("company_id", "=", other.id)])
        )
        self.assertEqual(Worklist.with_user(user).search([]).company_id, self.company)

    def test_stage_names_follow_a_language_activated_later(self):
        """Scenario: Arabic is activated after the companies got their stages:
        the default stage names get their Arabic translation; a stage the user
        renamed keeps what it had."""
        self.stage_second.name = "Our own second reminder"
        self.env["res.lang"]._activate_lang("ar_001")
        before = self.stage_second.with_context(lang="ar_001").name
        # as if the stage had been created while Arabic did not exist yet
        self.stage_first.update_field_translations("name", {"ar_001": "First reminder"})
        self.assertEqual(
            self.stage_first.with_context(lang="ar_001").name, "First reminder"
        )
        self.env["ir.module.module"]._load_module_terms(
            ["invoice_followup"], ["ar_001"], overwrite=True
        )
        arabic = self.stage_first.with_context(lang="ar_001").name
        self.assertNotEqual(arabic, "First reminder")
        self.assertTrue(any("\u0600" <= char <= "\u06ff" for char in arabic), arabic)
        self.assertEqual(self.stage_second.with_context(lang="ar_001").name, before)


@tagged("post_install", "-at_install")
class TestDefaultStages(FollowupCommon):
    def test_two_companies_created_at_once(self):
        """Scenario: three companies are created in one call: a Saudi one with
        its sending days chosen, a Saudi one and a French one without. Each
        gets what its own values ask for (the chosen days, Sunday to Thursday,
        Monday to Friday) and its own six stages, translated; each company's
        broken plans resume at its own final notice."""
        self.env["res.lang"]._activate_lang("fr_FR")
        monday_to_friday = self.env["invoice.followup.weekday"].search(
            [("weekday", "in", (0, 1, 2, 3, 4))]
        )
        chosen, saudi, french = self.env["res.company"].create(
            [
                {
                    "name": "Jeddah Chosen Days",
                    "country_id": self.country_sa.id,
                    "followup_weekday_ids": [Command.set(monday_to_friday.ids)],
                },
                {"name": "Dammam Default Days", "country_id": self.country_sa.id},
                {"name": "Lyon Default Days", "country_id": self.env.ref("base.fr").id},
            ]
        )
        self.assertEqual(
            sorted(chosen.followup_weekday_ids.mapped("weekday")), [0, 1, 2, 3, 4]
        )
        self.assertEqual(
            sorted(saudi.followup_weekday_ids.mapped("weekday")), [0, 1, 2, 3, 6]
        )
        self.assertEqual(
            sorted(french.followup_weekday_ids.mapped("weekday")), [0, 1, 2, 3, 4]
        )
        for company in (chosen, saudi, french):
            stages = self.Stage.search([("company_id", "=", company.id)])
            self.assertEqual(stages.mapped("offset_days"), [2, -3, 3, 15, 30, 60])
            self.assertEqual(company.payment_plan_broken_stage_id, stages[4])
            self.assertEqual(stages[0].name, "Invoice received?")
            self.assertNotEqual(
                stages[0].with_context(lang="fr_FR").name, "Invoice received?"
            )
        # the stages are made once: a second call changes nothing
        self.assertFalse(self.Stage._create_default_stages(chosen | saudi | french))
