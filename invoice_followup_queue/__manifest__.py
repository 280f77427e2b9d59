# Copyright 2026 invoice_followup contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Invoice Follow-up - Job Queue",
    "summary": "The daily follow-up run as queue_job jobs, one per batch of "
    "customers, shared by several workers and servers",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/invoice-followup/invoice_followup",
    "author": "invoice_followup contributors",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "auto_install": True,
    "depends": ["invoice_followup", "queue_job"],
    "data": [
        "data/queue_job_data.xml",
        "views/res_config_settings_views.xml",
    ],
}
