#!/usr/bin/env bash
# Runs every test of pos_mobilepay.
#
#  1. the framework-free core (mobilepay/: clients, emulators, contracts) with plain pytest,
#     in a virtualenv at .venv that this script creates and fills from PyPI;
#  2. the Odoo suite (install on a fresh database, Python tests and tours in headless
#     Chromium) when an Odoo of the manifest's series (19.0) is found: $ODOO_BIN, or `odoo` /
#     `odoo-bin` on PATH. Without one it says so plainly and skips that part; an ODOO_BIN
#     that is set but is not a working Odoo 19.0 is an error.
#
# The last line sums up both parts: "total: N passed, N failed, N skipped".
#
# Environment: ODOO_BIN (the odoo command), ODOO_DB_ARGS (extra database options such
# as "--db_host=127.0.0.1 --db_user=odoo"), ODOO_WITH_DEMO=1 (the Odoo suite on a database
# with demo data), MOBILEPAY_SPEC_DIR (the folder holding pos.yaml; default
# ../shared/mobilepay-pos-v10), KEEP_DB=1 to keep the test database.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# shellcheck source=tools/odoo_env.sh
source "$repo/tools/odoo_env.sh"

# An Odoo named by ODOO_BIN must work: say so before anything else runs.
find_odoo
if [ -n "$odoo_named" ] && [ -n "$odoo_problem" ]; then
  echo "FAILED: ODOO_BIN=$odoo_bin is not a working Odoo $odoo_series: $odoo_problem" >&2
  exit 2
fi

# shellcheck source=tools/python_env.sh
source "$repo/tools/python_env.sh"
ensure_venv requirements-test.txt || exit 2

echo "== lint: ruff =="
.venv/bin/python -m ruff check .

echo
echo "== core: plain pytest (no Odoo) =="
core_log=$(mktemp)
trap 'rm -f "$core_log"' EXIT
core_status=0
.venv/bin/python -m pytest "$@" 2>&1 | tee "$core_log" || core_status=${PIPESTATUS[0]}
# pytest's last line: "== 688 passed, 3 skipped in 61.2s ==".
core_line=$(grep -E '^=+ .*(passed|failed|error).* in [0-9.]+s' "$core_log" | tail -n 1 || true)
core_passed=$(echo "$core_line" | sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p')
core_failed=$(echo "$core_line" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p')
core_errors=$(echo "$core_line" | sed -n 's/.* \([0-9][0-9]*\) error.*/\1/p')
core_skipped=$(echo "$core_line" | sed -n 's/.* \([0-9][0-9]*\) skipped.*/\1/p')
core_passed=${core_passed:-0}
core_failed=$(( ${core_failed:-0} + ${core_errors:-0} ))
core_skipped=${core_skipped:-0}
total() {
  echo
  echo "total: $(( core_passed + $1 )) passed, $(( core_failed + $2 )) failed, $(( core_skipped + $3 )) skipped" \
    "(core $core_passed/$core_failed/$core_skipped, Odoo $4)"
}
if [ "$core_status" -ne 0 ]; then
  echo "core tests FAILED (pytest exit $core_status)"
  total 0 0 0 "not run"
  exit "$core_status"
fi

echo
echo "== Odoo $odoo_series suite =="
if [ -z "$odoo_bin" ]; then
  echo "SKIPPED: $odoo_problem; the Odoo suite did not run."
  total 0 0 0 "not run: no Odoo $odoo_series found"
  exit 0
fi
if [ -n "$odoo_problem" ]; then
  echo "SKIPPED: $odoo_problem The Odoo suite did not run (set ODOO_BIN to an Odoo $odoo_series to run it)."
  total 0 0 0 "not run: $odoo_bin is not Odoo $odoo_series"
  exit 0
fi
echo "using $odoo_bin ($odoo_version)"
odoo_log=$(mktemp)
trap 'rm -f "$core_log" "$odoo_log"' EXIT
odoo_status=0
bash "$repo/tools/odoo_suite.sh" "$odoo_bin" 2>&1 | tee "$odoo_log" || odoo_status=${PIPESTATUS[0]}
# odoo_log_summary.py's line: "odoo: 147 passed, 0 failed, 0 skipped".
odoo_line=$(grep -E '^odoo: [0-9]+ passed' "$odoo_log" | tail -n 1 || true)
if [ -z "$odoo_line" ]; then
  total 0 1 0 "FAILED before any test ran"
  exit 1
fi
read -r odoo_passed odoo_failed odoo_skipped < <(echo "$odoo_line" | sed 's/[^0-9 ]//g')
total "$odoo_passed" "$odoo_failed" "$odoo_skipped" "$odoo_passed/$odoo_failed/$odoo_skipped"
exit "$odoo_status"
