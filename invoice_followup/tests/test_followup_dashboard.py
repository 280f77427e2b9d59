# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo.tests import tagged

from .common import FollowupCommon


@tagged("post_install", "-at_install")
class TestFollowupDashboard(FollowupCommon):
    """The Follow-up dashboard (Odoo's spreadsheet dashboards, Finance group)."""

    def test_dashboard_reads_existing_fields(self):
        """Every pivot, list and chart of the dashboard names a model, measures
        and groupings that exist and can be grouped by, so it opens without an
        error for an accountant; its texts are marked for translation."""
        dashboard = self.env.ref("invoice_followup.dashboard_followup")
        self.assertIn(
            self.env.ref("account.group_account_invoice"), dashboard.group_ids
        )
        data = dashboard.get_readonly_dashboard()["snapshot"]
        if isinstance(data, str):
            data = json.loads(data)
        uses = []
        for pivot in data["pivots"].values():
            uses.append(
                (
                    pivot["model"],
                    [m["fieldName"] for m in pivot["measures"]],
                    [r["fieldName"] for r in pivot["rows"] + pivot["columns"]],
                )
            )
        for sheet in data["sheets"]:
            for figure in sheet["figures"]:
                meta = figure["data"].get("metaData")
                if meta:
                    uses.append(
                        (
                            meta["resModel"],
                            [meta["measure"]],
                            [g.split(":")[0] for g in meta["groupBy"]],
                        )
                    )
        for lst in data["lists"].values():
            uses.append((lst["model"], lst["columns"], []))
        for model, measures, groupings in uses:
            Model = self.env[model]
            for name in measures:
                if name != "__count":
                    self.assertIn(name, Model._fields, f"{model}.{name}")
            for name in groupings:
                self.assertTrue(Model._fields[name].store, f"{model}.{name}")
            Model.read_group([], [], groupings[:1] or [])
        cells = data["sheets"][0]["cells"]
        self.assertEqual(cells["A1"]["content"], '=_t("Follow-up")')
