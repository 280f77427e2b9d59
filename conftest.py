"""pytest-odoo on Odoo 18.0: what Odoo's own test suite does around each test.

Odoo's runner (odoo/tests/suite.py) sets ``odoo.modules.module.current_test`` to the
test being run; Odoo reads it to stay offline in tests (``ir.mail_server.connect`` and
``send_email`` do nothing while it is set) and to tie HttpCase requests to their test's
cursor. pytest-odoo 2.3 sets it only for Odoo 19 and later, so without this file a test
that sends a mail through the queue tries to reach an SMTP server on localhost:25.
"""

import pytest


def _module():
    # imported late: pytest-odoo loads and configures odoo first
    from odoo.modules import module  # noqa: PLC0415

    return module


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    instance = getattr(item, "instance", None)
    if instance is not None:
        _module().current_test = instance


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    _module().current_test = False
