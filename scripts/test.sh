#!/usr/bin/env bash
# The whole test suite: unit and property tests, in-process and over-the-socket API tests on
# SQLite and PostgreSQL, store contract tests on both backends, and end-to-end tests of the
# `wamm` binary driven by our own Graph client and by the unchanged pywa, whatsapp-api-js and
# facebook-business (Meta's Business SDK for Python) clients.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-postgres.sh
scripts/ensure-chromium.sh
# The real-client tests run pywa from this venv; they fail (never skip) without it.
WAMM_PYWA_PYTHON="$(scripts/ensure-pywa.sh)"
export WAMM_PYWA_PYTHON
# Meta's Business SDK for Python for the Insights test; likewise a failure without it.
WAMM_FBSDK_PYTHON="$(scripts/ensure-fbsdk.sh)"
export WAMM_FBSDK_PYTHON
# And whatsapp-api-js from this npm folder; likewise a failure without it.
WAMM_WHATSAPP_API_JS_DIR="$(scripts/ensure-whatsapp-api-js.sh)"
export WAMM_WHATSAPP_API_JS_DIR

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi

# What the run checked against Meta's spec (every Graph answer of the platform suite).
cargo run --quiet -p wamm-testkit --features conformance --bin conformance-report
