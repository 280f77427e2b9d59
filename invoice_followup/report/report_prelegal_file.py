# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models


class ReportPrelegalFile(models.AbstractModel):
    """The values of the report report_prelegal_file (ir.actions.report calls
    _get_report_values): each customer's pre-legal file from
    invoice.followup.handover._file_values, in the customer's language.
    ``data`` may name the company (else the current one) and the hand-over
    step the file is made for; both are read with the user's rights."""

    _name = "report.invoice_followup.report_prelegal_file"
    _description = "Pre-legal File"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        docs = self.env["res.partner"].browse(docids)
        company = self.env["res.company"].browse(data.get("company_id") or [])
        if not company or (not self.env.su and company not in self.env.companies):
            company = self.env.company
        step = self.env["invoice.followup.log"].browse(data.get("step_id") or [])
        Handover = self.env["invoice.followup.handover"]
        files = {}
        for doc in docs:
            partner = doc.commercial_partner_id
            doc_step = step.filtered(
                lambda s, p=partner: s.partner_id == p and s.company_id == company
            )
            files[doc.id] = Handover._file_values(partner, company, doc_step or None)
        return {
            "doc_ids": docids,
            "doc_model": "res.partner",
            "docs": docs,
            "files": files,
        }
