#!/usr/bin/env bash
# Runs pos_mobilepay's main job.
#
#  - Without Odoo: starts the MobilePay v10 emulator and the Vipps MobilePay ePayment
#    emulator, walks one payment through each in the terminal (v10: register a PoS, show the
#    QR, pay, capture, refund; ePayment: a one-time QR payment, capture, refund), then keeps
#    both emulators and their customer-phone pages running until Ctrl-C.
#  - With an Odoo 19.0 installation ($ODOO_BIN, or odoo / odoo-bin on PATH): also creates the
#    database pos_mobilepay_demo with the addon and demo data (Vipps MobilePay and MobilePay
#    methods in demo mode on demo shops) on first use, and serves Odoo at http://127.0.0.1:8069
#    with both emulators (started here, so Odoo starts no detached one of its own).
#    An ODOO_BIN that is set but is not a working Odoo 19.0 is an error.
#
# Ctrl-C (or any exit) stops the emulators started here and removes the temporary addons folder.
#
# Environment: EMULATOR_PORT (8765), EPAYMENT_EMULATOR_PORT (8766), ODOO_PORT (8069), ODOO_DB (pos_mobilepay_demo),
# ODOO_DB_ARGS (extra database options).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

# A port asked for must be one, said before anything starts (an empty variable means the default).
for variable in EMULATOR_PORT EPAYMENT_EMULATOR_PORT; do
  value=${!variable:-}
  if [ -n "$value" ] && ! { [[ $value =~ ^[0-9]{1,5}$ ]] && ((10#$value >= 1 && 10#$value <= 65535)); }; then
    echo "$variable must be a number from 1 to 65535 (got '$value')." >&2
    exit 2
  fi
done
# shellcheck source=tools/odoo_env.sh
source "$repo/tools/odoo_env.sh"
find_odoo
if [ -n "$odoo_named" ] && [ -n "$odoo_problem" ]; then
  echo "ODOO_BIN=$odoo_bin is not a working Odoo $odoo_series: $odoo_problem" >&2
  exit 2
fi

# shellcheck source=tools/python_env.sh
source "$repo/tools/python_env.sh"
ensure_venv requirements.txt || exit 2

# Our own emulator, on a port nobody else holds (another emulator there would answer in its place).
port_is_free() {
  .venv/bin/python -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1])))" "$1" 2>/dev/null
}
# free_port VARIABLE DEFAULT LABEL: the port named by $VARIABLE (stop when it is taken), else DEFAULT,
# else (DEFAULT taken) any free port, said so.
free_port() {
  local asked=${!1:-} port=${!1:-$2}
  if port_is_free "$port"; then
    echo "$port"
    return
  fi
  if [ -n "$asked" ]; then
    echo "Port $port ($1) is taken by another program: set $1 to a free port." >&2
    exit 1
  fi
  port=$(.venv/bin/python -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
  echo "Port $2 is taken by another program: $3 uses port $port instead." >&2
  echo "$port"
}
core_only=${odoo_problem:+1}
# Both emulators' ports up front: a taken one stops the run before the first demo, not between the two.
emulator_port=$(free_port EMULATOR_PORT 8765 "the emulator") || exit 1
epayment_port=$(free_port EPAYMENT_EMULATOR_PORT 8766 "the ePayment emulator") || exit 1
emulator_url="http://127.0.0.1:$emulator_port"
epayment_url="http://127.0.0.1:$epayment_port"

# What this run started, stopped and removed however it ends (Ctrl-C, an error, a normal exit).
emulator_pid=""
epayment_pid=""
addons=""
cleanup() {
  local pid
  for pid in "$emulator_pid" "$epayment_pid"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "$emulator_pid" "$epayment_pid"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  if [ -n "$addons" ] && [ -d "$addons" ]; then
    rm -f "$addons/pos_mobilepay"
    rmdir "$addons" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

.venv/bin/python -m mobilepay.v10.emulator --port "$emulator_port" &
emulator_pid=$!
started=""
for _ in $(seq 100); do
  if ! kill -0 "$emulator_pid" 2>/dev/null; then
    echo "The emulator did not start (see its message above)." >&2
    exit 1
  fi
  if .venv/bin/python -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
      "$emulator_url/integrator-authentication/.well-known/openid-configuration" 2>/dev/null; then
    started=1
    break
  fi
  sleep 0.2
done
if [ -z "$started" ]; then
  echo "The emulator started but does not answer at $emulator_url after 20 s." >&2
  exit 1
fi

start_epayment_emulator() {
  .venv/bin/python -m mobilepay.epayment.emulator --port "$epayment_port" "$@" > /dev/null &
  epayment_pid=$!
  for _ in $(seq 100); do
    if ! kill -0 "$epayment_pid" 2>/dev/null; then
      echo "The ePayment emulator did not start." >&2
      exit 1
    fi
    if .venv/bin/python -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
        "$epayment_url/phone" 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  echo "The ePayment emulator started but does not answer at $epayment_url after 20 s." >&2
  exit 1
}

if [ -n "$core_only" ]; then
  echo
  echo "No Odoo $odoo_series found ($odoo_problem): running the core demo against the emulators."
  echo
  echo "== MobilePay PoS API v10 (retired 2024), on its emulator =="
  .venv/bin/python -m mobilepay.v10.walkthrough --emulator "$emulator_url" --auto
  start_epayment_emulator
  echo
  echo "== Vipps MobilePay ePayment API (the live successor), on its emulator =="
  .venv/bin/python -m mobilepay.epayment.walkthrough --emulator "$epayment_url" --auto
  echo
  echo "The v10 emulator keeps running at $emulator_url (customer phone page: $emulator_url/phone),"
  echo "the ePayment emulator at $epayment_url (customer phone page: $epayment_url/phone)."
  echo "Take a payment yourself and play the customer on a phone page:"
  echo "  .venv/bin/python -m mobilepay.v10.walkthrough --emulator $emulator_url"
  echo "  .venv/bin/python -m mobilepay.epayment.walkthrough --emulator $epayment_url"
  echo "Press Ctrl-C to stop."
  wait "$emulator_pid"
  exit 0
fi

odoo_python=$(odoo_python_of "$odoo_bin")
"$odoo_python" -c "import pydantic" 2>/dev/null || "$odoo_python" -m pip install --quiet 'pydantic>=2.5,<3'
# The ePayment emulator runs here (as Odoo would start it: quick webhook retries), so Ctrl-C stops it.
start_epayment_emulator --fast-webhook-retries
addons=$(mktemp -d)
ln -s "$repo" "$addons/pos_mobilepay"
odoo_addons=$(odoo_addons_of "$odoo_python")
db=${ODOO_DB:-pos_mobilepay_demo}
# shellcheck disable=SC2086
db_args=(${ODOO_DB_ARGS:-})
common=(-d "$db" "${db_args[@]}" --addons-path="$addons,$odoo_addons")
if ! psql -lqt 2>/dev/null | cut -d'|' -f1 | grep -qw "$db"; then
  echo "Creating the database $db with point_of_sale and pos_mobilepay (about two minutes the first time)"
  "$odoo_bin" "${common[@]}" --with-demo -i pos_mobilepay --stop-after-init --log-level=warn
fi
"$odoo_bin" shell "${common[@]}" --no-http --log-level=warn <<PY >/dev/null
env["ir.config_parameter"].sudo().set_param("pos_mobilepay.emulator_url", "$emulator_url")
env["ir.config_parameter"].sudo().set_param("pos_mobilepay.epayment_emulator_url", "$epayment_url")
env.cr.commit()
PY
echo
echo "Odoo with pos_mobilepay in demo mode: http://127.0.0.1:${ODOO_PORT:-8069}/odoo/point-of-sale (login admin / admin)"
echo "Open the register \"Vipps MobilePay Shop (DKK)\" (ePayment), pay with Vipps MobilePay, and play the customer"
echo "at $epayment_url/phone; or the register \"MobilePay Shop (DKK)\" (PoS API v10), customer at $emulator_url/phone"
echo "Press Ctrl-C to stop Odoo and the emulators."
"$odoo_bin" "${common[@]}" --http-interface=127.0.0.1 --http-port="${ODOO_PORT:-8069}"
