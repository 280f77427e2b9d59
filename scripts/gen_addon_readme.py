#!/usr/bin/env python3
"""README.rst and static/description/index.html of an addon, from its readme/ fragments.

OCA's generator (``oca-gen-addon-readme`` of OCA/maintainer-tools) is not published on
PyPI, so this script reproduces its layout for this repository, offline:

* ``readme/*.md`` fragments (DESCRIPTION, INSTALL, CONFIGURE, USAGE, ROADMAP, HISTORY,
  CONTRIBUTORS, CREDITS) are converted to reStructuredText with pandoc, as OCA's tool
  does (``--convert-fragments-to-markdown`` layout), from the ``pypandoc-binary`` wheel;
* README.rst gets OCA's sections in OCA's order: title, the "generated" banner with the
  source digest, badges (maturity, license, repository), the description, a table of
  contents, Installation, Configuration, Usage, Known issues / Roadmap, Changelog, Bug
  Tracker, Credits (Authors, Contributors, Other credits, Maintainers);
* index.html is README.rst rendered by docutils' html4css1 writer, stylesheet embedded,
  the docutils version removed (no noise when docutils changes), no XML declaration
  (Odoo 17+ warns about it), the charset declared (Odoo reads the page as bytes).

As OCA's tool, it leaves alone an index.html that does not say it was generated.

    gen_addon_readme.py [--check] [ADDON_DIR ...]   (default: every addon of the repo)

``--check`` writes nothing and exits 1 when a file is missing or stale (make lint).
"""

import argparse
import ast
import hashlib
import os
import re
import sys
import urllib.parse

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BRANCH = "18.0"
FRAGMENTS = (
    "DESCRIPTION",
    "INSTALL",
    "CONFIGURE",
    "USAGE",
    "ROADMAP",
    "HISTORY",
    "CONTRIBUTORS",
    "CREDITS",
)
SECTIONS = (
    ("INSTALL", "Installation"),
    ("CONFIGURE", "Configuration"),
    ("USAGE", "Usage"),
    ("ROADMAP", "Known issues / Roadmap"),
    ("HISTORY", "Changelog"),
)
GENERATED_MARK = "oca-gen-addon-readme"
LICENSE_BADGES = {
    "AGPL-3": ("AGPL--3", "http://www.gnu.org/licenses/agpl-3.0-standalone.html"),
    "LGPL-3": ("LGPL--3", "http://www.gnu.org/licenses/lgpl-3.0-standalone.html"),
    "GPL-3": ("GPL--3", "http://www.gnu.org/licenses/gpl-3.0-standalone.html"),
}
MATURITY_COLORS = {
    "alpha": "red",
    "beta": "yellow",
    "production/stable": "green",
    "mature": "brightgreen",
}


def find_addons(root):
    return sorted(
        os.path.join(root, name)
        for name in os.listdir(root)
        if os.path.isfile(os.path.join(root, name, "__manifest__.py"))
    )


def read_manifest(addon_dir):
    with open(os.path.join(addon_dir, "__manifest__.py"), encoding="utf-8") as fh:
        return ast.literal_eval(fh.read())


def read_fragments(addon_dir):
    fragments = {}
    for name in FRAGMENTS:
        path = os.path.join(addon_dir, "readme", name + ".md")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as fh:
                fragments[name] = fh.read()
    return fragments


def source_digest(addon_dir):
    """sha256 of what the README is made from: the manifest and the fragments."""
    digest = hashlib.sha256()
    paths = [os.path.join(addon_dir, "__manifest__.py")]
    readme_dir = os.path.join(addon_dir, "readme")
    paths += sorted(os.path.join(readme_dir, n) for n in os.listdir(readme_dir))
    for path in paths:
        with open(path, "rb") as fh:
            digest.update(os.path.basename(path).encode() + b"\0" + fh.read())
    return "sha256:" + digest.hexdigest()


def md_to_rst(text):
    import pypandoc  # noqa: PLC0415  (requirements-lint.txt)

    rst = pypandoc.convert_text(text, "rst", format="md", extra_args=["--columns=79"])
    return rst.strip() + "\n"


def repo_of(manifest):
    """(org, repo) from the manifest's GitHub website."""
    path = urllib.parse.urlparse(manifest.get("website", "")).path.strip("/").split("/")
    if len(path) >= 2:
        return path[0], path[1]
    return "OCA", "unknown"


def shields_escape(text):
    """shields.io badge text: '-' separates fields and '_' is a space: double them."""
    return text.replace("-", "--").replace("_", "__")


def title(text, char, overline=False):
    line = char * len(text)
    return f"{line}\n{text}\n{line}\n" if overline else f"{text}\n{line}\n"


def render_readme(addon_dir):
    addon = os.path.basename(addon_dir)
    manifest = read_manifest(addon_dir)
    fragments = {k: md_to_rst(v) for k, v in read_fragments(addon_dir).items()}
    org, repo = repo_of(manifest)
    status = manifest.get("development_status", "Beta")
    badges = []
    color = MATURITY_COLORS.get(status.lower(), "yellow")
    badges.append(
        (
            "https://img.shields.io/badge/maturity-"
            f"{status.replace('/', '%2F')}-{color}.png",
            "https://odoo-community.org/page/development-status",
            status,
        )
    )
    license_ = manifest.get("license", "LGPL-3")
    label, url = LICENSE_BADGES.get(license_, (shields_escape(license_), ""))
    badges.append(
        (
            f"https://img.shields.io/badge/licence-{label}-blue.png",
            url,
            f"License: {license_}",
        )
    )
    badges.append(
        (
            "https://img.shields.io/badge/github-"
            f"{shields_escape(org)}%2F{shields_escape(repo)}-lightgray.png?logo=github",
            f"https://github.com/{org}/{repo}/tree/{BRANCH}/{addon}",
            f"{org}/{repo}",
        )
    )
    out = [title(manifest["name"], "=", overline=True)]
    bang = "!" * 52
    out.append(
        f"..\n   {bang}\n"
        f"   !! This file is generated by {GENERATED_MARK} !!\n"
        "   !! changes will be overwritten.                   !!\n"
        f"   {bang}\n"
        f"   !! source digest: {source_digest(addon_dir)}\n"
        f"   {bang}\n"
    )
    badge_defs = []
    for i, (image, target, alt) in enumerate(badges, 1):
        badge_defs.append(
            f".. |badge{i}| image:: {image}\n    :target: {target}\n    :alt: {alt}"
        )
    out.append("\n".join(badge_defs) + "\n")
    out.append(" ".join(f"|badge{i}|" for i in range(1, len(badges) + 1)) + "\n")
    if "DESCRIPTION" in fragments:
        out.append(fragments["DESCRIPTION"])
    if status.lower() in ("alpha",):
        out.append(
            ".. IMPORTANT::\n"
            "   This is an alpha version, the data model and design can change at any "
            "time without warning.\n"
            "   Only for development or testing purpose, do not use in production.\n"
            "   `More details on development status "
            "<https://odoo-community.org/page/development-status>`_\n"
        )
    out.append("**Table of contents**\n\n.. contents::\n   :local:\n")
    for name, heading in SECTIONS:
        if name in fragments:
            out.append(title(heading, "=") + "\n" + fragments[name])
    issues = f"https://github.com/{org}/{repo}/issues"
    body = urllib.parse.quote(
        f"module: {addon}\nversion: {BRANCH}\n\n**Steps to reproduce**\n- ...\n\n"
        "**Current behavior**\n\n**Expected behavior**",
        safe="*",
    )
    out.append(
        title("Bug Tracker", "=")
        + f"\nBugs are tracked on `GitHub Issues <{issues}>`_.\n"
        "In case of trouble, please check there if your issue has already been "
        "reported.\n"
        "If you spotted it first, help us to smash it by providing a detailed and "
        "welcomed\n"
        f"`feedback <{issues}/new?body={body}>`_.\n\n"
        "Do not contact contributors directly about support or help with technical "
        "issues.\n"
    )
    authors = [a.strip() for a in manifest.get("author", "").split(",") if a.strip()]
    credits = [title("Credits", "="), title("Authors", "-")]
    credits.append("\n".join(f"* {author}" for author in authors) + "\n")
    if "CONTRIBUTORS" in fragments:
        credits.append(title("Contributors", "-") + "\n" + fragments["CONTRIBUTORS"])
    if "CREDITS" in fragments:
        credits.append(title("Other credits", "-") + "\n" + fragments["CREDITS"])
    credits.append(
        title("Maintainers", "-") + f"\nThis module is part of the `{org}/{repo} "
        f"<https://github.com/{org}/{repo}/tree/{BRANCH}/{addon}>`_ project on "
        "GitHub.\n\n"
        "You are welcome to contribute.\n"
    )
    out.extend(credits)
    return "\n".join(out)


def render_index(readme_text):
    from docutils.core import publish_string  # noqa: PLC0415

    html = publish_string(
        source=readme_text,
        writer_name="html4css1",
        settings_overrides={
            "embed_stylesheet": True,
            # Odoo 17+ warns about an XML declaration in static/description/index.html.
            "xml_declaration": False,
            "output_encoding": "utf-8",
            "report_level": 2,
            "halt_level": 2,  # an rst error fails instead of landing in the page
            "_disable_config": True,
        },
    ).decode("utf-8")
    # As OCA's tool: no docutils version (noise on each upgrade). The Content-Type meta
    # stays: Odoo parses the page as bytes; without a charset lxml reads it as Latin-1.
    html = re.sub(r"(<meta.*generator.*Docutils)\s*[\d.]+", r"\1", html)
    return html


def process(addon_dir, check):
    """Return the list of files that are (or were, before writing) out of date."""
    if not os.path.isdir(os.path.join(addon_dir, "readme")):
        return []
    stale = []
    readme = render_readme(addon_dir)
    targets = [(os.path.join(addon_dir, "README.rst"), readme)]
    index = os.path.join(addon_dir, "static", "description", "index.html")
    manual_index = False
    if os.path.exists(index):
        with open(index, encoding="utf-8") as fh:
            manual_index = GENERATED_MARK not in fh.read()
    if not manual_index:
        targets.append((index, render_index(readme)))
    for path, text in targets:
        current = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                current = fh.read()
        if current == text:
            continue
        stale.append(os.path.relpath(path, REPO_ROOT))
        if not check:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
    return stale


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if stale"
    )
    parser.add_argument("addons", nargs="*", help="addon directories (default: all)")
    args = parser.parse_args(argv)
    addons = args.addons or find_addons(REPO_ROOT)
    stale = []
    for addon_dir in addons:
        stale += process(os.path.abspath(addon_dir), args.check)
    for path in stale:
        verb = "out of date" if args.check else "written"
        sys.stdout.write(f"{path}: {verb}\n")
    if stale and args.check:
        sys.stdout.write(
            "run `make lint FIX=1` (or scripts/gen_addon_readme.py) to regenerate\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
