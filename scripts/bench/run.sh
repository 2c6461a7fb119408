#!/usr/bin/env bash
# The benchmarks (issue 8): a city-sized data set in PostgreSQL, gunicorn on loopback, wrk.
#   scripts/bench/run.sh            the full run (100,000 members; ~20–30 minutes)
#   scripts/bench/run.sh --quick    the smoke mode (tiny data, second-long runs; ~2 minutes)
# Other options go to scripts/bench/bench.py (--reuse, --profile NAME, --skip sqlite,small,…).
# It creates and drops only databases named party_bench_*; results land in scripts/bench/out/.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/_venv.sh
ensure_venv requirements.txt

stamp=".venv/.installed-bench-requirements"
want="$(sha256sum scripts/bench/requirements.txt | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing scripts/bench/requirements.txt"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r scripts/bench/requirements.txt
  echo "$want" > "$stamp"
fi

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing wrk (Debian package)"
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else
    echo "wrk is missing: install it (e.g. sudo apt-get install wrk) and run again" >&2
    exit 1
  fi
fi

if ! .venv/bin/python -c "import psycopg; psycopg.connect('${BENCH_PG_ADMIN:-postgresql://postgres@127.0.0.1:5432/postgres}').close()" 2>/dev/null; then
  echo "PostgreSQL is not reachable at ${BENCH_PG_ADMIN:-postgresql://postgres@127.0.0.1:5432/postgres} (set BENCH_PG_ADMIN)" >&2
  exit 1
fi

mkdir -p scripts/bench/out
echo "==> load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
exec .venv/bin/python scripts/bench/bench.py "$@"
