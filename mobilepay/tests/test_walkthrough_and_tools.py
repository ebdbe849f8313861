"""The core demo and the tools: bad arguments get a clear message before anything happens."""

import subprocess
import sys
from pathlib import Path

import pytest

from mobilepay import walkthrough

REPO_ROOT = Path(__file__).resolve().parents[2]


def _walkthrough_poses(emulator):
    return [p for p in emulator.dump_state()["pointOfSales"] if p["merchantPosId"] == "walkthrough-register-1"]


@pytest.mark.parametrize("amount", ["-5", "10.005", "abc", "0", "0.01", "1e30", "nan"])
def test_walkthrough_refuses_bad_amounts_before_registering(emulator, capsys, amount):
    with pytest.raises(SystemExit) as caught:
        walkthrough.main(["--emulator", emulator.base_url, "--auto", "--amount", amount])
    assert caught.value.code == 2
    assert "--amount" in capsys.readouterr().err
    assert not _walkthrough_poses(emulator), "nothing was registered"


def test_walkthrough_pays_and_refunds_the_smallest_amount(emulator, capsys):
    assert walkthrough.main(["--emulator", emulator.base_url, "--auto", "--amount", "0.05"]) == 0
    out = capsys.readouterr().out
    assert "captured 0.05 DKK" in out
    assert "refunded 0.01 DKK" in out


def test_walkthrough_says_when_the_emulator_is_not_there(capsys):
    code = walkthrough.main(["--emulator", "http://127.0.0.1:9", "--auto"])
    out = capsys.readouterr().out
    assert code == 1
    assert "Is the emulator running at http://127.0.0.1:9?" in out
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("args", "words"),
    [(["--calls", "0"], "--calls"), (["--threads", "0"], "--threads"), (["--calls", "x"], "--calls")],
)
def test_benchmark_client_refuses_bad_counts(args, words):
    run = subprocess.run([sys.executable, "tools/benchmark_client.py", *args], cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 2
    assert words in run.stderr and "Traceback" not in run.stderr


def test_benchmark_client_explains_its_options():
    run = subprocess.run([sys.executable, "tools/benchmark_client.py", "--help"], cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0
    for option in ("--calls", "--threads"):
        line = next(line for line in run.stdout.splitlines() if line.strip().startswith(option))
        assert len(line.split(None, 2)) == 3, f"{option} has no description: {line!r}"


def test_benchmark_client_measures_the_overhead_paired():
    run = subprocess.run([sys.executable, "tools/benchmark_client.py", "--calls", "40", "--threads", "2"],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "paired" in run.stdout
    assert "spread" in run.stdout
    assert "load average" in run.stdout
