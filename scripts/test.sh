#!/usr/bin/env bash
# Install and run everything: ruff (lint + format check) and the whole pytest suite.
# PostgreSQL tests run when TEST_DATABASE_URL is set, and are skipped with a message otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv requirements-dev.txt

echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  echo "==> NOTE: TEST_DATABASE_URL is not set: the PostgreSQL half of the suite is SKIPPED."
  echo "          e.g. TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test scripts/test.sh"
else
  echo "==> PostgreSQL tests against $TEST_DATABASE_URL"
fi
echo "==> pytest"
exec .venv/bin/pytest -p no:cacheprovider "$@"
