// The unchanged whatsapp-api-js client against a wamm platform: its template send, and the
// Graph error it hands back for a template the WABA does not have, one JSON line per call
// (see wamm_wajs.mjs); the Rust test asserts on them.
//
// whatsapp-api-js has no calls for the business account, phone number or template reads, nor
// for creating a template, so there is nothing of those to run here.
//
// Configuration (environment): as wamm_wajs.mjs, plus WAMM_MISSING_TEMPLATE (a template name
// the WABA does not have).

import { client, env, messages, report, sendTemplate } from "./wamm_wajs.mjs";

const wa = client();

await report("send_template", () => sendTemplate(wa));

await report("send_missing_template", async () => {
  const { Template, Language } = messages;
  // The library answers Graph's JSON whatever the HTTP status: an error is a value here.
  const response = await wa.sendMessage(
    env.WAMM_PHONE_ID,
    env.WAMM_TO,
    new Template(env.WAMM_MISSING_TEMPLATE, new Language(env.WAMM_SEND_LANGUAGE)),
  );
  const error = response.error ?? {};
  return {
    code: error.code ?? null,
    type: error.type ?? null,
    has_message: typeof error.message === "string" && error.message !== "",
    has_fbtrace_id: typeof error.fbtrace_id === "string" && error.fbtrace_id !== "",
  };
});
