#!/usr/bin/env python3
"""The benchmark a shop would run: N registers, customers arriving at random (Poisson, open loop), in
phases at rising rates; each phase paid in cash first (Odoo's own order sync: the server's capacity
without us), then by MobilePay with each API asked. Prints figures; asserts nothing.

A real Odoo 19.0 server (``--workers=2 --max-cron-threads=1``) and both emulators, with a MobilePay
round trip drawn from a range for every call (80-150 ms by default). Every register has its own cash
method, the v10 method (PoS API v10, pollDelayInMs 1000, check-in callbacks to the server unless
--no-v10-callbacks) and the ePayment method (QR on screen). The APIs:

  v10                  the retired PoS API v10
  epayment-webhooks    ePayment, the emulator delivering its signed webhooks to Odoo
  epayment             ePayment without webhooks (none registered, at the emulator or on the Odoo method)

A register serves its customers one after the other (a v10 PoS takes one payment at a time, and so
does a cashier); they arrive at times drawn in advance, so a slow payment makes a queue, never a
later arrival. A MobilePay sale: the start RPC as the POS sends it; the customer approves at the
emulator 1-3 s later; the register follows the payment as the POS does (bus pushes; a status call
after a final push that is not paid, or when no push came for 3 s); the order is synced in the background. A cash sale
is the order sync alone. Customers arrive during --phase-seconds; a sale not begun, or not synced,
by the phase's end + --drain-seconds counts as late (one not begun is not served).

Per phase: offered rate, sales done, failures, late; p50/p95 accept -> paid (the capture at the
emulator), accept -> the POS's push of the paid state, queue at the till; p95 start RPC and order
sync; MobilePay calls per payment and poll intervals (emulator side: time between two answered GETs
of one payment); webhooks per payment; the Odoo log's requests per order by kind (count, SQL
queries, SQL time, other time); PostgreSQL's committed and rolled-back transactions per order
(pg_stat_database); CPU seconds per order by process group (/proc/<pid>/stat of the servers'
process trees, told apart by the "Worker ... alive" lines of their logs, of PostgreSQL's backends
of the database and of this process), net of the groups' idle CPU measured before the phases;
the load average at start and end. Before the phases, --floor-calls trivial RPCs (a read of one field)
give the floor: the CPU of one Odoo request that does next to nothing, against which the CPU MobilePay
adds to an order is read (a payment needs at least a start RPC, an event or poll, and a capture).
Odoo's own scheduled jobs (mail, stock...) are switched off in the scratch database for steadier
figures (--odoo-crons keeps them); MobilePay's stay.

Then each API's capacity next to the cash capacity: the highest rate up to which every phase keeps
p95 accept -> paid (cash: p95 order sync) within 1.3 x that of the lowest rate, with at most 1 %
failed or late; and what MobilePay adds to an order's CPU (MobilePay phase minus cash phase at the
same rate) by process group. CPU is measured per process group only; per step (start, status,
webhook, poll, capture, claim) the tool counts and times from Odoo's log and the emulators, and
estimates the cron's CPU per poller call. --two-servers: two Odoo
servers on the database, 2N registers split between them, and per reference the captures MobilePay
answered (exactly one each); at the end the crons settle and the emulators' captured money is
compared line by line with what Odoo booked.

Usage (with Odoo's Python, like the other benchmarks):

    <odoo's python> tools/benchmark_shop.py --db mpos_shop --template mpos_base \\
        --registers 100 --rates 1,3,6,12 --phase-seconds 60 --apis v10,epayment-webhooks,epayment \\
        [--two-servers] [--seed 1] [--keep]

Quick, for development: --registers 5 --rates 6 --phase-seconds 20 --apis v10. --template copies a
database that has point_of_sale (demo data, admin/admin); the database is modified: use a scratch
one. Figures vary with the machine's load (printed with them): compare the phases of one run.
"""

import argparse
import collections
import datetime
import os
import random
import re
import shlex
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from money_ledger import query  # noqa: E402
from odoo_harness import OdooSetup, add_odoo_arguments, addons_path  # noqa: E402
from shop_floor import measure_floor, one_register, print_floor_reading, print_ratios  # noqa: E402
from shop_load import CpuSampler, Till, make_shop, percentile, poisson_arrivals, requests_in_log  # noqa: E402
from shop_report import money, print_phase, summary  # noqa: E402

from mobilepay.epayment.emulator import EPaymentEmulator, EPaymentEmulatorSettings  # noqa: E402
from mobilepay.v10.emulator import Emulator, EmulatorSettings  # noqa: E402

APIS = ("v10", "epayment-webhooks", "epayment")
ID = re.compile(r"/(?=[^/]*\d)[^/]{8,}")  # a path segment that is an id or a reference


def epoch(text):
    at = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (at if at.tzinfo else at.replace(tzinfo=datetime.timezone.utc)).timestamp()


def ms(values, fraction):
    return percentile(values, fraction) * 1000 if values else float("nan")


class Shop:
    def __init__(self, args):
        self.args = args
        self.counts = collections.Counter()
        self.lock = threading.Lock()
        self.results = []  # figures of every phase

    def count(self, key, n=1):
        with self.lock:
            self.counts[key] += n

    # ------------------------------------------------------------------ emulators

    def start_emulators(self):
        self.v10 = Emulator(EmulatorSettings(payment_poll_delay_ms=self.args.poll_delay_ms)).start()
        self.epayment = EPaymentEmulator(EPaymentEmulatorSettings()).start()
        self.calls = {"v10": [], "epayment": []}  # (epoch s, method, path, status), as each emulator answered
        for name, emulator in (("v10", self.v10), ("epayment", self.epayment)):
            def logged(method, path, status, log=self.calls[name], original=emulator.log_request):
                log.append((time.time(), method, path, status))
                original(method, path, status)
            emulator.log_request = logged

    def add_round_trips(self):
        low, high = self.args.round_trip_ms
        for emulator, paths in ((self.v10, ("/pos/v10/*", "/integrator-authentication/connect/token")),
                                (self.epayment, ("/epayment/v1/*", "/accesstoken/get"))):
            for path in paths:
                emulator.faults.add(method=None, path=path, kind="latency", latency_ms=low, latency_max_ms=high,
                                    times=None)

    def webhooks(self, on):
        """ePayment: give the webhook registrations back (on) or take them away (off), at the emulator and
        on the Odoo method (a shop without webhooks has none registered: Odoo then polls)."""
        state = self.epayment.state
        with state.lock:
            if on and self.saved_hooks:
                state.registrations.update(self.saved_hooks)
                self.saved_hooks = {}
            elif not on and state.registrations:
                self.saved_hooks.update(state.registrations)
                state.registrations.clear()
        if on and self.saved_webhook_ids:
            for method_id, webhook_id in self.saved_webhook_ids:
                query(self.setup, f"UPDATE pos_payment_method SET vipps_webhook_id = '{webhook_id}' "
                                  f"WHERE id = {int(method_id)}")
            self.saved_webhook_ids = []
        elif not on and not self.saved_webhook_ids:
            self.saved_webhook_ids = query(self.setup, "SELECT id, vipps_webhook_id FROM pos_payment_method "
                                                       "WHERE vipps_webhook_id IS NOT NULL")
            query(self.setup, "UPDATE pos_payment_method SET vipps_webhook_id = NULL "
                              "WHERE vipps_webhook_id IS NOT NULL")

    def captured_at(self):
        """line uuid -> when MobilePay captured it (epoch s), from both emulators."""
        moments = {}
        for payment in self.v10.dump_state()["payments"]:
            for step in payment["history"]:
                if step["rule"] == "P9":
                    moments[payment["orderId"]] = epoch(step["at"])
        for payment in self.epayment.dump_state()["payments"]:
            for event in payment["events"]:
                if event["name"] == "CAPTURED" and event.get("success", True):
                    moments.setdefault((payment.get("metadata") or {}).get("orderId"), epoch(event["timestamp"]))
        return moments

    # ------------------------------------------------------------------ one phase

    def wait_quiet(self, limit_s=60):
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            rows = query(self.setup, "SELECT count(*) FROM pos_mobilepay_transaction WHERE NOT is_final")
            if rows[0][0] == "0":
                break
            time.sleep(1)
        time.sleep(2)

    def transactions(self):
        """(committed, rolled back) transactions of the database so far (pg_stat_database)."""
        row = query(self.setup, "SELECT xact_commit, xact_rollback FROM pg_stat_database "
                                f"WHERE datname = '{self.args.db}'")[0]
        return int(row[0]), int(row[1])

    def wait_crons(self, quiet_s=5, limit_s=120):
        """Until Odoo's own scheduled jobs, all run once when a server starts, have left the logs alone."""
        deadline, last, since = time.monotonic() + limit_s, None, time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - since < quiet_s:
            jobs = sum(server.log_text().count("ir_cron: Job") for server in self.servers)
            if jobs != last:
                last, since = jobs, time.monotonic()
            time.sleep(0.5)

    def phase(self, rate, api):
        args, tills = self.args, self.tills
        self.webhooks(api == "epayment-webhooks")
        self.wait_quiet()
        source = "v10" if api == "v10" else "epayment"
        marks = [os.path.getsize(server.log_path) for server in self.servers]
        calls_before = len(self.calls[source])
        deliveries_before = len(self.epayment.deliveries)
        self.counts.clear()
        xacts_before = self.transactions()
        load_before, cpu_before = os.getloadavg()[0], self.sampler.snapshot()
        t0 = time.time() + 0.5
        last_start = t0 + args.phase_seconds + args.drain_seconds
        results = [None] * len(tills)

        def run(index, till):
            # The same customers (times, amounts) in cash and by every API at this rate.
            rng = random.Random(f"{args.seed}-{rate}-{index}")
            arrivals = poisson_arrivals(rng, rate, args.phase_seconds)
            results[index] = till.serve(api, arrivals, t0, last_start, seed=f"{args.seed}-{rate}-{index}")

        threads = [threading.Thread(target=run, args=(i, till)) for i, till in enumerate(tills)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.time() - t0
        cpu = self.sampler.groups(cpu_before, self.sampler.snapshot())
        load_after = os.getloadavg()[0]
        time.sleep(1.0)  # PostgreSQL reports a backend's transactions to its statistics within a second
        xacts = [after - before for after, before in zip(self.transactions(), xacts_before, strict=True)]
        sales = [sale for result in results for sale in result]
        captured = self.captured_at() if api != "cash" else {}
        completed = [s for s in sales if "synced" in s and "failed" not in s]  # late ones too: in the latencies
        late = [s for s in sales if s.get("failed", "").startswith("late") or s.get("synced", 0) > last_start]
        done = [s for s in completed if s["synced"] <= last_start]
        failed = [s["failed"] for s in sales if "failed" in s and not s["failed"].startswith("late")]
        paid = [captured[s["line_uuid"]] - s["accepted"] for s in completed if s["line_uuid"] in captured
                and "accepted" in s]
        pushed = [s["pushed"] - s["accepted"] for s in completed if "pushed" in s and "accepted" in s]
        line_paid = [s["pos_paid"] - s["accepted"] for s in completed if "pos_paid" in s and "accepted" in s]
        queued = [s["started"] - s["arrival"] for s in sales if "started" in s]
        syncs = [s["sync_s"] for s in sales if "sync_s" in s]
        starts = [s["start_s"] for s in sales if "start_s" in s]
        n = max(len(completed), 1)
        calls = self.calls[source][calls_before:] if api != "cash" else []
        gets = collections.defaultdict(list)
        captures = collections.Counter()
        for at, method, path, status in calls:
            if method == "GET" and re.fullmatch(r"/(pos/v10|epayment/v1)/payments/[^/]+", path):
                gets[path].append(at)
            elif method == "POST" and path.endswith("/capture") and status and status < 300:
                captures[path] += 1
        intervals = [b - a for times in gets.values() for a, b in zip(times, times[1:], strict=False)]
        kinds = collections.Counter(f"{method} {ID.sub('/{id}', path)}" for _at, method, path, _s in calls)
        requests = collections.defaultdict(lambda: [0, 0, 0.0, 0.0])
        for server, mark in zip(self.servers, marks, strict=True):
            with open(server.log_path, errors="replace") as log:
                log.seek(mark)
                for kind, figures in requests_in_log(log.read()).items():
                    requests[kind] = [a + b for a, b in zip(requests[kind], figures, strict=True)]
        idle = {group: rate_s * elapsed for group, rate_s in self.idle.items()}
        figures = {
            "rate": rate, "api": api, "registers": len(tills), "offered": len(tills) * rate / 60.0,
            "arrivals": len(sales),
            "done": len(done), "failed": len(failed), "late": len(late), "elapsed": elapsed,
            "paid p50": ms(paid, 0.5), "paid p95": ms(paid, 0.95), "push p50": ms(pushed, 0.5),
            "push p95": ms(pushed, 0.95), "line p95": ms(line_paid, 0.95), "queue p95": ms(queued, 0.95),
            "sync p50": ms(syncs, 0.5), "sync p95": ms(syncs, 0.95), "start p95": ms(starts, 0.95),
            "calls": len(calls) / n, "intervals": (ms(intervals, 0.5), ms(intervals, 0.95)),
            "webhooks": (len(self.epayment.deliveries) - deliveries_before) / n if api == "epayment-webhooks" else 0,
            "cpu": {group: (cpu[group] - idle.get(group, 0.0)) / n for group in cpu},
            "captures": captures, "load": (load_before, load_after), "xacts": (xacts[0] / n, xacts[1] / n),
            "cron per call": cpu["cron (poller)"] / max(sum(map(len, gets.values())) + sum(captures.values()), 1),
        }
        self.results.append(figures)
        print_phase(figures, failed, kinds, requests, self.counts, n)
        return figures

    # ------------------------------------------------------------------ the run

    def main(self):
        args = self.args
        work = tempfile.mkdtemp(prefix="mp_shop_")
        self.start_emulators()
        self.saved_hooks = {}
        self.saved_webhook_ids = []
        db_args = shlex.split(args.db_args)
        if not any(a.startswith("--db_maxconn=") for a in db_args):
            db_args.append(f"--db_maxconn={args.db_maxconn}")
        setup = self.setup = OdooSetup(args.odoo_bin, args.db, db_args, addons_path(work, args.addons_path))
        count = 2 if args.two_servers else 1
        planned = [setup.server(os.path.join(work, f"odoo{i + 1}.log"), workers=args.workers, cron_threads=1)
                   for i in range(count)]
        self.servers = []
        try:
            setup.create(args.template)
            alias = "shop-bench" if args.v10_callbacks else ""
            # Demo mode: the registrations tell the v10 emulator where check-ins go (web.base.url).
            params = {"pos_mobilepay.emulator_url": self.v10.base_url, "web.base.url": planned[0].base_url,
                      "web.base.url.freeze": "True", "pos_mobilepay.epayment_emulator_url": self.epayment.base_url}
            data = make_shop(setup, count * args.registers, params, planned[0].base_url, alias,
                             quiet=not args.odoo_crons)
            if alias:
                self.v10.register_callback(alias, f"{planned[0].base_url}/pos_mobilepay/notification")
            self.method_ids = {"v10": data["v10"], "epayment-webhooks": data["epayment"], "epayment": data["epayment"]}
            self.product_id, self.user_id = data["product"], data["user"]
            self.add_round_trips()
            self.sampler = CpuSampler(args.db)
            for server in planned:
                server.start()
                if server.gevent_broken():
                    print("WARNING: the websocket (gevent) process died at start: no bus pushes in this run")
                server.websocket_url = f"ws://127.0.0.1:{server.gevent_port}/websocket"
                server.websocket_origin = f"http://127.0.0.1:{server.gevent_port}"
                self.sampler.add(server)
                self.servers.append(server)
            self.tills = [Till(self, register, self.servers[i % count], i)
                          for i, register in enumerate(data["registers"])]
            low, high = args.round_trip_ms
            print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; {count} Odoo server(s) "
                  f"--workers={args.workers} --max-cron-threads=1 --db_maxconn={setup.pool_size()}; "
                  f"{len(self.tills)} registers; MobilePay round trip {low}-{high} ms, v10 pollDelayInMs "
                  f"{args.poll_delay_ms}, v10 check-in callbacks {'on' if alias else 'off'}, ePayment webhook "
                  f"registration: {data['webhooks']}; phases of {args.phase_seconds} s (+{args.drain_seconds} s "
                  f"to finish), seed {args.seed}", flush=True)
            self.wait_quiet()
            self.wait_crons()
            before = self.sampler.snapshot()
            time.sleep(args.idle_seconds)
            idle = self.sampler.groups(before, self.sampler.snapshot())
            self.idle = {group: seconds / args.idle_seconds for group, seconds in idle.items()}
            print("idle CPU (ms/s): " + ", ".join(f"{g} {s * 1000:.0f}" for g, s in sorted(self.idle.items())))
            floor = measure_floor(self, args.floor_calls) if args.floor_calls else None
            reference = one_register(self, args.apis, args.one_register_seconds) if args.one_register_seconds else {}
            for rate in args.rates:
                for api in ("cash",) + tuple(args.apis):
                    self.phase(rate, api)
            summary(self.results, args.apis)
            print_floor_reading(self.results, floor, args.apis)
            print_ratios(self.results, reference)
            self.webhooks(True)
            money(self.setup, self.v10, self.epayment, self.results)
        finally:
            for server in self.servers:
                server.stop()
            self.v10.stop()
            self.epayment.stop()
            if args.keep:
                print(f"kept: {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)


def main():
    from mobilepay.argtypes import whole_number

    def numbers(text):
        return [float(x) if "." in x else int(x) for x in text.split(",") if x.strip()]

    def apis(text):
        chosen = [x.strip() for x in text.split(",") if x.strip()]
        unknown = [x for x in chosen if x not in APIS]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown API {', '.join(unknown)} (choose from {', '.join(APIS)})")
        return chosen

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_odoo_arguments(parser)
    parser.add_argument("--registers", type=whole_number(1), default=100, help="registers per server (default 100)")
    parser.add_argument("--rates", type=numbers, default=[1, 3, 6, 12],
                        help="payments per minute per register, one phase each, rising (default 1,3,6,12)")
    parser.add_argument("--phase-seconds", type=whole_number(5), default=60,
                        help="customers arrive this long (default 60)")
    parser.add_argument("--drain-seconds", type=whole_number(0), default=20,
                        help="a sale not begun or not synced this long after the arrivals end is late (20)")
    parser.add_argument("--apis", type=apis, default=list(APIS), help=f"comma-separated, of {', '.join(APIS)}")
    parser.add_argument("--workers", type=whole_number(1), default=2, help="Odoo HTTP workers per server (2)")
    parser.add_argument("--poll-delay-ms", type=whole_number(), default=1000, help="the v10 emulator's pollDelayInMs")
    parser.add_argument("--round-trip-ms", type=whole_number(), nargs=2, default=(80, 150), metavar=("LOW", "HIGH"),
                        help="MobilePay's round trip for every call, drawn from this range (default 80 150)")
    parser.add_argument("--no-v10-callbacks", dest="v10_callbacks", action="store_false",
                        help="v10 without check-in notifications (payments polled at pollDelayInMs all along)")
    parser.add_argument("--db-maxconn", type=whole_number(4), default=24,
                        help="Odoo's connection pool per process (default 24: two servers fit PostgreSQL's 100)")
    parser.add_argument("--idle-seconds", type=whole_number(1), default=10, help="idle CPU measured this long")
    parser.add_argument("--one-register-seconds", type=whole_number(), default=0,
                        help="before the phases, each API with one register alone this long (at 12/min): the "
                        "reference of the p95 ratios printed at the end (0: none)")
    parser.add_argument("--floor-calls", type=whole_number(), default=300,
                        help="trivial RPCs measured before the phases: the floor of a request's CPU (0: none)")
    parser.add_argument("--odoo-crons", action="store_true",
                        help="keep Odoo's own scheduled jobs active (by default only MobilePay's run)")
    parser.add_argument("--two-servers", action="store_true", help="two Odoo servers on the database, 2N registers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (Odoo logs)")
    args = parser.parse_args()
    if args.round_trip_ms[0] > args.round_trip_ms[1]:
        parser.error("--round-trip-ms: LOW must not be above HIGH")
    if not args.rates or any(rate <= 0 for rate in args.rates):
        parser.error("--rates: positive numbers, e.g. 1,3,6,12")
    args.rates = sorted(args.rates)
    Shop(args).main()


if __name__ == "__main__":
    main()
