#!/usr/bin/env python3
"""Load benchmark: many registers taking MobilePay payments on one Odoo at once, as a chain store would.

A real Odoo 19.0 server (``--workers=2 --max-cron-threads=1`` by default) and the MobilePay
emulator, with a MobilePay round trip drawn from a range for every call (80-150 ms by
default) and pollDelayInMs 1000. Each register is driven over JSON-RPC as the POS drives it
and listens on the bus (websocket) as the POS does; its customers approve 1-3 s after the
QR appears. For one register and then for N registers in the same run it prints p50, p95
and max of accept -> captured (at MobilePay) and accept -> the POS's bus push of the paid
state, failures, early polls, MobilePay calls per payment and the ratio of the p95s; then,
optionally, the same with two Odoo servers on one database and 2N registers, and with Odoo
in threaded mode (``--workers=0``). Prints figures; asserts nothing.

Usage (with Odoo's Python, like the latency benchmark):

    <odoo's python> tools/benchmark_load.py --db mpos_load --template mpos_base \\
        --registers 100 --payments 3 [--two-servers] [--threaded]

--template copies an existing database that has point_of_sale (demo data, admin/admin);
without it --db must exist already. The database is modified; use a scratch one. Figures
vary with the machine's load (printed with them): compare the phases of one run.
"""

import argparse
import collections
import datetime
import os
import random
import re
import shlex
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from money_ledger import money_invariants, query, settle  # noqa: E402
from odoo_harness import (  # noqa: E402
    JsonRpc,
    OdooSetup,
    RpcError,
    StatePushListener,
    add_odoo_arguments,
    addons_path,
    call_until_answered,
    ordinary_amount,
    ui_order,
)

from mobilepay.v10.emulator import Emulator, EmulatorSettings  # noqa: E402
from mobilepay.v10.emulator.api_errors import ControlError  # noqa: E402

try:
    import websocket  # noqa: F401 - websocket-client (the bus listener), as Odoo's tours use: said at start
except ImportError:  # pragma: no cover
    sys.exit("websocket-client is needed: run this with Odoo's Python")

METHOD = "pos.payment.method"
PUSH_GRACE_S = 3.0  # the POS asks the server itself when no push came for this long
# Errors of a server out of database connections: the cashier tries again.


def cpu_seconds():
    """CPU seconds used so far, by who: this load generator (with the emulator), Odoo, PostgreSQL."""
    import psutil  # one of Odoo's own requirements

    used = collections.Counter()
    for process in psutil.process_iter(["pid", "name", "cmdline", "cpu_times"]):
        times = process.info["cpu_times"]
        if times is None:
            continue
        line = " ".join(process.info["cmdline"] or [])
        if process.info["pid"] == os.getpid():
            who = "load generator and emulator"
        elif "postgres" in (process.info["name"] or ""):
            who = "PostgreSQL"
        elif "odoo" in line and " shell " not in line:
            who = "Odoo"
        else:
            continue
        used[who] += times.user + times.system
    return used


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[max(0, int(round(fraction * len(ordered))) - 1)] if ordered else float("nan")


class BusListener(StatePushListener):
    """The bus as one POS register hears it: when each (reference, state) was first pushed."""

    def __init__(self, url, origin, cookie, channel):
        self.heard_at = {}  # (reference, state) -> time first heard
        super().__init__(url, origin, cookie, channel)

    def heard(self, payload, when):
        self.heard_at.setdefault((payload.get("reference"), payload.get("state")), when)

    def wait(self, reference, state, timeout):
        deadline = time.monotonic() + timeout
        with self.event:
            while (reference, state) not in self.heard_at:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.event.wait(remaining)
            return self.heard_at[(reference, state)]


class Register:
    """One till: its customers pay one after the other."""

    def __init__(self, bench, register, server, seed):
        self.bench = bench
        self.register = register
        self.server = server
        self.rng = random.Random(seed)
        self.rpc = JsonRpc(server.base_url, bench.args.db)
        self.rpc.authenticate()
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.rpc.cookies)
        self.bus = BusListener(server.websocket_url, server.websocket_origin, cookie, register["access_token"])
        self.results = []
        # A customer of its own: a test user checked in at one till at a time.
        self.phone = f"+4561{seed % 1000000:06d}"
        bench.emulator.add_test_user(self.phone)

    def call(self, method, payload, model=METHOD, deadline_s=120):
        """As the POS and its cashier do: a lost answer or a busy server (pool full) means trying again."""
        args = [[self.bench.method_id], payload] if model == METHOD else [payload]
        return call_until_answered(self.rpc, model, method, args, self.bench.count, deadline_s)

    def pay(self):
        line_uuid = str(uuid.uuid4())
        amount = ordinary_amount(self.rng)
        ask = {"pos_session_id": self.register["session"]}
        started = time.time()
        answer = self.call("mobilepay_start_payment", {**ask, "line_uuid": line_uuid, "order_uuid": str(uuid.uuid4()),
                                                       "order_name": "Load", "amount": amount})
        self.bench.start_latencies.append((time.time() - started) * 1000)
        reference, beacon = answer["reference"], answer["beacon_id"]
        time.sleep(self.rng.uniform(1.0, 3.0))  # the customer opens the app and scans
        emulator = self.bench.emulator
        for _ in range(40):
            try:
                emulator.user_checkin(beacon, self.phone)
                accepted = time.time()
                emulator.user_accept_payment(beacon, self.phone)
                break
            except ControlError:
                time.sleep(0.25)
        else:
            self.results.append({"failed": "the customer found no payment to approve"})
            return
        # Follow it as the POS does: the bus push, or the status call when no push came for a while.
        pushed = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            pushed = self.bus.wait(reference, "captured", PUSH_GRACE_S)
            if pushed:
                break
            status = self.call("mobilepay_payment_status", {**ask, "reference": reference})
            self.bench.count("status calls")
            if status["is_final"]:
                if status["paid"]:
                    pushed = self.bus.wait(reference, "captured", 0.5)
                break
        if not pushed:
            # As the POS: the bus said nothing conclusive, so it asks (the push carries the paid state).
            status = self.call("mobilepay_payment_status", {**ask, "reference": reference})
            if not status["paid"]:
                self.results.append({"failed": f"ended {status['state']}"})
                return
        order = ui_order(self.register, self.bench.user_id, self.bench.product_id, self.bench.method_id,
                         str(uuid.uuid4()), [(line_uuid, amount)])
        try:
            self.call("sync_from_ui", [order], model="pos.order")
        except RpcError as error:
            self.results.append({"failed": f"order refused: {error.message[:80]}"})
            return
        self.results.append({"reference": reference, "accepted": accepted, "pushed": pushed})

    def run(self, payments):
        for _ in range(payments):
            try:
                self.pay()
            except Exception as error:  # noqa: BLE001 - a failure is a figure
                self.results.append({"failed": f"{type(error).__name__}: {error}"})


class Bench:
    def __init__(self, args):
        self.args = args
        self.counts = collections.Counter()
        self.lock = threading.Lock()
        self.start_latencies = []

    def count(self, key, n=1):
        with self.lock:
            self.counts[key] += n

    def captured_at(self):
        """paymentId -> when MobilePay captured it (epoch seconds), from the emulator's history."""
        moments = {}
        for payment in self.emulator.dump_state()["payments"]:
            for step in payment["history"]:
                if step["rule"] == "P9":
                    at = datetime.datetime.fromisoformat(step["at"])
                    if at.tzinfo is None:
                        at = at.replace(tzinfo=datetime.timezone.utc)
                    moments[payment["paymentId"]] = at.timestamp()
        return moments

    def phase(self, label, registers, servers, payments=None):
        """All ``registers`` pay ``payments`` (``--payments``) times at once, spread over ``servers``; prints
        the figures."""
        emulator = self.emulator
        requests_before = len(emulator.requests_log)
        early_before = emulator.early_polls
        self.start_latencies = []
        self.counts.clear()
        load_before = os.getloadavg()[0]
        cpu_before = cpu_seconds()
        tills = [Register(self, register, servers[i % len(servers)], self.args.seed * 1000 + i)
                 for i, register in enumerate(registers)]
        time.sleep(1.0)  # the websockets subscribe
        threads = [threading.Thread(target=till.run, args=(payments or self.args.payments,)) for till in tills]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        cpu = cpu_seconds()
        cpu.subtract(cpu_before)
        for till in tills:
            till.bus.stop()
        captured = self.captured_at()
        payment_ids = dict(query(self.setup, "SELECT reference, provider_payment_id FROM pos_mobilepay_transaction"))
        results = [r for till in tills for r in till.results]
        for result in results:
            if "reference" in result:
                result["payment_id"] = payment_ids.get(result["reference"])
        done = [r for r in results if "payment_id" in r]
        failures = [r["failed"] for r in results if "failed" in r]
        to_capture = [(captured[r["payment_id"]] - r["accepted"]) * 1000 for r in done if r["payment_id"] in captured]
        to_push = [(r["pushed"] - r["accepted"]) * 1000 for r in done if r["pushed"]]
        kinds = collections.Counter(
            f"{entry[0]} {re.sub(r'/[0-9a-f-]{16,}', '/{id}', entry[1].split('?')[0])}"
            for entry in emulator.requests_log[requests_before:]
            if entry[1].startswith(("/pos/v10/", "/integrator-authentication/connect/token"))
        )
        calls = sum(kinds.values())
        figures = {
            "label": label,
            "payments": len(results),
            "failures": len(failures),
            "captured p50": statistics.median(to_capture) if to_capture else float("nan"),
            "captured p95": percentile(to_capture, 0.95),
            "captured max": max(to_capture, default=float("nan")),
            "push p50": statistics.median(to_push) if to_push else float("nan"),
            "push p95": percentile(to_push, 0.95),
            "push max": max(to_push, default=float("nan")),
            "pushes missed": len(done) - len(to_push),
            "early polls": emulator.early_polls - early_before,
            "calls per payment": calls / max(len(results), 1),
            "start p95": percentile(self.start_latencies, 0.95),
            "status calls": self.counts["status calls"],
            "elapsed": elapsed,
            "load": (load_before, os.getloadavg()[0]),
        }
        print(
            f"\n{label}: {len(results)} payments in {elapsed:.0f} s (load average {load_before:.2f} -> "
            f"{figures['load'][1]:.2f})\n"
            f"  accept -> captured  p50 {figures['captured p50']:7.0f} ms  p95 {figures['captured p95']:7.0f} ms"
            f"  max {figures['captured max']:7.0f} ms\n"
            f"  accept -> POS push  p50 {figures['push p50']:7.0f} ms  p95 {figures['push p95']:7.0f} ms"
            f"  max {figures['push max']:7.0f} ms  ({figures['pushes missed']} paid without a push)\n"
            f"  failures {len(failures)}, early polls {figures['early polls']}, MobilePay calls per payment "
            f"{figures['calls per payment']:.2f}, start RPC p95 {figures['start p95']:.0f} ms, "
            f"status calls {figures['status calls']}",
            flush=True,
        )
        print(f"  CPU used in the phase ({os.cpu_count()} cores x {elapsed:.0f} s = {os.cpu_count() * elapsed:.0f} s): "
              + ", ".join(f"{who} {seconds:.0f} s" for who, seconds in cpu.most_common()), flush=True)
        print("  MobilePay calls per payment by kind: " + ", ".join(
            f"{kind} {count / max(len(results), 1):.2f}" for kind, count in kinds.most_common()), flush=True)
        for reason, count in collections.Counter(failures).most_common(5):
            print(f"    failure: {reason} ({count})")
        if self.counts["server busy, tried again"] or self.counts["rpc answers lost"]:
            print(f"  server busy (tried again) {self.counts['server busy, tried again']}, "
                  f"answers lost {self.counts['rpc answers lost']}")
        settle(self.setup)
        money, _extra = money_invariants(emulator, self.setup)
        figures["lost or stuck"] = sum(money.values())
        print("  money after the crons settled: " + ", ".join(f"{k} {v}" for k, v in money.items()), flush=True)
        return figures

    def main(self):
        args = self.args
        work = tempfile.mkdtemp(prefix="mp_load_")
        settings = EmulatorSettings(payment_poll_delay_ms=args.poll_delay_ms)
        self.emulator = Emulator(settings).start()
        low, high = args.round_trip_ms
        self.emulator.faults.add(method=None, path="/pos/v10/*", kind="latency", latency_ms=low,
                                 latency_max_ms=high, times=None)
        self.emulator.faults.add(method=None, path="/integrator-authentication/connect/token", kind="latency",
                                 latency_ms=low, latency_max_ms=high, times=None)
        db_args = shlex.split(args.db_args)
        if not any(a.startswith("--db_maxconn=") for a in db_args):
            # Two servers' processes must stay within PostgreSQL's 100 connections (its default).
            db_args.append(f"--db_maxconn={args.db_maxconn}")
        setup = self.setup = OdooSetup(args.odoo_bin, args.db, db_args, addons_path(work, args.addons_path))
        servers = []
        planned = [setup.server(os.path.join(work, f"odoo{index}.log"), workers=workers, cron_threads=1)
                   for index, workers in ((1, args.workers), (2, args.workers))]
        # Threaded mode runs alone: Odoo's own default pool (64) unless told otherwise.
        planned.append(setup.server(os.path.join(work, "odoo3.log"), workers=0, cron_threads=1,
                                    extra=[f"--db_maxconn={args.threaded_db_maxconn}"]))
        try:
            setup.create(args.template)
            total = args.registers * (2 if args.two_servers else 1) + 1
            params = {"pos_mobilepay.emulator_url": self.emulator.base_url}
            method_values = {}
            if args.callbacks:
                # Check-in notifications: the emulator calls the first server's notification URL.
                params.update({"web.base.url": planned[0].base_url, "web.base.url.freeze": "True"})
                method_values["mobilepay_callback_alias"] = "load-bench"
            data = setup.registers(total, params, method_values)
            self.method_id, self.product_id, self.user_id = data["method"], data["product"], data["user"]
            registers = data["registers"]
            print(f"{os.cpu_count()} cores; MobilePay round trip {low}-{high} ms, pollDelayInMs {args.poll_delay_ms}, "
                  f"{args.payments} payments per register, customers approve 1-3 s after the QR; "
                  f"check-in notifications {'on' if args.callbacks else 'off'}; --db_maxconn={setup.pool_size()}",
                  flush=True)

            def start(workers, index):
                server = planned[index - 1]
                server.start()
                if server.gevent_broken():
                    print("WARNING: the websocket (gevent) process died at start: no bus pushes in this run")
                port = server.gevent_port if workers else server.port
                server.websocket_url = f"ws://127.0.0.1:{port}/websocket"
                server.websocket_origin = f"http://127.0.0.1:{port}"
                servers.append(server)
                return server

            first = start(args.workers, 1)
            print(f"Odoo --workers={args.workers} --max-cron-threads=1", flush=True)
            one = self.phase("1 register", registers[:1], [first], payments=args.baseline_payments)
            many = self.phase(f"{args.registers} registers", registers[1 : args.registers + 1], [first])
            print(f"\n  ratio p95 accept -> captured, {args.registers} registers / 1 register: "
                  f"{many['captured p95'] / one['captured p95']:.2f}")
            if args.two_servers:
                second = start(args.workers, 2)
                both = self.phase(f"{2 * args.registers} registers on 2 Odoo servers", registers[1:], [first, second])
                print(f"\n  ratio p95 accept -> captured, 2 servers / 1 register: "
                      f"{both['captured p95'] / one['captured p95']:.2f}")
                second.stop()
            first.stop()
            if args.threaded:
                threaded = start(0, 3)
                print(f"\nOdoo --workers=0 (threaded) --max-cron-threads=1 --db_maxconn={args.threaded_db_maxconn}",
                      flush=True)
                result = self.phase(f"{args.registers} registers, threaded", registers[1 : args.registers + 1],
                                    [threaded])
                print(f"\n  threaded mode: {result['lost or stuck']} payments lost or stuck, {result['failures']} "
                      f"sales not completed, of {result['payments']}")
        finally:
            for server in servers:
                server.stop()
            self.emulator.stop()
            if args.keep:
                print(f"kept: {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)


def main():
    from mobilepay.argtypes import whole_number

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_odoo_arguments(parser)
    parser.add_argument("--registers", type=whole_number(1), default=100, help="registers at once (default 100)")
    parser.add_argument("--payments", type=whole_number(1), default=3, help="payments per register (default 3)")
    parser.add_argument("--baseline-payments", type=whole_number(1), default=10,
                        help="payments of the 1-register phase, one after the other (default 10)")
    parser.add_argument("--workers", type=whole_number(1), default=2, help="Odoo HTTP workers (default 2)")
    parser.add_argument("--poll-delay-ms", type=whole_number(), default=1000, help="the emulator's pollDelayInMs")
    parser.add_argument("--round-trip-ms", type=whole_number(), nargs=2, default=(80, 150), metavar=("LOW", "HIGH"),
                        help="MobilePay's round trip for every call, drawn from this range (default 80 150)")
    parser.add_argument("--no-callbacks", dest="callbacks", action="store_false",
                        help="no check-in notifications: payments are polled at pollDelayInMs all along")
    parser.add_argument("--db-maxconn", type=whole_number(4), default=24,
                        help="Odoo's connection pool per process (default 24: two servers fit PostgreSQL's 100)")
    parser.add_argument("--threaded-db-maxconn", type=whole_number(4), default=64,
                        help="the pool of the threaded server (default 64, Odoo's default)")
    parser.add_argument("--two-servers", action="store_true", help="also: 2 Odoo servers, 2N registers")
    parser.add_argument("--threaded", action="store_true", help="also: Odoo in threaded mode (--workers=0)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (Odoo logs)")
    args = parser.parse_args()
    if args.round_trip_ms[0] > args.round_trip_ms[1]:
        parser.error("--round-trip-ms: LOW must not be above HIGH")
    Bench(args).main()


if __name__ == "__main__":
    main()
