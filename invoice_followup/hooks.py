# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

from .models.account_move import FOLLOWUP_MOVE_TYPES

_logger = logging.getLogger(__name__)

# Records of other apps that this module's demo data made: uninstalling must
# not delete them (Odoo removes every record that has one of the module's xml
# ids, posted invoices included), so they lose their demo xml ids first.
KEPT_MODELS = (
    "account.move",
    "account.move.line",
    "account.payment",
    "account.payment.term",
    "account.payment.term.line",
    "account.partial.reconcile",
    "account.full.reconcile",
    "res.partner",
    "product.product",
    "product.template",
)


def post_init_hook(env):
    """Give every existing company its default follow-up stages."""
    companies = env["res.company"].search([])
    env["invoice.followup.stage"]._create_default_stages(companies)
    for company in companies.filtered(lambda c: not c.followup_weekday_ids):
        company.followup_weekday_ids = company._followup_default_weekdays(
            company.country_id
        )


def uninstall_hook(env):
    """Say what stays and what goes, before Odoo removes the module's data:
    accounting (invoices, payments, journal items) is never touched."""
    Move = env["account.move"].sudo().with_context(active_test=False)
    invoices = Move.search_count([("move_type", "in", FOLLOWUP_MOVE_TYPES)])
    steps = env["invoice.followup.log"].sudo().search_count([])
    plans = env["invoice.payment.plan"].sudo().search_count([])
    # Odoo's partner warnings outlive the module: the credit holds are lifted
    # (the customers' previous warnings restored) before their fields go
    held = (
        env["res.partner"]
        .sudo()
        .with_context(active_test=False)
        .search([("followup_on_hold", "=", True)])
    )
    env["invoice.followup.credit.hold"].sudo()._release(
        held,
        env["res.company"].sudo().search([]),
        env._("the follow-up module is uninstalled"),
    )
    env.cr.execute(
        "DELETE FROM ir_model_data WHERE module = 'invoice_followup' AND model "
        "IN %s RETURNING model",
        (KEPT_MODELS,),
    )
    kept_demo = len(env.cr.fetchall())
    # the answers refer to the reasons with ON DELETE RESTRICT (a reason in use
    # is archived, not deleted): they go first, or Odoo could not delete the
    # reasons of its data
    answers = env["invoice.followup.answer"].sudo().search([])
    answers.unlink()
    if kept_demo:
        _logger.info(
            "Uninstalling invoice_followup: %s records of its demo data "
            "(customers, products, invoices, "
            "payments) are kept as ordinary records.",
            kept_demo,
        )
    _logger.info(
        "Uninstalling invoice_followup: %s customer invoices, their payments "
        "and journal items, and the customers "
        "are kept unchanged; the follow-up stages, %s follow-up steps, %s "
        "payment plans and the follow-up fields "
        "(pauses, answers and their reasons, promises, portal links) are removed. "
        "Installing the "
        "module again starts a fresh follow-up.",
        invoices,
        steps,
        plans,
    )
