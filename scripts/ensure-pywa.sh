#!/usr/bin/env bash
# Creates (or reuses) a Python venv holding the pinned pywa release for the real-client tests,
# and prints the venv's python. Fails when Python or the install is unavailable: the suite
# must not pass without running pywa.
set -euo pipefail
cd "$(dirname "$0")/.."

# The newest pywa release when pinned; bump deliberately, the tests assert its behaviour.
PYWA_VERSION=4.5.0

target="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target"
venv="$(cd "$target" && pwd)/pywa-venv"
python="$venv/bin/python"

installed() {
  "$python" -c 'import importlib.metadata as m; print(m.version("pywa"))' 2>/dev/null
}

if [ -x "$python" ] && [ "$(installed)" = "$PYWA_VERSION" ]; then
  echo "$python"
  exit 0
fi

command -v python3 >/dev/null || { echo "ensure-pywa: python3 is required" >&2; exit 1; }
echo "installing pywa==$PYWA_VERSION into $venv" >&2
rm -rf "$venv"
python3 -m venv "$venv" >&2
"$python" -m pip install --quiet --disable-pip-version-check "pywa==$PYWA_VERSION" >&2
if [ "$(installed)" != "$PYWA_VERSION" ]; then
  echo "ensure-pywa: pywa $PYWA_VERSION is not importable from $venv" >&2
  exit 1
fi
echo "$python"
