#!/usr/bin/env bash
# Makes sure schemathesis (the API fuzzer, from PyPI) is installed in an ignored venv at the
# pinned version, and prints the path of its executable. Used by .ci/run, `npm run fuzz:api`
# and test/integration/api-fuzz.test.ts. Needs python3 with venv and pip, and PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: a new release can change generation or checks, so an upgrade is a deliberate edit.
VERSION=4.32.5
VENV=${SCHEMATHESIS_VENV:-.cache/schemathesis-venv}
BIN="$VENV/bin/schemathesis"

log() { echo "[ensure-schemathesis] $*" >&2; }

if [ -x "$BIN" ] && [ "$("$BIN" --version 2>/dev/null)" = "schemathesis, version $VERSION" ]; then
  echo "$(pwd)/$BIN"; exit 0
fi

command -v python3 >/dev/null || { log "python3 not found"; exit 1; }
log "installing schemathesis==$VERSION into $VENV"
# Only ever remove a venv (a stale version), never whatever else the variable might name.
[ -f "$VENV/pyvenv.cfg" ] && rm -rf "$VENV"
python3 -m venv "$VENV" >&2
"$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION" >&2
"$BIN" --version >&2
echo "$(pwd)/$BIN"
