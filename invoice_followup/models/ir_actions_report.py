# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models

from ..tools.rtl_wrap import wrap_rtl_words


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_html(self, report_ref, docids, data=None):
        """Arabic paragraphs of this addon's PDFs wrap with every wkhtmltopdf
        build (see tools/rtl_wrap.py)."""
        content, report_type = super()._render_qweb_html(report_ref, docids, data=data)
        report = self._get_report(report_ref)
        if (data or {}).get("report_type") == "pdf" and report.report_name.startswith(
            "invoice_followup."
        ):
            content = wrap_rtl_words(content)
        return content, report_type
