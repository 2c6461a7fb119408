#!/usr/bin/env bash
# Fault runs (opt-in; they stop the local PostgreSQL server for a few seconds, so never run
# them beside the test suite):
#   scripts/faults.sh      PostgreSQL stopped (immediate) during a check-in load, then started
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv requirements-dev.txt
exec .venv/bin/python scripts/faults/pg_outage.py "$@"
