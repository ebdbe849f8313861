# Sourced by tools/test.sh, tools/run.sh and tools/odoo_suite.sh: which Odoo to use, and is it
# a working Odoo of the series this addon is for (the manifest's version says which).
#
#   find_odoo        sets odoo_bin (ODOO_BIN, else odoo or odoo-bin on PATH), odoo_named (1 when
#                    ODOO_BIN named it) and, checking it once, odoo_problem (empty when it is a working
#                    Odoo of the series; else why not) and odoo_version (what --version said).
#   check_odoo BIN   0 when BIN is a working Odoo of the addon's series; else 1, with odoo_problem set.
#   odoo_python_of BIN   the Python that runs BIN (the interpreter on its first line).
#   odoo_addons_of PYTHON  Odoo's own addons folders, comma-separated.

odoo_series=$(sed -n 's/^ *"version": "\([0-9]*\.[0-9]*\)\..*/\1/p' "$(dirname "${BASH_SOURCE[0]}")/../__manifest__.py")

find_odoo() {
  odoo_named=""
  if [ -n "${ODOO_BIN:-}" ]; then
    odoo_bin=$ODOO_BIN
    odoo_named=1
  else
    odoo_bin=$(command -v odoo || command -v odoo-bin || true)
  fi
  if [ -z "$odoo_bin" ]; then
    odoo_problem="no Odoo installation found (set ODOO_BIN or put odoo on PATH)"
    odoo_version=""
    return 0
  fi
  check_odoo "$odoo_bin" || true
}

# Sets odoo_version (what --version said) and odoo_problem (empty, or why BIN is no working Odoo of the series).
check_odoo() {
  local bin=$1 said status
  odoo_version=""
  odoo_problem=""
  if ! command -v "$bin" >/dev/null 2>&1; then
    if [ -e "$bin" ]; then odoo_problem="$bin is not executable."; else odoo_problem="$bin does not exist."; fi
    return 1
  fi
  said=$("$bin" --version 2>&1) && status=0 || status=$?
  if [ "$status" -ne 0 ]; then
    odoo_problem="$bin --version failed (exit $status): $(printf '%s' "$said" | tail -n 1)"
    return 1
  fi
  odoo_version=$(printf '%s' "$said" | tail -n 1)
  case "$said" in
    *"Odoo Server $odoo_series"*) return 0 ;;
  esac
  odoo_problem="$bin is not Odoo $odoo_series (it says: $odoo_version); this addon is for Odoo $odoo_series."
  return 1
}

odoo_python_of() {
  local shebang python
  shebang=$(head -n 1 "$(command -v "$1" || echo "$1")" | sed -n 's/^#! *//p')
  python=${shebang%% *}
  case "$python" in
    */env) python=$(command -v "${shebang#* }") ;;
  esac
  echo "$python"
}

odoo_addons_of() {
  "$1" - <<'PY'
import os, odoo
# Odoo 19's odoo is a namespace package (no __file__): its folders are odoo.__path__.
roots = [os.path.abspath(p) for p in getattr(odoo, "__path__", [])]
paths = []
for root in roots:
    for path in (os.path.join(root, "addons"), os.path.join(os.path.dirname(root), "addons")):
        if os.path.isdir(path) and path not in paths:
            paths.append(path)
print(",".join(paths))
PY
}
