# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Files customers attach to a question: the types an accountant needs (PDF,
images, office documents, plain text), up to a size limit, checked on the
content as well as on the name. Active content (HTML, SVG, scripts) is refused."""

import os

from odoo.exceptions import UserError
from odoo.tools.mimetypes import guess_mimetype

DEFAULT_MAX_MB = 10

OLE = (
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/x-ole-storage",
    "application/CDFV2",
    "application/vnd.ms-office",
)
ALLOWED_TYPES = {
    "pdf": ("application/pdf",),
    "png": ("image/png",),
    "jpg": ("image/jpeg",),
    "jpeg": ("image/jpeg",),
    "gif": ("image/gif",),
    "webp": ("image/webp",),
    "doc": OLE,
    "xls": OLE,
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "odt": ("application/vnd.oasis.opendocument.text",),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet",),
    "txt": ("text/plain",),
    "csv": ("text/plain", "text/csv"),
}
ACCEPT = ",".join("." + ext for ext in ALLOWED_TYPES)


def max_upload_bytes(env):
    """The size limit of one attachment (system parameter
    invoice_followup.upload_max_mb)."""
    try:
        megabytes = float(
            env["ir.config_parameter"]
            .sudo()
            .get_param("invoice_followup.upload_max_mb", DEFAULT_MAX_MB)
        )
    except ValueError:
        megabytes = DEFAULT_MAX_MB
    return int(megabytes * 1024 * 1024)


def max_upload_text(env):
    """The size limit in megabytes, as people write it (10, 2.5)."""
    return f"{round(max_upload_bytes(env) / 1024 / 1024, 2):g}"


def too_large_error(env):
    return UserError(
        env._(
            "The file is too large: attach at most %(size)s MB.",
            size=max_upload_text(env),
        )
    )


def read_upload(env, upload):
    """[(file name, content)] of an uploaded file (werkzeug FileStorage), or []
    when none was sent; a translated UserError for a file too large or of a
    type not accepted. Reads at most the limit plus one byte."""
    if not upload or not upload.filename:
        return []
    limit = max_upload_bytes(env)
    name = os.path.basename(upload.filename.replace("\\", "/")).strip() or "attachment"
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED_TYPES:
        raise UserError(
            env._(
                "This kind of file cannot be attached. Please send a PDF, an "
                "image (PNG, JPEG, GIF, WebP), "
                "an office document (Word, Excel, OpenDocument) or a text file."
            )
        )
    content = upload.stream.read(limit + 1)
    if len(content) > limit:
        raise too_large_error(env)
    if not content:
        raise UserError(env._("The attached file is empty."))
    if (
        guess_mimetype(content, default="application/octet-stream")
        not in ALLOWED_TYPES[extension]
    ):
        raise UserError(
            env._(
                "The content of %(name)s does not match its type: please attach "
                "the original file.",
                name=name,
            )
        )
    return [(name, content)]
