#!/usr/bin/env bash
# Creates (or reuses) a Python venv holding the pinned release of Meta's Business SDK
# (facebook-business) for the real-client Insights test, and prints the venv's python. Fails
# when Python or the install is unavailable: the suite must not pass without running it.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned; bump deliberately, the test asserts what this release sends and decodes.
FBSDK_VERSION=26.0.3

target="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target"
venv="$(cd "$target" && pwd)/fbsdk-venv"
python="$venv/bin/python"

installed() {
  "$python" -c 'import importlib.metadata as m; print(m.version("facebook-business"))' 2>/dev/null
}

if [ -x "$python" ] && [ "$(installed)" = "$FBSDK_VERSION" ]; then
  echo "$python"
  exit 0
fi

command -v python3 >/dev/null || { echo "ensure-fbsdk: python3 is required" >&2; exit 1; }
echo "installing facebook-business==$FBSDK_VERSION into $venv" >&2
rm -rf "$venv"
python3 -m venv "$venv" >&2
"$python" -m pip install --quiet --disable-pip-version-check "facebook-business==$FBSDK_VERSION" >&2
if [ "$(installed)" != "$FBSDK_VERSION" ]; then
  echo "ensure-fbsdk: facebook-business $FBSDK_VERSION is not importable from $venv" >&2
  exit 1
fi
echo "$python"
