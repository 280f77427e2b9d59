# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).


def post_init_hook(env):
    """Give every existing company its default follow-up stages."""
    env["res.company"].search([])._invoice_followup_ensure_default_stages()
