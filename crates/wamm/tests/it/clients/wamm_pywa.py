"""What the pywa scripts share: an unchanged pywa `WhatsApp` client pointed at a wamm platform,
and one JSON line per call.

Configuration (environment): WAMM_BASE_URL (scheme://host:port of the platform), WAMM_TOKEN,
WAMM_APP_ID, WAMM_APP_SECRET, WAMM_WABA_ID, WAMM_PHONE_ID.
"""

import json
import os

import httpx
from pywa import WhatsApp
from pywa.types import templates as t

env = os.environ
BASE = httpx.URL(env["WAMM_BASE_URL"])


class ToWamm(httpx.HTTPTransport):
    """pywa hard-codes https://graph.facebook.com/v{api_version} as its base URL and offers
    no setting for it; it does take a custom httpx session (documented for proxies and
    timeouts). This transport swaps scheme, host and port for the platform's and leaves the
    version and path untouched: the base URL is the only change."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(
            scheme=BASE.scheme, host=BASE.host, port=BASE.port
        )
        request.headers["Host"] = BASE.netloc.decode()
        return super().handle_request(request)


def client(**kwargs) -> WhatsApp:
    """pywa's client as its documentation configures it, with the session above."""
    return WhatsApp(
        phone_id=env["WAMM_PHONE_ID"],
        token=env["WAMM_TOKEN"],
        waba_id=env["WAMM_WABA_ID"],
        app_id=env["WAMM_APP_ID"],
        app_secret=env["WAMM_APP_SECRET"],
        session=httpx.Client(transport=ToWamm(), timeout=30),
        **kwargs,
    )


def report(name, fn):
    """Runs one pywa call and prints its outcome as a JSON line:
    {"call", "ok": true, ...values} or {"call", "ok": false, "error"}."""
    try:
        out = {"call": name, "ok": True, **fn()}
    except Exception as e:  # any failure is a result to report, not a crash
        out = {"call": name, "ok": False, "error": f"{type(e).__name__}: {e}"}
    print(json.dumps(out), flush=True)
    return out


def send_marketing_template(wa: WhatsApp):
    """Sends the template named by the environment through the MM API, as pywa does it
    (`use_mm_lite_api=True`: `POST /{phone}/marketing_messages`)."""
    sent = wa.send_template(
        to=env["WAMM_TO"],
        name=env["WAMM_SEND_TEMPLATE"],
        language=t.TemplateLanguage(env["WAMM_SEND_LANGUAGE"]),
        params=[t.BodyText.params(*env["WAMM_SEND_PARAMS"].split(","))],
        use_mm_lite_api=True,
    )
    return {"id": sent.id}
