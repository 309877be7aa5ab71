"""Meta's own Business SDK (facebook-business) against wamm, unchanged but for its base URL.

Reads the MM API ad account, Insights (synchronously and as a report run) and template
analytics of an onboarded client with its business token, and prints one JSON line per call
with what the SDK decoded. Settings come from the environment: WAMM_BASE (the platform),
WAMM_APP_ID, WAMM_APP_SECRET, WAMM_TOKEN (the business token), WAMM_ACCOUNT (ad account
digits), WAMM_CAMPAIGN, WAMM_WABA, WAMM_TEMPLATE, WAMM_DAY (YYYY-MM-DD), WAMM_DAY_START and
WAMM_DAY_END (Unix seconds).
"""

import json
import os
import sys
import time

import requests
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adreportrun import AdReportRun
from facebook_business.adobjects.campaign import Campaign
from facebook_business.adobjects.whatsappbusinessaccount import WhatsAppBusinessAccount
from facebook_business.api import FacebookAdsApi
from facebook_business.session import FacebookSession

env = os.environ
base = env["WAMM_BASE"]
# The SDK reads its Graph host from this class attribute: the only change it needs.
FacebookSession.GRAPH = base
api = FacebookAdsApi.init(
    app_id=env["WAMM_APP_ID"],
    app_secret=env["WAMM_APP_SECRET"],
    access_token=env["WAMM_TOKEN"],
    crash_log=False,
)


def emit(call, value):
    print(json.dumps({"call": call, "value": value}, sort_keys=True), flush=True)


def plain(obj):
    """An SDK object as the JSON it was decoded from."""
    return obj.export_all_data() if hasattr(obj, "export_all_data") else obj


account = AdAccount("act_" + env["WAMM_ACCOUNT"])
fields = [
    "marketing_messages_sent",
    "marketing_messages_delivered",
    "marketing_messages_read",
    "marketing_messages_link_btn_click",
    "marketing_messages_read_rate",
    "marketing_messages_spend",
]
day = {"since": env["WAMM_DAY"], "until": env["WAMM_DAY"]}

emit(
    "account",
    plain(
        account.api_get(
            fields=[
                AdAccount.Field.account_id,
                AdAccount.Field.name,
                AdAccount.Field.account_status,
                "marketing_messages_settings",
            ]
        )
    ),
)
emit(
    "insights",
    [plain(r) for r in account.get_insights(fields=fields, params={"time_range": day})],
)
emit(
    "insights_by_ad",
    [
        plain(r)
        for r in account.get_insights(
            fields=["ad_id"] + fields,
            params={"time_range": day, "level": "ad", "time_increment": 1},
        )
    ],
)
emit(
    "campaign_insights",
    [
        plain(r)
        for r in Campaign(env["WAMM_CAMPAIGN"]).get_insights(
            fields=["campaign_id", "marketing_messages_link_btn_click"],
            params={"time_range": day, "breakdowns": ["marketing_messages_btn_name"]},
        )
    ],
)

# The asynchronous form: a report run, polled until complete while the platform clock moves.
job = account.get_insights(fields=fields, params={"time_range": day}, is_async=True)
for _ in range(100):
    job.api_get()
    if job[AdReportRun.Field.async_percent_completion] >= 100:
        break
    requests.post(base + "/_wamm/clock", json={"advance_seconds": 10}, timeout=10).raise_for_status()
    time.sleep(0.05)
emit("report_status", job[AdReportRun.Field.async_status])
emit("report_rows", [plain(r) for r in job.get_result()])

waba = WhatsAppBusinessAccount(env["WAMM_WABA"])
emit(
    "template_analytics",
    [
        plain(r)
        for r in waba.get_template_analytics(
            params={
                "start": int(env["WAMM_DAY_START"]),
                "end": int(env["WAMM_DAY_END"]),
                "granularity": "DAILY",
                "template_ids": [env["WAMM_TEMPLATE"]],
                "metric_types": ["SENT", "DELIVERED", "READ", "CLICKED"],
                "product_type": "MARKETING_MESSAGES_LITE_API",
                "use_waba_timezone": False,
            }
        )
    ],
)
emit("insights_enabled", plain(waba.api_update(params={"is_enabled_for_insights": True})))
sys.exit(0)
