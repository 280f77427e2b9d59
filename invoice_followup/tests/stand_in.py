# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What plays the outside world in tests: a local HTTP server for a provider's
API (ApiStandIn, subclassed per provider), and the repository's own local
servers (scripts/mail_catcher.py, scripts/sms_catcher.py) started as
subprocesses. Nothing leaves the machine."""

import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


class ApiStandIn:
    """A local HTTP server playing a provider's API. Every POST is kept in
    ``requests`` (path, headers and what ``_parse`` reads of the body) and
    answered with the (HTTP status, JSON) of ``_answer(request)``; ``rejected``
    maps a recipient to the answer the provider gives it; ``ids`` numbers the
    messages accepted."""

    def __init__(self):
        self.requests = []
        self.rejected = {}
        self.ids = count(1)
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = {
                    "path": self.path,
                    "headers": dict(self.headers),
                    **stand_in._parse(body),
                }
                stand_in.requests.append(request)
                status, answer = stand_in._answer(request)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def _parse(self, body):
        """{key: value} of the request body, kept with the request."""
        raise NotImplementedError

    def _answer(self, request):
        """(HTTP status, JSON answer) of the provider to ``request``."""
        raise NotImplementedError


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_script(testcase, script, args, port, stderr=subprocess.DEVNULL):
    """Start scripts/``script`` with ``args`` (it listens on 127.0.0.1:``port``)
    and wait until it listens; stopped at the end of ``testcase``. Returns the
    process."""
    process = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(SCRIPTS / script), *args], stderr=stderr
    )
    testcase.addCleanup(process.wait)
    testcase.addCleanup(process.kill)
    if process.stderr:
        testcase.addCleanup(process.stderr.close)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        testcase.assertIsNone(process.poll(), f"{script} stopped at once")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    testcase.fail(f"{script} does not listen on port {port}")
