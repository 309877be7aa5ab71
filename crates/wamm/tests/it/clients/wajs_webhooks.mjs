// whatsapp-api-js's webhook side against a wamm platform, on a bare node:http server: the
// library answers the verification handshake (`WhatsAppAPI.get`), checks every delivery's
// X-Hub-Signature-256 (`verifyRequestSignature`) and handles it with its own entry point
// (`WhatsAppAPI.post(data, raw_body, signature)`), which hands a `messages` status to the
// `on.status` callback with typed fields. Every delivery is also handed to `post` once more
// with its body tampered with, which the library must refuse.
//
// The platform delivers, in order: the statuses of the library's own template send (`sent`,
// `delivered`); `read` and a Marketing Messages link click on a message sent through
// `/marketing_messages`; a `message_template_status_update`; an `account_update`. One JSON
// line per step (see wamm_wajs.mjs) with what the library did with each delivery.
//
// whatsapp-api-js has no calls to register a callback URL nor to send through Marketing
// Messages, so the subscription (app access token, then POST /{app-id}/subscriptions), the
// `/marketing_messages` send behind the click, the WABA subscription behind the
// `account_update` and the control API calls that make the platform emit are plain `fetch`
// calls of this script, not library calls.
//
// Configuration (environment): as wamm_wajs.mjs, plus WAMM_SEND_TEMPLATE_ID (the id of the
// template to send, whose status is then changed), WAMM_COEX_WABA_ID and WAMM_COEX_PHONE_ID
// (a WABA shared with the partner and its number connected to the WhatsApp Business app).

import { createServer } from "node:http";

import { GRAPH_VERSION, client, env, errors, report, sendTemplate } from "./wamm_wajs.mjs";

const VERIFY_TOKEN = "wajs-verify";
/** Sent with the library's send; its statuses must hand it back. */
const TRACKING = "wajs-campaign-7";
const wa = client({ webhookVerifyToken: VERIFY_TOKEN });

/** Every POST received: its changes, and what the library made of it. */
const deliveries = [];
/** How many handshakes the library answered with the challenge. */
let handshakes = 0;

// What `post` hands the callbacks, minus the functions and the raw payload. The callback's
// return value is what `post` returns, so each delivery records its own callback.
wa.on.status = (args) => ({
  callback: "status",
  phoneID: args.phoneID,
  phone: args.phone ?? null,
  type: args.type,
  recipient: args.recipient,
  contact: args.contact,
  status: args.status,
  id: args.id,
  timestamp: args.timestamp,
  conversation: args.conversation ?? null,
  pricing: args.pricing ?? null,
  error: args.error ?? null,
  biz_opaque_callback_data: args.biz_opaque_callback_data ?? null,
});
wa.on.message = (args) => ({ callback: "message", phoneID: args.phoneID, message: args.message });

/** The outcome of `post`: the callback that fired, or the error it threw. */
async function handle(raw, signature) {
  try {
    const fired = await wa.post(JSON.parse(raw), raw, signature);
    return { callback: fired ?? null };
  } catch (e) {
    return {
      error: e?.constructor?.name ?? "Error",
      message: String(e?.message ?? e),
      http_status: e instanceof errors.WhatsAppAPIError ? e.httpStatus : null,
    };
  }
}

/** The body with one digit of its first `"id"` changed: still JSON, no longer what was signed. */
function tamper(raw) {
  return raw.replace(/"id":"(\d)/, (_, d) => `"id":"${(Number(d) + 1) % 10}`);
}

async function onPost(raw, signature) {
  const parsed = JSON.parse(raw);
  const changes = (parsed.entry ?? []).flatMap((entry) =>
    (entry.changes ?? []).map(({ field, value }) => ({ field, value })),
  );
  const verified = await wa.verifyRequestSignature(raw, signature ?? "");
  const outcome = await handle(raw, signature);
  const forged = tamper(raw);
  const tampered = forged === raw ? { error: "not tampered" } : await handle(forged, signature);
  deliveries.push({ changes, verified, outcome, tampered });
}

const server = createServer((req, res) => {
  const url = new URL(req.url, "http://receiver");
  if (req.method === "GET") {
    try {
      const challenge = wa.get(Object.fromEntries(url.searchParams));
      handshakes += 1;
      res.writeHead(200).end(String(challenge));
    } catch (e) {
      res.writeHead(e instanceof errors.WhatsAppAPIError ? e.httpStatus : 500).end();
    }
    return;
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    // The library's outcome is recorded, not answered: an error status would only make the
    // platform deliver the same change again.
    try {
      await onPost(Buffer.concat(chunks).toString("utf-8"), req.headers["x-hub-signature-256"]);
    } catch (e) {
      deliveries.push({ changes: [], verified: false, outcome: { error: `receiver: ${e}` } });
    }
    res.writeHead(200).end();
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const callback = `http://127.0.0.1:${server.address().port}/`;

const graph = `${env.WAMM_BASE_URL}/${GRAPH_VERSION}`;

/** A plain request to the platform; throws with the body unless it answers 2xx. */
async function call(method, url, { body, form, token } = {}) {
  const headers = {};
  let payload;
  if (form) {
    payload = new URLSearchParams(form);
  } else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(url, { method, headers, body: payload });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

/** Waits (bounded) for a delivery holding a change that `wanted` accepts. */
async function delivery(what, wanted) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const found = deliveries.find((d) => d.changes.some(wanted));
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no delivery of ${what}; deliveries: ${JSON.stringify(deliveries)}`);
}

const status = (id, name) => (c) =>
  c.field === "messages" && c.value?.statuses?.some((s) => s.id === id && s.status === name);

/** What the Rust test checks of one delivery. */
const summary = (d) => ({
  fields: d.changes.map((c) => c.field),
  verified: d.verified,
  outcome: d.outcome,
  tampered: d.tampered,
});

async function subscribe() {
  const app = await call(
    "GET",
    `${graph}/oauth/access_token?grant_type=client_credentials&client_id=${env.WAMM_APP_ID}&client_secret=${env.WAMM_APP_SECRET}`,
  );
  const done = await call("POST", `${graph}/${env.WAMM_APP_ID}/subscriptions`, {
    form: {
      object: "whatsapp_business_account",
      callback_url: callback,
      verify_token: VERIFY_TOKEN,
      fields: "messages,message_template_status_update,account_update",
      access_token: app.access_token,
    },
  });
  return { success: done.success === true, handshakes };
}

async function statuses(wamid) {
  const sent = await delivery(`sent of ${wamid}`, status(wamid, "sent"));
  const delivered = await delivery(`delivered of ${wamid}`, status(wamid, "delivered"));
  return { sent: summary(sent), delivered: summary(delivered) };
}

/** The click: a `/marketing_messages` send, read, then clicked through the control API. */
async function click() {
  const params = (env.WAMM_SEND_PARAMS ?? "").split(",").filter((p) => p !== "");
  const template = { name: env.WAMM_SEND_TEMPLATE, language: { code: env.WAMM_SEND_LANGUAGE } };
  if (params.length) {
    template.components = [{ type: "body", parameters: params.map((text) => ({ type: "text", text })) }];
  }
  const sent = await call("POST", `${graph}/${env.WAMM_PHONE_ID}/marketing_messages`, {
    token: env.WAMM_TOKEN,
    body: { messaging_product: "whatsapp", recipient_type: "individual", to: env.WAMM_TO, type: "template", template },
  });
  const wamid = sent.messages[0].id;
  await delivery(`delivered of ${wamid}`, status(wamid, "delivered"));
  // Read first, so the click comes in a delivery of its own and not behind the read.
  await call("POST", `${env.WAMM_BASE_URL}/_wamm/messages/${wamid}/read`);
  const read = await delivery(`read of ${wamid}`, status(wamid, "read"));
  await call("POST", `${env.WAMM_BASE_URL}/_wamm/messages/${wamid}/click`);
  const clicked = await delivery(`click of ${wamid}`, (c) =>
    c.field === "messages" &&
    c.value?.user_actions?.some((a) => a.action_type === "marketing_messages_link_click"),
  );
  return { id: wamid, read: summary(read), click: summary(clicked) };
}

async function templateStatus() {
  const id = env.WAMM_SEND_TEMPLATE_ID;
  await call("POST", `${env.WAMM_BASE_URL}/_wamm/templates/${id}/status`, { body: { status: "PAUSED" } });
  const d = await delivery(`status update of template ${id}`, (c) =>
    c.field === "message_template_status_update" && String(c.value?.message_template_id) === id,
  );
  return summary(d);
}

/**
 * The app subscribes to the WABA of a coexistence number (`POST /{waba-id}/subscribed_apps`),
 * whose disconnection from the WhatsApp Business app then comes as `account_update`.
 */
async function accountUpdate() {
  await call("POST", `${graph}/${env.WAMM_COEX_WABA_ID}/subscribed_apps`, { token: env.WAMM_TOKEN });
  await call("POST", `${env.WAMM_BASE_URL}/_wamm/phone_numbers/${env.WAMM_COEX_PHONE_ID}/disconnect`);
  const d = await delivery("account_update", (c) => c.field === "account_update");
  return { ...summary(d), event: d.changes.find((c) => c.field === "account_update").value.event };
}

try {
  if ((await report("subscribe", subscribe)).ok) {
    const sent = await report("send_template", () => sendTemplate(wa, TRACKING));
    if (sent.ok) await report("status_webhooks", () => statuses(sent.id));
    await report("click_webhook", click);
    await report("template_status_webhook", templateStatus);
    await report("account_update_webhook", accountUpdate);
    await report("all_deliveries", async () => ({
      count: deliveries.length,
      unverified: deliveries.filter((d) => !d.verified).map(summary),
      tampered_accepted: deliveries
        .filter((d) => d.tampered?.error !== "WhatsAppAPIFailedToVerifyError")
        .map(summary),
    }));
  }
} finally {
  server.close();
  server.closeAllConnections?.();
}
