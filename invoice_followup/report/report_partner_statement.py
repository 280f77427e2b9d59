# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models


class ReportPartnerStatement(models.AbstractModel):
    """The values of the report report_partner_statement (ir.actions.report calls
    _get_report_values): each document's statement from the builder
    (invoice.followup.document), in its recipient's language."""

    _name = "report.invoice_followup.report_partner_statement"
    _description = "Statement of Account (customers)"

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["res.partner"].browse(docids)
        Document = self.env["invoice.followup.document"]
        statements = {
            doc.id: Document._statement_values(
                doc.commercial_partner_id, self.env.company
            )
            for doc in docs
        }
        return {
            "doc_ids": docids,
            "doc_model": "res.partner",
            "docs": docs,
            "statements": statements,
        }
