# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Where the daily run leaves Odoo's public API, and why: the one list.

Each shortcut below is kept only because `make bench` (benchmarks/README.md,
2,000 customers, 10,000 invoices) shows it is worth it; everything else uses the
public API (message_post_with_source, _message_log_batch, write, create,
mail.template._generate_template).

1. Portal tokens of invoices and customers in one UPDATE each
   (_ensure_invoice_tokens, _ensure_statement_tokens, here): account.move.write()
   resynchronises the journal items of every invoice it writes, and
   portal.mixin._portal_ensure_token() writes one invoice at a time.
2. One compilation of a follow-up template per batch of steps
   (models/mail_template.py, mail.template._render_template_qweb, through
   ir.qweb._prepare_environment and ir.qweb._compile): the generic method
   compiles the template again for every record, which costs about as much as
   rendering it (about 2.5 ms per customer).
3. The mails of a batch queued together (invoice.followup.log._followup_queue_emails:
   mail.mail and mail.notification created for all steps at once, which is what
   message_post_with_source() does for one record): with message_post_with_source()
   per step the run made 10.1 customers per second, 92 with the batch.
"""
from odoo import api, models
from odoo.tools import SQL


class InvoiceFollowupBulk(models.AbstractModel):
    _name = "invoice.followup.bulk"
    _description = "Follow-up Bulk Writes"

    @api.model
    def _ensure_invoice_tokens(self, moves):
        """Give the invoices that have none their portal access token (a UUID,
        as portal.mixin makes them), in one UPDATE."""
        missing = moves.filtered(lambda m: not m.access_token)
        if missing:
            missing.flush_recordset(["access_token"])
            self.env.execute_query(SQL(
                "UPDATE account_move SET access_token = gen_random_uuid()::text WHERE id IN %s AND access_token IS NULL",
                tuple(missing.ids),
            ))
            missing.invalidate_recordset(["access_token"])

    @api.model
    def _ensure_statement_tokens(self, partners):
        """Give the customers that have none their statement token
        (res.partner._followup_new_access_token), in one UPDATE."""
        missing = partners.commercial_partner_id.sudo().filtered(lambda p: not p.followup_access_token)
        if missing:
            missing.flush_recordset(["followup_access_token"])
            tokens = [missing._followup_new_access_token() for _partner in missing]
            self.env.execute_query(SQL(
                """UPDATE res_partner p SET followup_access_token = t.token
                     FROM unnest(%s::int[], %s::text[]) AS t(id, token)
                    WHERE p.id = t.id AND p.followup_access_token IS NULL""",
                missing.ids, tokens,
            ))
            missing.invalidate_recordset(["followup_access_token"])
