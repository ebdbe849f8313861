# Sourced by tools/test.sh and tools/run.sh: the virtualenv at .venv, made with a Python that can run
# the core (3.10 or newer; $PYTHON, else python3), filled from PyPI with the given requirements file.
#   ensure_venv REQUIREMENTS   prints why and returns 1 when no such Python is there.

min_python=3.10

python_is_new_enough() {
  "$1" -c "import sys; sys.exit(0 if sys.version_info >= (${min_python/./, }) else 1)" 2>/dev/null
}

ensure_venv() {
  local python=${PYTHON:-python3} version
  if [ ! -x .venv/bin/python ]; then
    if ! command -v "$python" >/dev/null 2>&1; then
      echo "$python not found: pos_mobilepay needs Python $min_python or newer (set PYTHON to one)." >&2
      return 1
    fi
    if ! python_is_new_enough "$python"; then
      version=$("$python" --version 2>&1 | head -n 1)
      echo "pos_mobilepay needs Python $min_python or newer; $python is ${version:-unknown} (set PYTHON to another)." >&2
      return 1
    fi
    "$python" -m venv .venv
  elif ! python_is_new_enough .venv/bin/python; then
    echo ".venv was made with $(.venv/bin/python --version 2>&1); pos_mobilepay needs Python $min_python or newer:" \
      "remove .venv and run again (with PYTHON set to a newer one)." >&2
    return 1
  fi
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$1"
}
