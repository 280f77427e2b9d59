# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).


def post_init_hook(env):
    """Give every existing company its default follow-up stages."""
    companies = env["res.company"].search([])
    companies._invoice_followup_ensure_default_stages()
    for company in companies.filtered(lambda c: not c.followup_weekday_ids):
        company.followup_weekday_ids = company._default_followup_weekdays(company.country_id)
