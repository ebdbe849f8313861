"""The addon as an OCA-style wheel, ``odoo-addon-pos_mobilepay``, built with whool and used from a clean virtualenv.

whool, the build backend pyproject.toml names, calls the wheel after the addon's folder and packs the files
git knows. A clone may be named anything (CI clones into a folder of its own), so the wheel is built from a
copy named ``pos_mobilepay`` of the files git tracks or would track (untracked ones that .gitignore does not
name): what a build from a checkout named ``pos_mobilepay`` packs once they are committed. No network: whool
is in requirements-test.txt, the build runs without isolation and pip looks at no index.

The wheel is installed with ``--no-deps`` into a new virtualenv. ``import odoo.addons.pos_mobilepay`` cannot
work there: the addon's ``__init__`` imports its models and controllers, which import Odoo. The
framework-free core needs no Odoo: with the installed addon's folder on ``sys.path``, ``mobilepay`` is a
package of its own. Its dependencies (pydantic, requests, qrcode) are borrowed from this test virtualenv,
after the new one on ``sys.path``; the check asserts that ``mobilepay`` itself comes from the wheel.
"""

import ast
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ADDON = "pos_mobilepay"
PREFIX = f"odoo/addons/{ADDON}/"
# Not part of the addon, whatever git says (when git is not there to say it).
NEVER = {".git", ".venv", "__pycache__", "build", "node_modules", ".pytest_cache", ".ruff_cache"}
GIT_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY")

USE_THE_WHEEL = """
import importlib.metadata, json, os, sys, sysconfig
from decimal import Decimal

addon = os.path.join(sysconfig.get_paths()["purelib"], "odoo", "addons", "pos_mobilepay")
sys.path.insert(0, addon)
sys.path.append(sys.argv[1])  # pydantic, requests, qrcode: the test virtualenv's
import mobilepay
import mobilepay.v10.provider
from mobilepay.epayment import provider, signature
from mobilepay.epayment.provider_terms import minor_units
from mobilepay.epayment.schemas import Amount

amount = Amount(**minor_units(Decimal("125.50"), "DKK"))
print(json.dumps({
    "core": mobilepay.__file__,
    "addon": addon,
    "amount": amount.model_dump(mode="json"),
    "hash": signature.content_hash(b"{}"),
    "providers": [provider.EPaymentProvider.__name__, mobilepay.v10.provider.__name__],
    "version": importlib.metadata.version("odoo-addon-pos_mobilepay"),
}))
"""


def _addon_files():
    """What a build from a checkout would pack: the files git tracks or would track, else all but NEVER."""
    env = {k: v for k, v in os.environ.items() if k not in GIT_VARIABLES}
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            check=True,
        ).stdout.decode()
        names = [name for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):  # an unpacked archive, no git
        names = [str(p.relative_to(REPO_ROOT)) for p in REPO_ROOT.rglob("*") if p.is_file()]
    return sorted(n for n in names if (REPO_ROOT / n).is_file() and not NEVER & set(Path(n).parts))


def _build_env(stage):
    env = {k: v for k, v in os.environ.items() if k not in GIT_VARIABLES}
    # The copy is no git checkout: git must not find one above it either (whool would list that one's files).
    env.update(GIT_CEILING_DIRECTORIES=str(stage.parent), PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("whool", reason="whool is in requirements-test.txt: tools/test.sh installs it")
    tmp = tmp_path_factory.mktemp("wheel")
    stage = tmp / "src" / ADDON
    for name in _addon_files():
        (stage / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, stage / name)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--wheel-dir",
            str(tmp / "dist"),
            str(stage),
        ],
        cwd=tmp,
        env=_build_env(stage),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, f"pip wheel failed:\n{built.stdout}\n{built.stderr}"
    wheels = list((tmp / "dist").glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _manifest_version():
    return ast.literal_eval((REPO_ROOT / "__manifest__.py").read_text(encoding="utf-8"))["version"]


def test_the_wheel_is_named_for_the_addon_and_its_odoo_series(wheel):
    name, version, tag = wheel.name.split("-", 2)
    assert name == "odoo_addon_pos_mobilepay"
    assert version == _manifest_version() or version.startswith(_manifest_version() + ".")
    assert tag == "py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"{name}-{version}.dist-info/METADATA").decode()
    assert "Name: odoo-addon-pos_mobilepay\n" in metadata
    for requirement in ("odoo==19.0.*", "pydantic>=2.5,<3", "qrcode[pil]>=7.3", "requests>=2.25"):
        assert f"Requires-Dist: {requirement}\n" in metadata
    assert "License: LGPL-3\n" in metadata
    assert "## Installing in an existing Odoo" in metadata  # the README is the long description


def test_the_wheel_holds_what_odoo_loads_and_nothing_of_the_workplace(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = {n[len(PREFIX) :] for n in archive.namelist() if n.startswith(PREFIX)}
        outside = [n for n in archive.namelist() if not n.startswith(PREFIX) and ".dist-info/" not in n]
    assert not outside, outside
    needed = ["__init__.py", "__manifest__.py", "LICENSE", "requirements.txt", "static/description/index.html"]
    for pattern in (
        "views/*.xml",
        "data/*.xml",
        "security/*",
        "i18n/*.po",
        "i18n/*.pot",
        "static/src/**/*.js",
        "static/description/*.png",
        "controllers/*.py",
        "models/*.py",
        "mobilepay/**/*.py",
    ):
        found = [str(p.relative_to(REPO_ROOT)) for p in REPO_ROOT.glob(pattern) if "__pycache__" not in p.parts]
        assert found, pattern
        needed += found
    missing = sorted(set(needed) - names)
    assert not missing, f"not in the wheel: {missing}"
    manifest = ast.literal_eval((REPO_ROOT / "__manifest__.py").read_text(encoding="utf-8"))
    assert set(manifest["data"]) | set(manifest["demo"]) <= names
    stray = sorted(n for n in names if NEVER & set(Path(n).parts) or n.endswith(".pyc") or n == "pyproject.toml")
    assert not stray, f"in the wheel but not the addon's: {stray[:10]}"


def test_the_core_imports_from_the_wheel_in_a_clean_virtualenv(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True, symlinks=os.name != "nt")
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert installed.returncode == 0, f"pip install failed:\n{installed.stdout}\n{installed.stderr}"
    ran = subprocess.run(
        [str(python), "-I", "-c", USE_THE_WHEEL, sysconfig.get_paths()["purelib"]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0, f"the core did not import from the wheel:\n{ran.stderr}"
    seen = json.loads(ran.stdout)
    assert Path(seen["core"]).is_relative_to(env_dir), seen["core"]  # the wheel's, not the checkout's
    assert Path(seen["addon"], "__manifest__.py").is_file()
    assert seen["amount"] == {"currency": "DKK", "value": 12550}
    assert seen["hash"] == "RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o="
    assert seen["providers"] == ["EPaymentProvider", "mobilepay.v10.provider"]
    assert seen["version"].startswith(_manifest_version())
