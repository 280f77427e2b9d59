"""Packaging of the invoice_followup_queue addon as odoo-addon-invoice_followup_queue (OCA layout).

odoo/addons/invoice_followup_queue is a symlink to the addon; setuptools-odoo reads its
manifest for the name, version, summary, license and requirements. The version is
exactly the manifest's: no git post-version suffix (.N) for commits made since the
version last changed. The wheel holds the files tracked by git.

    pip wheel --no-deps ./setup/invoice_followup_queue -w dist/
"""

import os

import setuptools

try:
    from setuptools_odoo import core as _setuptools_odoo_core
except ImportError:  # pragma: no cover - pyproject.toml / requirements.txt bring it
    _setuptools_odoo_core = None

if (
    _setuptools_odoo_core is not None
    and "18.0" not in _setuptools_odoo_core.ODOO_VERSION_INFO
):
    # setuptools-odoo (3.3.2 and earlier) describes the series up to 16.0 only: tell it
    # about 18.0 the same way, with the list of addons that come with Odoo 18.0 itself.
    _here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(_here, "odoo18c_addons.txt"), encoding="ascii") as _fh:
        _odoo18_addons = {
            line.strip() for line in _fh if line.strip() and not line.startswith("#")
        }
    _setuptools_odoo_core.ODOO_VERSION_INFO["18.0"] = {
        "odoo_dep": "odoo>=18.0a,<18.1dev",
        "base_addons": _odoo18_addons,
        "pkg_name_pfx": "odoo-addon",
        "pkg_version_specifier": ">=18.0dev,<18.1dev",
        "addons_ns": "odoo.addons",
        "namespace_packages": None,
        "python_requires": ">=3.10",
        "universal_wheel": False,
        "git_postversion_strategy": _setuptools_odoo_core.STRATEGY_DOT_N,
    }

setuptools.setup(
    setup_requires=["setuptools-odoo"],
    odoo_addon={"post_version_strategy_override": "none"},
)
