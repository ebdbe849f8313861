"""The command lines' edges: a value that makes no sense is a one-line usage error (exit 2, no traceback),
Ctrl-C in a walkthrough cancels the payment it started, and a broken chunked body is a clean 400."""

import queue
import signal
import socket
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from mobilepay import walkthrough_steps
from mobilepay.epayment import walkthrough as epayment_walkthrough
from mobilepay.epayment.emulator import __main__ as epayment_emulator_cli
from mobilepay.provider import PaymentState
from mobilepay.v10 import walkthrough
from mobilepay.v10.emulator import __main__ as emulator_cli

REPO_ROOT = Path(__file__).resolve().parents[2]


def _usage_error(main, argv, capsys):
    """The one line ``main(argv)`` refuses ``argv`` with (after argparse's usage lines); exit status 2."""
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


# ---------------------------------------------------------------------------------------------- values


@pytest.mark.parametrize("flag", ["--client-id", "--client-secret"])
def test_the_emulator_refuses_empty_demo_credentials(flag, capsys):
    line = _usage_error(emulator_cli.main, [flag, "", "--port", "0"], capsys)
    assert line.endswith(f"argument {flag}: must not be empty")


@pytest.mark.parametrize("cli", [walkthrough, epayment_walkthrough])
@pytest.mark.parametrize("amount", ["nan", "inf", "-inf", "snan", "1e9", "99999999999", "650000.01", "1e99999"])
def test_the_walkthroughs_refuse_amounts_that_are_not_finite_or_above_the_limit(cli, amount, capsys):
    # "=": argparse takes "-inf" alone for an option.
    line = _usage_error(cli.main, ["--emulator", "http://127.0.0.1:9", f"--amount={amount}"], capsys)
    assert line.endswith(f"argument --amount: must be a finite number of DKK from 0.05 to 650000.00 (got {amount})")


def test_the_walkthroughs_take_amounts_up_to_the_epayment_limit():
    parse = walkthrough_steps.amount_type("DKK")
    assert parse("650000.00") == Decimal("650000.00")  # 65 000 000 minor units, ePayment API.md 6.1
    assert parse("0.05") == Decimal("0.05")
    assert walkthrough_steps.MAX_AMOUNT == Decimal("650000")


@pytest.mark.parametrize("cli", [walkthrough, epayment_walkthrough])
@pytest.mark.parametrize("url", ["notaurl", "ftp://x", "", "http://", "http://127.0.0.1:99999"])
def test_the_walkthroughs_need_an_http_emulator_url(cli, url, capsys):
    line = _usage_error(cli.main, ["--emulator", url], capsys)
    assert line.endswith(f"argument --emulator: needs an http(s) URL such as http://127.0.0.1:8765 (got {url!r})")


URL_WORDS = "needs an http(s) URL such as http://127.0.0.1:8765 (got 'notaurl')"


@pytest.mark.parametrize(
    ("cli", "flag", "value", "words"),
    [
        (emulator_cli, "--token-expires-in", "0", "must be at least 1 (got 0)"),
        (emulator_cli, "--checkin-ttl", "-3", "cannot be negative (got -3)"),
        (emulator_cli, "--inactivity-timeout", "-1", "cannot be negative (got -1)"),
        (emulator_cli, "--refund-window-days", "-1", "cannot be negative (got -1)"),
        (emulator_cli, "--loyalty-lookup-delay", "-1", "cannot be negative (got -1)"),
        (emulator_cli, "--callback", "x=notaurl", URL_WORDS),
        (epayment_emulator_cli, "--payment-expiry", "-1", "must be a positive number of seconds (got -1)"),
        (epayment_emulator_cli, "--webhook-timeout", "0", "must be a positive number of seconds (got 0)"),
        (epayment_emulator_cli, "--webhook-timeout", "-1", "must be a positive number of seconds (got -1)"),
        (epayment_emulator_cli, "--token-expires-in", "0", "must be at least 1 (got 0)"),
        (epayment_emulator_cli, "--public-url", "notaurl", URL_WORDS),
    ],
)
def test_the_emulators_refuse_nonsense(cli, flag, value, words, capsys):
    line = _usage_error(cli.main, [f"{flag}={value}", "--port", "0"], capsys)  # "=": "-1" is no option
    assert line.endswith(f"argument {flag}: {words}")


def test_the_v10_emulator_still_takes_a_negative_refund_reservation_delay():
    args = emulator_cli.build_parser().parse_args(["--refund-reservation-delay", "-1"])
    assert emulator_cli.settings_from(args).refund_reservation_delay_s is None  # only by a test control


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["mobilepay.v10.emulator", "--client-id", ""], "argument --client-id: must not be empty"),
        (["mobilepay.epayment.emulator", "--webhook-timeout", "0"], "argument --webhook-timeout: must be a positive"),
        (["mobilepay.v10.walkthrough", "--emulator", "notaurl"], "argument --emulator: needs an http(s) URL"),
        (["mobilepay.epayment.walkthrough", "--amount", "nan"], "argument --amount: must be a finite number of DKK"),
        (["mobilepay.epayment.walkthrough", "--amount", "-inf"], "argument --amount: expected one argument"),
    ],
)
def test_python_dash_m_says_it_in_one_line(argv, words):
    run = subprocess.run([sys.executable, "-m", *argv, "--port" if "emulator" in argv[0] else "--timeout", "1"],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert words in run.stderr.strip().splitlines()[-1]
    assert not run.stdout  # nothing started


# ---------------------------------------------------------------------------------------------- Ctrl-C


def _default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a child of a shell's background job would ignore it


def _interrupt_when_waiting(module, base_url):
    """Run the walkthrough ``module`` interactively, Ctrl-C it once its payment waits for the customer;
    (exit status, stdout, stderr)."""
    process = subprocess.Popen([sys.executable, "-m", module, "--emulator", base_url, "--timeout", "60"],
                               cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=_default_sigint)
    lines = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True)
    reader.start()
    out = []
    try:
        while not out or "waiting for the customer to scan the QR code" not in out[-1]:
            try:
                out.append(lines.get(timeout=60))
            except queue.Empty:
                pytest.fail("the walkthrough never waited for the customer:\n" + "".join(out))
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
        reader.join(timeout=10)
        while not lines.empty():
            out.append(lines.get())
        return code, "".join(out), process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()


@pytest.mark.parametrize(
    ("module", "fixture", "id_key", "status_key", "cancelled"),
    [
        ("mobilepay.v10.walkthrough", "emulator", "paymentId", "status", ("CancelledByClient",)),
        ("mobilepay.epayment.walkthrough", "epayment_emulator", "reference", "state", ("ABORTED", "TERMINATED")),
    ],
)
def test_ctrl_c_in_a_walkthrough_cancels_its_payment(module, fixture, id_key, status_key, cancelled, request):
    emu = request.getfixturevalue(fixture)
    code, out, err = _interrupt_when_waiting(module, emu.base_url)
    (payment,) = emu.dump_state()["payments"]
    assert code == 130, (out, err)
    assert "Traceback" not in out + err
    assert err.strip() == f"Stopped: payment {payment[id_key]} cancelled."
    assert payment[status_key] in cancelled


def test_ctrl_c_before_a_payment_started_cancels_nothing(capsys):
    def walk(args, started):
        raise KeyboardInterrupt

    assert walkthrough_steps.run(walk, None, "hint", walkthrough.WORDS) == 130
    assert capsys.readouterr().err == "Stopped before a payment was started.\n"


def test_ctrl_c_after_the_payment_ended_cancels_nothing(capsys):
    class Ended:
        def get_payment(self, payment_id):
            return SimpleNamespace(state=PaymentState.CAPTURED)

        def cancel_payment(self, payment_id):
            raise AssertionError("a paid payment is not cancelled")

    def walk(args, started):
        started.note(Ended(), "p-1")
        raise KeyboardInterrupt

    assert walkthrough_steps.run(walk, None, "hint", walkthrough.WORDS) == 130
    assert capsys.readouterr().err == "Stopped: payment p-1 was already paid; nothing to cancel.\n"


# ---------------------------------------------------------------------------------------------- chunked bodies


def _post_raw(base_url, path, chunked_body):
    host, port = base_url.rsplit("/", 1)[-1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                     f"Transfer-Encoding: chunked\r\n\r\n".encode() + chunked_body)
        answer = b""
        while part := conn.recv(65536):
            answer += part
    head, _, body = answer.decode("utf-8").partition("\r\n\r\n")
    return head, body


def test_the_v10_emulator_answers_a_broken_chunked_body_with_400(emulator):
    head, body = _post_raw(emulator.base_url, "/pos/v10/payments", b"ZZZ\r\n{}\r\n0\r\n\r\n")
    assert head.startswith("HTTP/1.1 400"), head
    assert "application/json" in head and "Traceback" not in body
    assert '"code": "1099"' in body and "not valid chunked encoding" in body
    assert ("POST", "/pos/v10/payments", 400) in emulator.requests_log


def test_the_epayment_emulator_answers_a_broken_chunked_body_with_400(epayment_emulator):
    head, body = _post_raw(epayment_emulator.base_url, "/epayment/v1/payments", b"ZZZ\r\n{}\r\n0\r\n\r\n")
    assert head.startswith("HTTP/1.1 400"), head
    assert "application/problem+json" in head and "Traceback" not in body
    assert '"status": 400' in body and "not valid chunked encoding" in body
