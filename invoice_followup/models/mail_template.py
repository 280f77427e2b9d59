# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
import traceback

from lxml import html
from markupsafe import Markup

from odoo import models
from odoo.exceptions import UserError
from odoo.tools import safe_eval

_logger = logging.getLogger(__name__)


class MailTemplate(models.Model):
    _inherit = "mail.template"

    def _render_template_qweb(
        self, template_src, model, res_ids, add_context=None, options=None
    ):
        """The daily run renders one follow-up template for a whole batch of
        steps: compile it once for the batch, where the generic method compiles
        it again for every record (which costs about as much as rendering it).
        Same values, same result; other models and restricted rendering go
        the generic way."""
        generic = super()._render_template_qweb
        if model != "invoice.followup.log" or len(res_ids) < 2 or not template_src:
            return generic(
                template_src, model, res_ids, add_context=add_context, options=options
            )
        restricted = (
            not self._unrestricted_rendering
            and not self.env.is_admin()
            and not self.env.user.has_group("mail.group_mail_template_editor")
        )
        if restricted or not self._has_unsafe_expression_template_qweb(
            template_src, model
        ):
            return generic(
                template_src, model, res_ids, add_context=add_context, options=options
            )

        variables = self._render_eval_context()
        if add_context:
            variables.update(add_context)
        qweb = self.env["ir.qweb"].with_context(**(options or {}))
        functions = def_name = None
        results = {}
        for record in self.env[model].browse(res_ids):
            values = dict(variables, object=record)
            try:
                # what ir.qweb._render() does, minus the compilation after the first
                # record
                record_qweb = qweb._prepare_environment(values)
                safe_eval.check_values(values)
                if functions is None:
                    functions, def_name = record_qweb._compile(
                        html.fragment_fromstring(template_src, create_parent="div")
                    )
                rendered = Markup("".join(functions[def_name](record_qweb, values)))
            except Exception as error:
                _logger.info(
                    "Failed to render template: %s", template_src, exc_info=True
                )
                raise UserError(
                    self.env._(
                        "Failed to render QWeb template: "
                        "%(template_src)s\n\n%(template_traceback)s)",
                        template_src=template_src,
                        template_traceback=traceback.format_exc(),
                    )
                ) from error
            # without the <div> wrapped around the template's nodes
            results[record.id] = rendered[5:-6]
        return results
