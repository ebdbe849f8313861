#!/usr/bin/env bash
# The Odoo part of tools/test.sh: installs pos_mobilepay on a fresh database of the given
# Odoo (of the manifest's series, 19.0) and runs its tests and tours (tags /pos_mobilepay) in
# headless Chromium. The database has no demo data unless ODOO_WITH_DEMO=1.
# Usage: tools/odoo_suite.sh /path/to/odoo
set -euo pipefail

odoo_bin=$1
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tools/odoo_env.sh
source "$repo/tools/odoo_env.sh"
if ! check_odoo "$odoo_bin"; then
  echo "FAILED: $odoo_problem"
  exit 2
fi

# The Python that runs Odoo: the interpreter named on the odoo script's first line.
odoo_python=${ODOO_PYTHON:-$(odoo_python_of "$odoo_bin")}
echo "Odoo's Python: $odoo_python"

# What the addon and the tours need in Odoo's environment, from PyPI and Debian.
"$odoo_python" - <<'PY' || "$odoo_python" -m pip install --quiet --disable-pip-version-check 'pydantic>=2.5,<3' websocket-client
import importlib.util, sys
sys.exit(0 if all(importlib.util.find_spec(m) for m in ("pydantic", "websocket")) else 1)
PY
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Chromium (Debian package) for the tours"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "FAILED: the tours need Chromium (Debian package chromium) and it is not installed."
    exit 1
  fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/addons"
ln -s "$repo" "$work/addons/pos_mobilepay"
odoo_addons=$(odoo_addons_of "$odoo_python")
addons_path="$work/addons,$odoo_addons${ODOO_ADDONS_PATH:+,$ODOO_ADDONS_PATH}"
port=$("$odoo_python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
db="mpos_test_$(date +%s)_$$"
# shellcheck disable=SC2086
db_args=(${ODOO_DB_ARGS:-})
demo_args=()
demo_words="without demo data"
if [ -n "${ODOO_WITH_DEMO:-}" ]; then
  demo_args=(--with-demo)
  demo_words="with demo data"
fi
log="$work/odoo-test.log"

echo "installing pos_mobilepay on a fresh database ($demo_words) and running its tests and tours (log: $log)"
set +e
"$odoo_bin" -d "$db" "${db_args[@]}" "${demo_args[@]}" --addons-path="$addons_path" -i pos_mobilepay \
  --test-enable --test-tags /pos_mobilepay --stop-after-init \
  --http-interface=127.0.0.1 --http-port="$port" --gevent-port=$((port + 1)) \
  --log-level=test --max-cron-threads=0 >"$log" 2>&1
odoo_status=$?
set -e

summary_status=0
"$odoo_python" "$repo/tools/odoo_log_summary.py" "$log" || summary_status=$?
if [ -z "${KEEP_DB:-}" ]; then
  "$odoo_bin" db drop "$db" "${db_args[@]}" >/dev/null 2>&1 || dropdb "$db" >/dev/null 2>&1 || true
fi
if [ "$odoo_status" -ne 0 ] || [ "$summary_status" -ne 0 ]; then
  echo "Odoo suite FAILED (odoo exit $odoo_status). Last lines of the log:"
  tail -n 60 "$log"
  exit 1
fi
