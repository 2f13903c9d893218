#!/usr/bin/env bash
# `npm run fuzz:api`: fuzz the HTTP API with schemathesis against a real stack (Temporal dev
# server, PostgreSQL from DATABASE_URL or the embedded server, SMTP/SMS sinks, worker,
# API). It runs test/integration/api-fuzz.test.ts alone, whose setup starts all of that, with
# more examples and a random seed than the CI run (override: FUZZ_MAX_EXAMPLES, FUZZ_SEED).
# Figures and the failing cases are printed; reports go to test-artifacts/api-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-schemathesis.sh >/dev/null
export FUZZ_MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-100}
export FUZZ_SEED=${FUZZ_SEED:-random}
exec npx vitest run --project integration test/integration/api-fuzz.test.ts
