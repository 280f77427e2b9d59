#!/usr/bin/env python3
"""The demo's mail catcher: a local SMTP server that keeps every mail as a file.

`make run` starts it and points the demo database's outgoing mail server at it,
so the reminders the demo sends land here and nothing leaves the machine.

    mail_catcher.py serve --port PORT --dir DIR   listen on 127.0.0.1:PORT (only),
                                                  write each mail as DIR/<time>-<n>.eml
    mail_catcher.py list --dir DIR [-n N]         the latest N mails: date, from, to,
                                                  subject and their text part

`serve` needs aiosmtpd (requirements.txt); `list` only the standard library.
Each .eml file is the message as received, after two lines saying the SMTP
envelope (X-Envelope-From, X-Envelope-To), as a mail server's delivery does.
"""

import argparse
import email
import email.header
import email.policy
import html
import itertools
import os
import re
import signal
import sys
import threading
import time

HOST = "127.0.0.1"  # never another interface: the catcher is for this machine only


class EmlWriter:
    """aiosmtpd handler: every message accepted becomes one .eml file."""

    def __init__(self, folder):
        self.folder = folder
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        envelope_lines = (
            f"X-Envelope-From: {envelope.mail_from}\r\n"
            f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        name = (
            f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{next(self.counter):05d}"
        )
        tmp = os.path.join(self.folder, f".{name}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(envelope_lines + content)
        # whole files only: a reader never sees half a mail
        os.replace(tmp, os.path.join(self.folder, f"{name}.eml"))
        print(
            f"[mails] {name}.eml to {', '.join(envelope.rcpt_tos)}",
            file=sys.stderr,
            flush=True,
        )
        return "250 Message accepted for delivery"


def cmd_serve(args):
    try:
        from aiosmtpd.controller import Controller  # noqa: PLC0415
    except ImportError:
        print(
            "[mails] ERROR: aiosmtpd is missing: pip install aiosmtpd "
            "(scripts/ensure_env.sh installs it from requirements.txt)",
            file=sys.stderr,
        )
        return 1
    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(
        EmlWriter(args.dir),
        hostname=HOST,
        port=args.port,
        enable_SMTPUTF8=True,
        # Odoo sends mails of up to a few MB (PDF attachments)
        data_size_limit=64 * 1024 * 1024,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_args: stop.set())
    controller.start()
    print(
        f"[mails] listening on {HOST}:{args.port}, writing to {args.dir}",
        file=sys.stderr,
        flush=True,
    )
    try:
        stop.wait()
    finally:
        controller.stop()
    return 0


def _text_of(message):
    """The text part of ``message``, else its HTML part without the tags."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    if part.get_content_type() == "text/html":
        text = re.sub(r"<(style|script)\b.*?</\1>", "", text, flags=re.S | re.I)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    # the invisible padding after a mail's preview text (grapheme joiners, zero
    # width spaces) would fill the screen
    text = re.sub("[\u034f\u200b\u2060\ufeff\u00ad]", "", text)
    return re.sub(r"\n\s*\n+", "\n\n", re.sub(r"[ \t]+", " ", text)).strip()


def cmd_list(args):
    names = (
        sorted(n for n in os.listdir(args.dir) if n.endswith(".eml"))
        if os.path.isdir(args.dir)
        else []
    )
    if not names:
        print(f"No mail in {args.dir} yet.")
        return 0
    shown = names[-args.n :] if args.n > 0 else names
    print(f"{len(names)} mail(s) in {args.dir}; the latest {len(shown)}:")
    for name in shown:
        path = os.path.join(args.dir, name)
        with open(path, "rb") as fh:
            data = fh.read()
        message = email.message_from_bytes(data, policy=email.policy.default)
        # the headers through the classic decoder: the modern one splits a name
        # encoded in two words inside a word (Arabic names)
        headers = email.message_from_bytes(data)
        attachments = [part.get_filename() for part in message.iter_attachments()]
        print()
        print("=" * 72)
        print(f"File:    {path}")
        for header in ("Date", "From", "To", "Cc", "Subject"):
            if headers[header]:
                value = email.header.make_header(
                    email.header.decode_header(headers[header])
                )
                print(f"{header + ':':<9}{value}")
        if attachments:
            print(f"Attached: {', '.join(a or '?' for a in attachments)}")
        print("-" * 72)
        print(_text_of(message))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve", help="receive mails on 127.0.0.1:PORT into DIR")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("list", help="print the latest mails of DIR")
    p.add_argument("--dir", required=True)
    p.add_argument("-n", type=int, default=5, help="how many (0: all; default 5)")
    p.set_defaults(func=cmd_list)
    args = parser.parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `make mails | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
