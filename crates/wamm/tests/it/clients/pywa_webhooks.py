"""pywa's webhook side against a wamm platform, without a web framework: pywa registers a
loopback callback URL (app access token, then POST /{app-id}/subscriptions), answers the
verification handshake with its own challenge handler, checks each delivery's
X-Hub-Signature-256 with its own validator and parses it with its own update handler. A
Marketing Messages send then has to come back as `sent` and `delivered` message statuses.
One JSON line per step (see wamm_pywa.py).

Configuration (environment), besides wamm_pywa.py's: WAMM_TO, WAMM_SEND_TEMPLATE,
WAMM_SEND_LANGUAGE and WAMM_SEND_PARAMS, as for pywa_reads.py.
"""

import logging
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from pywa import WhatsApp, types, utils

from wamm_pywa import client, env, report, send_marketing_template

VERIFY_TOKEN = "pywa-verify"
statuses = queue.Queue()
rejected = []
handler_errors = []


class ErrorLog(logging.Handler):
    """pywa logs (and swallows) exceptions raised while parsing an update: keep them."""

    def emit(self, record):
        if record.levelno >= logging.ERROR:
            handler_errors.append(record.getMessage() + (f": {record.exc_info[1]!r}" if record.exc_info else ""))


logging.getLogger("pywa").addHandler(ErrorLog())
wa = client(verify_token=VERIFY_TOKEN)


@wa.on_message_status()
def on_status(_: WhatsApp, status: types.MessageStatus):
    statuses.put({"id": status.id, "status": str(status.status)})


class Webhook(BaseHTTPRequestHandler):
    """The callback URL: every decision is pywa's, this only moves bytes."""

    def do_GET(self):
        query = parse_qs(urlparse(self.path).query)
        body, code = wa.webhook_challenge_handler(
            vt=query.get(utils.HUB_VT, [None])[0], ch=query.get(utils.HUB_CH, [None])[0]
        )
        self.answer(code, body)

    def do_POST(self):
        update = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        error = wa.webhook_update_validator(update, self.headers.get(utils.HUB_SIG))
        if error:
            rejected.append(error)
            self.answer(error[1], error[0])
            return
        body, code = wa.webhook_update_handler(update)
        self.answer(code, body)

    def answer(self, code, body):
        self.send_response(code)
        self.end_headers()
        self.wfile.write(str(body or "").encode())

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
threading.Thread(target=server.serve_forever, daemon=True).start()
callback = f"http://127.0.0.1:{server.server_address[1]}/"


def subscribe():
    token = wa.get_app_access_token(app_id=env["WAMM_APP_ID"], app_secret=env["WAMM_APP_SECRET"])
    done = wa.set_app_callback_url(
        app_id=env["WAMM_APP_ID"],
        app_access_token=token,
        callback_url=callback,
        verify_token=VERIFY_TOKEN,
        fields=["messages"],
    )
    return {"success": bool(done)}


def status_webhooks(wamid):
    """Waits (bounded) for `sent` and `delivered` on `wamid` (delivered comes after 1 s)."""
    seen, deadline = [], time.monotonic() + 20
    while {"sent", "delivered"} - set(seen) and time.monotonic() < deadline:
        try:
            status = statuses.get(timeout=0.2)
        except queue.Empty:
            continue
        if status["id"] == wamid:
            seen.append(status["status"])
    if {"sent", "delivered"} - set(seen):
        raise RuntimeError(
            f"statuses seen {seen}; signatures rejected {rejected}; pywa errors {handler_errors}"
        )
    return {"statuses": seen}


if report("set_app_callback_url", subscribe)["ok"]:
    sent = report("send_template_mm_lite", lambda: send_marketing_template(wa))
    if sent["ok"]:
        report("message_status_webhooks", lambda: status_webhooks(sent["id"]))
server.shutdown()
