"""The core demo and the tools: bad arguments get a clear message before anything happens."""

import subprocess
import sys
from pathlib import Path

import pytest

from mobilepay.v10 import walkthrough

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


def _without_odoo():
    """This environment with no Odoo to find: ODOO_BIN unset, PATH without odoo / odoo-bin."""
    import os
    import shutil

    env = {key: value for key, value in os.environ.items() if key not in ("EMULATOR_PORT", "ODOO_BIN")}
    env["PATH"] = os.pathsep.join(
        folder
        for folder in env.get("PATH", "").split(os.pathsep)
        if not any(shutil.which(name, path=folder) for name in ("odoo", "odoo-bin"))
    )
    return env


def test_an_odoo_bin_that_is_not_a_working_odoo_is_an_error_not_a_skip(tmp_path):
    """ODOO_BIN named but broken (or another series): both commands stop at once and say why."""
    other = tmp_path / "odoo"
    other.write_text("#!/bin/sh\necho 'Odoo Server 17.0'\n")
    other.chmod(0o755)
    cases = {"/bin/false": "--version failed", str(tmp_path / "missing"): "does not exist", str(other): "17.0"}
    for odoo_bin, reason in cases.items():
        for script in ("tools/test.sh", "tools/run.sh"):
            env = _without_odoo()
            env["ODOO_BIN"] = odoo_bin
            run = subprocess.run(["bash", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                                 timeout=60)
            said = run.stdout + run.stderr
            assert run.returncode != 0, (script, odoo_bin, said)
            assert "is not a working Odoo 19.0" in said and reason in said, (script, odoo_bin, said)
            assert "== core" not in said and "emulator" not in said.lower(), (script, odoo_bin, said)


def _run_sh(env_extra, until, timeout=180):
    """Run tools/run.sh without Odoo until ``until`` shows in its output (or it ends).

    Returns (exit code or None while still running, output).
    """
    import os
    import queue
    import signal
    import threading
    import time

    env = _without_odoo()
    env.update(**env_extra)
    process = subprocess.Popen(["bash", "tools/run.sh"], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines = queue.Queue()

    def read():  # a thread of its own: the lines come while we watch the clock
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    output = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                if process.poll() is not None and lines.empty():
                    return process.returncode, "".join(output)
                continue
            output.append(line)
            if until in line:
                return None, "".join(output)
        return process.poll(), "".join(output)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)


def test_run_sh_stops_cleanly_when_its_port_is_taken():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code, output = _run_sh({"EMULATOR_PORT": str(taken.getsockname()[1])}, until="Press Ctrl-C")
    assert code == 1, output
    assert "is taken by another program" in output
    assert "Traceback" not in output


@pytest.mark.parametrize("variable", ["EMULATOR_PORT", "EPAYMENT_EMULATOR_PORT"])
@pytest.mark.parametrize("value", ["abc", "-1", "70000", "0", " 18801"])
def test_run_sh_refuses_a_port_that_is_not_one_before_starting_anything(variable, value):
    env = _without_odoo()
    env[variable] = value
    run = subprocess.run(["bash", "tools/run.sh"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr == f"{variable} must be a number from 1 to 65535 (got '{value}').\n"
    assert not run.stdout


def test_run_sh_finds_a_taken_epayment_port_before_the_v10_demo():
    import socket

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        free_port = free.getsockname()[1]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        taken_port = taken.getsockname()[1]
        code, output = _run_sh({"EMULATOR_PORT": str(free_port), "EPAYMENT_EMULATOR_PORT": str(taken_port)},
                               until="Press Ctrl-C")
    assert code == 1, output
    assert f"Port {taken_port} (EPAYMENT_EMULATOR_PORT) is taken by another program" in output
    assert "MobilePay PoS v10 emulator" not in output and "== MobilePay PoS API v10" not in output, output
    assert "Traceback" not in output


def test_run_sh_moves_off_a_taken_default_port_and_runs_the_demo():
    import socket

    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 8765))
        holder.listen()
    except OSError:
        holder.close()
        holder = None  # someone else holds 8765 already: the same situation
    try:
        code, output = _run_sh({}, until="The v10 emulator keeps running at")
    finally:
        if holder:
            holder.close()
    assert code is None, output  # still running, serving the emulators: both demos went through
    assert "Port 8765 is taken by another program: the emulator uses port" in output
    assert "refunded 25.00 DKK -> refund Captured" in output  # the v10 walk
    assert "refunded 25.00 DKK at once -> REFUNDED" in output  # the ePayment walk
    assert "Traceback" not in output


def test_an_old_python_is_named_at_once_not_left_to_hang_in_pip(tmp_path):
    """tools/test.sh and tools/run.sh with a Python older than 3.10: one line saying which Python is needed."""
    import shutil

    (tmp_path / "tools").mkdir()
    for name in ("test.sh", "run.sh", "odoo_env.sh", "python_env.sh"):
        shutil.copy(REPO_ROOT / "tools" / name, tmp_path / "tools" / name)
    for name in ("__manifest__.py", "requirements.txt", "requirements-test.txt"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    old = tmp_path / "python3.8"  # answers like Python 3.8 would to the version check
    old.write_text('#!/bin/sh\nif [ "$1" = "--version" ]; then echo "Python 3.8.18"; exit 0; fi\nexit 1\n')
    old.chmod(0o755)
    for script in ("tools/test.sh", "tools/run.sh"):
        env = _without_odoo()
        env["PYTHON"] = str(old)
        run = subprocess.run(["bash", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        said = run.stdout + run.stderr
        assert run.returncode == 2, (script, said)
        assert "needs Python 3.10 or newer" in said and "Python 3.8.18" in said, (script, said)
        assert not (tmp_path / ".venv").exists()


def test_benchmark_client_refuses_more_threads_than_it_can_measure():
    run = subprocess.run([sys.executable, "tools/benchmark_client.py", "--threads", "100000"],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=30)
    assert run.returncode == 2
    assert "--threads: must be at most 256 (got 100000)" in run.stderr
    assert "Traceback" not in run.stderr
