// What the whatsapp-api-js scripts share: an unchanged whatsapp-api-js `WhatsAppAPI` client
// pointed at a wamm platform, and one JSON line per call.
//
// Configuration (environment): WAMM_WHATSAPP_API_JS_DIR (the npm folder holding the pinned
// release, from scripts/ensure-whatsapp-api-js.sh), WAMM_BASE_URL (scheme://host:port of the
// platform), WAMM_TOKEN, WAMM_APP_ID, WAMM_APP_SECRET, WAMM_WABA_ID, WAMM_PHONE_ID, WAMM_TO,
// WAMM_SEND_TEMPLATE, WAMM_SEND_LANGUAGE and WAMM_SEND_PARAMS (an approved marketing template
// and its comma-separated body parameters).

import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export const env = process.env;
const BASE = new URL(env.WAMM_BASE_URL);

// The package is installed in the build cache, not beside these scripts, so a bare `import`
// from here would not find it. Its own `exports` map still decides which file each entry
// point is: resolve against the npm folder, then import that file.
const installed = createRequire(join(env.WAMM_WHATSAPP_API_JS_DIR, "package.json"));
const load = (specifier) => import(pathToFileURL(installed.resolve(specifier)).href);

const { WhatsAppAPI } = await load("whatsapp-api-js");
const { DEFAULT_API_VERSION } = await load("whatsapp-api-js/types");
export const errors = await load("whatsapp-api-js/errors");
/** The Graph version the client is pinned to, e.g. `v24.0`. */
export const GRAPH_VERSION = DEFAULT_API_VERSION;
export const messages = await load("whatsapp-api-js/messages");

/**
 * whatsapp-api-js writes `https://graph.facebook.com/{v}/…` into every request and has no host
 * setting; it does take the `fetch` to use (its documented `ponyfill.fetch` option, meant for
 * runtimes without one). This fetch swaps scheme, host and port for the platform's and leaves
 * version, path, query, headers and body untouched: the base URL is the only change.
 */
function toWamm(input, init) {
  const url = new URL(input instanceof Request ? input.url : String(input));
  url.protocol = BASE.protocol;
  url.host = BASE.host;
  return fetch(url, init);
}

/**
 * The library's client as its documentation configures it, pinned to the Graph version the
 * release defaults to (naming it only silences the library's "version not defined" warning).
 */
export function client(options = {}) {
  return new WhatsAppAPI({
    token: env.WAMM_TOKEN,
    appSecret: env.WAMM_APP_SECRET,
    v: GRAPH_VERSION,
    ponyfill: { fetch: toWamm },
    ...options,
  });
}

/**
 * Runs one call and prints its outcome as a JSON line: {"call", "ok": true, ...values} or
 * {"call", "ok": false, "error"}.
 */
export async function report(name, fn) {
  let out;
  try {
    out = { call: name, ok: true, ...(await fn()) };
  } catch (e) {
    // Any failure is a result to report, not a crash.
    out = { call: name, ok: false, error: `${e?.name ?? "Error"}: ${e?.message ?? e}` };
  }
  console.log(JSON.stringify(out));
  return out;
}

/**
 * Sends the template named by the environment with `sendMessage`, the library's only send:
 * `POST /{phone}/messages`. whatsapp-api-js has no Marketing Messages (`/marketing_messages`)
 * call. `tracking` is the `biz_opaque_callback_data` to send, if any. Answers the Graph
 * response and what the library's `on.sent` callback was handed.
 */
export async function sendTemplate(wa, tracking) {
  const { Template, Language, BodyComponent, BodyParameter } = messages;
  const params = (env.WAMM_SEND_PARAMS ?? "").split(",").filter((p) => p !== "");
  // A body component without parameters is refused by the library; leave it out then.
  const body = params.length ? [new BodyComponent(...params.map((p) => new BodyParameter(p)))] : [];
  const template = new Template(env.WAMM_SEND_TEMPLATE, new Language(env.WAMM_SEND_LANGUAGE), ...body);
  let sent = null;
  const before = wa.on.sent;
  wa.on.sent = ({ phoneID, to, type, id, held_for_quality_assessment }) => {
    sent = { phoneID, to, type, id, held_for_quality_assessment: held_for_quality_assessment ?? null };
  };
  try {
    const response = await wa.sendMessage(env.WAMM_PHONE_ID, env.WAMM_TO, template, undefined, tracking);
    if ("error" in response) {
      throw new Error(`Graph error ${JSON.stringify(response.error)}`);
    }
    return {
      id: response.messages?.[0]?.id ?? null,
      wa_id: response.contacts?.[0]?.wa_id ?? null,
      sent,
    };
  } finally {
    wa.on.sent = before;
  }
}
