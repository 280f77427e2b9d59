# Copyright 2026 invoice_followup contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Invoice Follow-up",
    "summary": "Polite, multi-channel customer follow-up after invoicing: "
    "receipt checks, reminders by email, SMS and letter, escalation, worklist",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/invoice-followup/invoice_followup",
    "author": "invoice_followup contributors",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "depends": ["account_payment", "sms"],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "security/ir.model.access.csv",
    ],
    "demo": ["demo/invoice_followup_demo.xml"],
    "post_init_hook": "post_init_hook",
}
