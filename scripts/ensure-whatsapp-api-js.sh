#!/usr/bin/env bash
# Installs (or reuses) the pinned whatsapp-api-js release for the real-client tests into an npm
# folder under the cargo target folder, and prints that folder. The pin and its lockfile live in
# crates/wamm/tests/it/clients/js/; the install happens outside the source tree so no
# node_modules lands in the repository. Fails when Node.js, npm or the install is unavailable:
# the suite must not pass without running whatsapp-api-js.
set -euo pipefail
cd "$(dirname "$0")/.."

pins=crates/wamm/tests/it/clients/js
command -v node >/dev/null || { echo "ensure-whatsapp-api-js: node is required" >&2; exit 1; }
command -v npm >/dev/null || { echo "ensure-whatsapp-api-js: npm is required" >&2; exit 1; }

# The version is pinned exactly in package.json (bump it there, then refresh the lockfile with
# `npm install --package-lock-only` in that folder); the tests assert its behaviour.
version="$(node -p 'require(process.argv[1]).dependencies["whatsapp-api-js"]' "$PWD/$pins/package.json")"

target="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target"
dir="$(cd "$target" && pwd)/whatsapp-api-js"

installed() {
  node -p 'require(process.argv[1]).version' \
    "$dir/node_modules/whatsapp-api-js/package.json" 2>/dev/null
}

# Reused only while it holds the pinned version from the committed lockfile.
if [ "$(installed)" = "$version" ] && cmp -s "$pins/package-lock.json" "$dir/package-lock.json"; then
  echo "$dir"
  exit 0
fi

echo "installing whatsapp-api-js@$version into $dir" >&2
rm -rf "$dir"
mkdir -p "$dir"
cp "$pins/package.json" "$pins/package-lock.json" "$dir/"
# `npm ci` installs exactly the lockfile and fails when it disagrees with package.json.
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
if [ "$(installed)" != "$version" ]; then
  echo "ensure-whatsapp-api-js: whatsapp-api-js $version is not installed in $dir" >&2
  exit 1
fi
echo "$dir"
