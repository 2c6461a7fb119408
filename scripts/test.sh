#!/usr/bin/env bash
# Install and run everything: ruff (lint + format check) and the whole pytest suite, in parallel.
# PostgreSQL tests run when TEST_DATABASE_URL is set, and are skipped with a message otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv requirements-dev.txt

# The browser tests drive Debian's Chromium (Playwright never downloads a browser here); CJK fonts
# make their screenshots readable. Installed with apt-get where we can, else those tests skip.
ensure_browser() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
    missing+=(fonts-noto-cjk)
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "==> installing ${missing[*]} (Debian) for the browser tests"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/dev/null; then
      echo "==> NOTE: apt-get could not install ${missing[*]}"
    fi
  fi
  if [ ! -x /usr/bin/chromium ]; then
    echo "==> NOTE: no /usr/bin/chromium: the browser tests (tests/test_web_*) are SKIPPED."
  fi
}
ensure_browser

echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> import contracts (pyproject.toml [tool.importlinter])"
.venv/bin/lint-imports --no-cache

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  echo "==> NOTE: TEST_DATABASE_URL is not set: the PostgreSQL half of the suite is SKIPPED."
  echo "          e.g. TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test scripts/test.sh"
else
  echo "==> PostgreSQL tests against $TEST_DATABASE_URL"
fi
# In parallel (pytest-xdist): one worker per core unless TEST_WORKERS says otherwise (1 = serial).
# Each worker has its own SQLite files and its own PostgreSQL database (named by its pid);
# a file's tests stay on one worker, so one browser serves a browser test module.
WORKERS="${TEST_WORKERS:-auto}"
echo "==> pytest ($WORKERS workers)"
if [ "$WORKERS" = 1 ]; then
  exec .venv/bin/pytest -p no:cacheprovider "$@"
fi
exec .venv/bin/pytest -p no:cacheprovider -n "$WORKERS" --dist loadfile "$@"
