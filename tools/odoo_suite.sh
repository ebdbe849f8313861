#!/usr/bin/env bash
# The Odoo part of tools/test.sh: installs pos_mobilepay on a fresh database of the
# given Odoo 18 and runs its tests and tours (tags /pos_mobilepay) in headless Chromium.
# Usage: tools/odoo_suite.sh /path/to/odoo
set -euo pipefail

odoo_bin=$1
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The Python that runs Odoo: the interpreter named on the odoo script's first line.
odoo_python=${ODOO_PYTHON:-}
if [ -z "$odoo_python" ]; then
  shebang=$(head -n 1 "$odoo_bin" | sed -n 's/^#! *//p')
  odoo_python=${shebang%% *}
  case "$odoo_python" in
    */env) odoo_python=$(command -v "${shebang#* }") ;;
  esac
fi
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
odoo_addons=$("$odoo_python" - <<'PY'
import os, odoo
root = os.path.dirname(os.path.abspath(odoo.__file__))
paths = [os.path.join(root, "addons"), os.path.join(os.path.dirname(root), "addons")]
print(",".join(p for p in paths if os.path.isdir(p)))
PY
)
addons_path="$work/addons,$odoo_addons${ODOO_ADDONS_PATH:+,$ODOO_ADDONS_PATH}"
port=$("$odoo_python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
db="mpos_test_$(date +%s)_$$"
# shellcheck disable=SC2086
db_args=(${ODOO_DB_ARGS:-})
log="$work/odoo-test.log"

echo "installing pos_mobilepay on a fresh database and running its tests and tours (log: $log)"
set +e
"$odoo_bin" -d "$db" "${db_args[@]}" --addons-path="$addons_path" -i pos_mobilepay \
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
