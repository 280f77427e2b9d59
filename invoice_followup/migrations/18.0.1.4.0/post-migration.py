# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""18.0.1.3.0 -> 18.0.1.4.0, after the new columns exist: what happened after
every step already sent (paid within 7/14/30 days, opened, answered, promised),
so the Follow-up Analysis starts with the history. Links opened before the
upgrade were not recorded: those steps read "opened" only if something better
followed."""

from openupgradelib import openupgrade


@openupgrade.migrate()
def migrate(env, version):
    env["invoice.followup.effect"]._refresh(since=False)
