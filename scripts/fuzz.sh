#!/usr/bin/env bash
# The long fuzz run: schemathesis against the OpenAPI document with many examples per
# operation, as admin, a member and anonymous, on SQLite (and PostgreSQL with TEST_DATABASE_URL).
#   scripts/fuzz.sh            # 300 examples per operation and role
#   FUZZ_EXAMPLES=1000 scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv requirements-dev.txt
export FUZZ_EXAMPLES="${FUZZ_EXAMPLES:-300}"
exec .venv/bin/pytest -p no:cacheprovider -q tests/test_fuzz.py "$@"
