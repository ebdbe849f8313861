#!/usr/bin/env bash
# Runs every test of pos_mobilepay.
#
#  1. the framework-free core (mobilepay/: client, emulator, contract) with plain pytest,
#     in a virtualenv at .venv that this script creates and fills from PyPI;
#  2. the Odoo suite (install on a fresh database, Python tests and tours in headless
#     Chromium) when an Odoo 18 installation is found: $ODOO_BIN, or `odoo` / `odoo-bin`
#     on PATH. Without one it says so plainly and skips that part.
#
# Environment: ODOO_BIN (the odoo command), ODOO_DB_ARGS (extra database options such
# as "--db_host=127.0.0.1 --db_user=odoo"), MOBILEPAY_SPEC_DIR (the folder holding
# pos.yaml; default ../shared/mobilepay-pos-v10), KEEP_DB=1 to keep the test database.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-test.txt

echo "== lint: ruff =="
.venv/bin/python -m ruff check .

echo
echo "== core: plain pytest (no Odoo) =="
core_status=0
.venv/bin/python -m pytest "$@" || core_status=$?
if [ "$core_status" -ne 0 ]; then
  echo "core tests FAILED (pytest exit $core_status)"
  exit "$core_status"
fi

echo
echo "== Odoo 18 suite =="
odoo_bin=${ODOO_BIN:-}
if [ -z "$odoo_bin" ]; then
  odoo_bin=$(command -v odoo || command -v odoo-bin || true)
fi
if [ -z "$odoo_bin" ]; then
  echo "SKIPPED: no Odoo installation found (set ODOO_BIN or put odoo on PATH); the Odoo suite did not run."
  exit 0
fi
odoo_version=$("$odoo_bin" --version 2>/dev/null || true)
case "$odoo_version" in
  *" 18.0"*) ;;
  *)
    echo "SKIPPED: $odoo_bin is not Odoo 18.0 (it says: ${odoo_version:-nothing}); the Odoo suite did not run."
    exit 0
    ;;
esac
echo "using $odoo_bin ($odoo_version)"
bash "$repo/tools/odoo_suite.sh" "$odoo_bin"
