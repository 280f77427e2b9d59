#!/usr/bin/env python3
"""The demo's SMS capture: a local HTTP server that plays Twilio's Messages API.

`make run` starts it and points the demo database's SMS provider at it (Twilio,
with the capture's URL as the API base), so the reminders' SMS go through the
addon's real provider code, land here as files, and nothing leaves the machine.
As Twilio does, the capture answers with a message SID and then reports the SMS
"delivered" to the StatusCallback URL Odoo gave it, signed with the Auth Token,
so the SMS and the follow-up step show the delivery in the demo too.

    sms_catcher.py serve --port PORT --dir DIR --token TOKEN
        listen on 127.0.0.1:PORT (only); write each SMS as DIR/<time>-<n>.json
        (to, from, body, the SID given); TOKEN signs the delivery reports
    sms_catcher.py list --dir DIR [-n N]
        the latest N SMS: date, to, from and text

Standard library only.
"""

import argparse
import base64
import hashlib
import hmac
import itertools
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"  # never another interface: the capture is for this machine only
# Odoo's SMS queue commits the SMS's SID after Twilio's answer: the report waits
# for it, as a late report from the real network would
REPORT_DELAYS = (2, 3, 5, 10)


def twilio_signature(token, url, params):
    """X-Twilio-Signature: base64 HMAC-SHA1, with the Auth Token, of the URL and
    the POST parameters' names and values sorted by name (Twilio's documentation)."""
    data = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(
        hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    ).decode()


def log(message):
    print(f"[sms] {message}", file=sys.stderr, flush=True)


def report_delivered(token, account_sid, sid, form):
    """Post Twilio's "sent" then "delivered" status callbacks for one SMS."""
    callback = form.get("StatusCallback")
    if not callback:
        return
    for status in ("sent", "delivered"):
        params = {
            "AccountSid": account_sid,
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "To": form.get("To", ""),
            "From": form.get("From") or form.get("MessagingServiceSid", ""),
            "ApiVersion": "2010-04-01",
        }
        request = urllib.request.Request(
            callback,
            data=urllib.parse.urlencode(params).encode(),
            headers={"X-Twilio-Signature": twilio_signature(token, callback, params)},
            method="POST",
        )
        for delay in REPORT_DELAYS:
            time.sleep(delay)
            try:
                with urllib.request.urlopen(request, timeout=15) as response:
                    code = response.status
            except urllib.error.HTTPError as error:
                code = error.code
            except OSError as error:
                log(f"report {status} of {sid} to {callback} failed: {error}")
                return
            if code != 404:  # 404: Odoo does not know the SID yet (not committed)
                break
        log(f"reported {sid} {status} (HTTP {code})")


class Capture:
    def __init__(self, folder, token):
        self.folder = folder
        self.token = token
        self.counter = itertools.count(1)

    def handler(self):
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                parts = self.path.split("?")[0].strip("/").split("/")
                # /2010-04-01/Accounts/{AccountSid}/Messages.json
                if (
                    len(parts) != 4
                    or parts[1] != "Accounts"
                    or parts[3] != ("Messages.json")
                ):
                    return self._answer(404, {"code": 20404, "message": "Not found"})
                length = int(self.headers.get("Content-Length") or 0)
                form = {
                    k: v[0]
                    for k, v in urllib.parse.parse_qs(
                        self.rfile.read(length).decode()
                    ).items()
                }
                account_sid = parts[2]
                expected = base64.b64encode(
                    f"{account_sid}:{capture.token}".encode()
                ).decode()
                if self.headers.get("Authorization") != f"Basic {expected}":
                    return self._answer(401, {"code": 20003, "message": "Authenticate"})
                if not form.get("To") or not form.get("Body"):
                    return self._answer(
                        400, {"code": 21604, "message": "'To' and 'Body' are required"}
                    )
                sid = capture.save(form)
                threading.Thread(
                    target=report_delivered,
                    args=(capture.token, account_sid, sid, form),
                    daemon=True,
                ).start()
                return self._answer(
                    201,
                    {
                        "sid": sid,
                        "account_sid": account_sid,
                        "status": "queued",
                        "to": form["To"],
                        "from": form.get("From"),
                        "body": form["Body"],
                    },
                )

            def _answer(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler

    def save(self, form):
        number = next(self.counter)
        sid = f"SM{os.getpid():08x}{int(time.time()):016x}{number:08x}"
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{number:05d}"
        record = {
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "to": form.get("To"),
            "from": form.get("From") or form.get("MessagingServiceSid"),
            "body": form.get("Body"),
            "sid": sid,
        }
        tmp = os.path.join(self.folder, f".{name}.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(record, fh, ensure_ascii=False, indent=1)
        # whole files only: a reader never sees half an SMS
        os.replace(tmp, os.path.join(self.folder, f"{name}.json"))
        log(f"{name}.json to {record['to']}")
        return sid


def cmd_serve(args):
    os.makedirs(args.dir, exist_ok=True)
    server = ThreadingHTTPServer(
        (HOST, args.port), Capture(args.dir, args.token).handler()
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_args: stop.set())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    log(f"listening on {HOST}:{args.port}, writing to {args.dir}")
    try:
        stop.wait()
    finally:
        server.shutdown()
        server.server_close()
    return 0


def cmd_list(args):
    names = (
        sorted(n for n in os.listdir(args.dir) if n.endswith(".json"))
        if os.path.isdir(args.dir)
        else []
    )
    if not names:
        print(f"No SMS in {args.dir} yet.")
        return 0
    shown = names[-args.n :] if args.n > 0 else names
    print(f"{len(names)} SMS in {args.dir}; the latest {len(shown)}:")
    for name in shown:
        path = os.path.join(args.dir, name)
        with open(path, encoding="utf-8") as fh:
            record = json.load(fh)
        print()
        print("=" * 72)
        print(f"File:    {path}")
        print(f"Date:    {record.get('date')}")
        print(f"To:      {record.get('to')}")
        print(f"From:    {record.get('from')}")
        print("-" * 72)
        print(record.get("body") or "")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve", help="receive SMS on 127.0.0.1:PORT into DIR")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--token", required=True, help="the Auth Token Odoo uses")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("list", help="print the latest SMS of DIR")
    p.add_argument("--dir", required=True)
    p.add_argument("-n", type=int, default=5, help="how many (0: all; default 5)")
    p.set_defaults(func=cmd_list)
    args = parser.parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `make sms | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
