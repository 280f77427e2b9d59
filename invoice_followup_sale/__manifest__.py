# Copyright 2026 invoice_followup contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Invoice Follow-up - Sales",
    "summary": "Credit hold of the invoice follow-up blocks sales orders too",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/invoice-followup/invoice_followup",
    "author": "invoice_followup contributors",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "auto_install": True,
    "depends": ["invoice_followup", "sale"],
    "data": [],
}
