# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models


class ReportFollowupLetter(models.AbstractModel):
    """The values of the report report_followup_letter (ir.actions.report calls
    _get_report_values): each document's statement from the builder
    (invoice.followup.document), in its recipient's language."""

    _name = "report.invoice_followup.report_followup_letter"
    _description = "Follow-up Letter"

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["invoice.followup.log"].browse(docids)
        Document = self.env["invoice.followup.document"]
        statements = {
            doc.id: Document._statement_values(doc.partner_id, doc.company_id, doc)
            for doc in docs
        }
        return {
            "doc_ids": docids,
            "doc_model": "invoice.followup.log",
            "docs": docs,
            "statements": statements,
        }
