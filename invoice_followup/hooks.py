# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

_logger = logging.getLogger(__name__)


def post_init_hook(env):
    """Give every existing company its default follow-up stages."""
    companies = env["res.company"].search([])
    companies._invoice_followup_ensure_default_stages()
    for company in companies.filtered(lambda c: not c.followup_weekday_ids):
        company.followup_weekday_ids = company._default_followup_weekdays(company.country_id)


def uninstall_hook(env):
    """Say what stays and what goes, before Odoo removes the module's data:
    accounting (invoices, payments, journal items) is never touched."""
    Move = env["account.move"].sudo().with_context(active_test=False)
    invoices = Move.search_count([("move_type", "in", ("out_invoice", "out_receipt"))])
    steps = env["invoice.followup.log"].sudo().search_count([])
    plans = env["invoice.payment.plan"].sudo().search_count([])
    _logger.info(
        "Uninstalling invoice_followup: %s customer invoices, their payments and journal items, and the customers "
        "are kept unchanged; the follow-up stages, %s follow-up steps, %s payment plans and the follow-up fields "
        "(pauses, answers, promises, portal links) are removed. Installing the module again starts a fresh follow-up.",
        invoices, steps, plans,
    )
