# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models


class ReportWorklistStatement(models.AbstractModel):
    """The values of the report report_worklist_statement (ir.actions.report calls
    _get_report_values): each document's statement from the builder
    (invoice.followup.document), in its recipient's language."""

    _name = "report.invoice_followup.report_worklist_statement"
    _description = "Statement of Account (worklist)"

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["invoice.followup.worklist"].browse(docids)
        Document = self.env["invoice.followup.document"]
        statements = {
            doc.id: Document._statement_values(
                doc.partner_id, doc.company_id or self.env.company
            )
            for doc in docs
        }
        return {
            "doc_ids": docids,
            "doc_model": "invoice.followup.worklist",
            "docs": docs,
            "statements": statements,
        }
