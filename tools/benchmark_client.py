"""Benchmark: the client's overhead per call, and the emulator's throughput. Prints figures, asserts nothing.

    .venv/bin/python tools/benchmark_client.py [--calls 1000] [--threads 4]

The emulator runs in its own process (so it does not share the benchmark's GIL).
Overhead per call = the client's ``get_pos`` (validation, headers, token cache, error
mapping, pydantic parsing) minus a bare ``requests`` GET of the same URL with the
same headers on the same kind of session. The two are timed in pairs, one right after
the other (alternating which goes first), and the overhead is the median of the
per-pair differences: a busy machine slows both halves of a pair alike, so the figure
keeps its meaning; the spread of the differences says how noisy the run was. Figures
vary with the machine's load (printed with them): compare runs made side by side.
"""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mobilepay.argtypes import whole_number  # noqa: E402
from mobilepay.v10.auth import clear_token_cache  # noqa: E402
from mobilepay.v10.client import ClientConfig, MobilePayPosClient, new_idempotency_key  # noqa: E402
from mobilepay.v10.emulator.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_MERCHANT_VAT  # noqa: E402
from mobilepay.v10.environments import emulator as emulator_endpoints  # noqa: E402


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def start_emulator():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "mobilepay.v10.emulator", "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(base + "/integrator-authentication/.well-known/openid-configuration", timeout=0.5)
            return process, base
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the emulator did not start")


def timed(call, count):
    durations = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        durations.append((time.perf_counter() - start) * 1000)
    return durations


def describe(label, durations):
    print(
        f"{label:<34} median {statistics.median(durations):7.3f} ms   p95 {percentile(durations, 0.95):7.3f} ms"
        f"   (n={len(durations)})"
    )


def paired(first, second, count):
    """Time ``first`` and ``second`` one right after the other, ``count`` times, alternating the order.

    Returns (durations of first, durations of second, per-pair differences second - first), in ms.
    """
    a, b, differences = [], [], []
    for index in range(count):
        if index % 2:
            tb, ta = timed(second, 1)[0], timed(first, 1)[0]
        else:
            ta, tb = timed(first, 1)[0], timed(second, 1)[0]
        a.append(ta)
        b.append(tb)
        differences.append(tb - ta)
    return a, b, differences


MAX_THREADS = 256


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=whole_number(1), default=1000,
                        help="timed calls per measure (and pairs for the overhead); default 1000")
    parser.add_argument("--threads", type=whole_number(1, MAX_THREADS), default=4,
                        help=f"client threads hammering the emulator for its throughput (1 to {MAX_THREADS}; more "
                        "would measure the machine, not the emulator); default 4")
    args = parser.parse_args()

    process, base = start_emulator()
    try:
        clear_token_cache()
        client = MobilePayPosClient(
            ClientConfig(
                endpoints=emulator_endpoints(base),
                client_id=DEMO_CLIENT_ID,
                client_secret=DEMO_CLIENT_SECRET,
                merchant_vat=DEMO_MERCHANT_VAT,
            )
        )
        store_id = client.find_store_id("MPPOSCERT1", "00001")
        pos_id = client.create_pos(
            merchant_pos_id=f"bench-{os.getpid()}",
            store_id=store_id,
            name="Bench",
            idempotency_key=new_idempotency_key(),
        )
        url = f"{client.config.endpoints.api_base}/pointofsales/{pos_id}"
        headers = client._headers(client.get_access_token())
        bare = requests.Session()

        timed(lambda: bare.get(url, headers=headers, timeout=2), 50)  # warm-up
        timed(lambda: client.get_pos(pos_id), 50)
        raw, typed, overhead = paired(
            lambda: bare.get(url, headers=headers, timeout=2).json(), lambda: client.get_pos(pos_id), args.calls
        )

        load = os.getloadavg()
        print(
            f"Client overhead against the emulator ({args.calls} paired calls, one thread; "
            f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores)"
        )
        describe("bare requests GET + json()", raw)
        describe("client.get_pos (typed)", typed)
        q1, q3 = percentile(overhead, 0.25), percentile(overhead, 0.75)
        print(
            f"{'overhead per call (paired)':<34} median {statistics.median(overhead):7.3f} ms"
            f"   spread: middle half {q1:.3f} to {q3:.3f} ms, p95 {percentile(overhead, 0.95):.3f} ms"
        )
        negative = sum(1 for d in overhead if d < 0) / len(overhead)
        print(
            f"  noise: {negative:.0%} of the pairs came out negative (the call-to-call jitter of this machine "
            "against the overhead); the median of many pairs is the figure to compare"
        )

        def cycle():
            payment_id = client.initiate_payment(
                pos_id=pos_id, order_id="bench", amount="10.00", currency_code="DKK",
                idempotency_key=new_idempotency_key(),
            )
            client.cancel_payment(payment_id)

        describe("initiate + cancel payment (2 calls)", timed(cycle, max(args.calls // 10, 1)))

        per_thread = max(args.calls * 2 // args.threads, 1)
        errors = []

        def hammer():
            session = requests.Session()
            for _ in range(per_thread):
                if session.get(url, headers=headers, timeout=5).status_code != 200:
                    errors.append(1)

        workers = [threading.Thread(target=hammer) for _ in range(args.threads)]
        start = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - start
        total = per_thread * args.threads
        print(
            f"Emulator throughput: {total / elapsed:,.0f} GET requests/s "
            f"({total} requests, {args.threads} client threads, {len(errors)} errors, {os.cpu_count()} cores)"
        )
    finally:
        process.terminate()
        process.wait(timeout=5)


if __name__ == "__main__":
    main()
