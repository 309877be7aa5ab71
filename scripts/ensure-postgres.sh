#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 with trust authentication for the
# `postgres` user, installing and starting Debian's package when needed. The test suite creates
# and drops databases of its own there.
set -euo pipefail

ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1 || ! ready; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "installing PostgreSQL from Debian's packages" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fresh_install=1
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ "${fresh_install:-0}" = 1 ]; then
    # A fresh Debian cluster asks for passwords on TCP; the suite connects as postgres with trust.
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    sed -i -E 's/^(local|host)(\s+\S+\s+\S+(\s+\S+)?\s+)(peer|md5|scram-sha-256)$/\1\2trust/' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi

if ! ready; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432; the PostgreSQL suites cannot run" >&2
  exit 1
fi
psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null || {
  echo "PostgreSQL answers but refuses user postgres without a password (trust authentication needed)" >&2
  exit 1
}
