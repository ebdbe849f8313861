#!/usr/bin/env python3
"""Randomized fault run: many MobilePay payments and refunds through a real Odoo 19.0 while
MobilePay misbehaves and the Odoo server crashes, then a count of what went wrong with money.

A real Odoo 19.0 server (``--workers=2 --max-cron-threads=1`` by default) takes payments and
refunds on several registers at once, driven over JSON-RPC exactly as the POS drives it
(start, status, cancel, then ``sync_from_ui`` of the paid order; a start whose answer is
lost is repeated for the same line, as the POS does). The emulated customers approve,
reject or walk away. Meanwhile the MobilePay emulator injects bursts of faults (5xx,
connections dropped before or after processing, answers slower than the client's timeout,
unreadable answers) on every endpoint, and the Odoo server is killed with SIGKILL several
times and started again. A few "tampered" orders try to book MobilePay money that was never
taken. At the end the faults stop, the crons run until nothing moves, and the emulator's
ledger is compared with Odoo's tables. Prints figures; asserts nothing.

Invariants (each should be 0):
  double captures               a line whose money MobilePay captured more than once
  reservations left unsettled   payments or refunds still Reserved (or pending) at MobilePay
  captures Odoo does not know   captured at MobilePay, not captured in Odoo
  orders paid without capture   MobilePay payment lines in Odoo without that money at MobilePay
  refunds paid unknown to Odoo  refunds paid out at MobilePay that Odoo does not record as refunded
  over-refunds                  refunds above what the payment captured
  rows stuck non-final          transactions still running after the crons went quiet
  pushed to another customer    (ePayment) a sticker payment that reached the phone of a customer
                                who did not scan for that sale
  tracebacks                    in the Odoo server log (and "could not serialize" in PostgreSQL's);
                                those of Odoo's own scheduled jobs that are not MobilePay's (the
                                stock scheduler, say) are counted and listed apart

Usage (with Odoo's Python, like the latency benchmark):

    <odoo's python> tools/fault_run.py --db mpos_fault --template mpos_base \\
        --payments 1000 --registers 8 --kills 6 --db-args "--db_host=127.0.0.1 --db_user=root"

--api epayment runs the same against the Vipps MobilePay ePayment emulator as Vipps MobilePay behaves
on a bad day: besides the faults above, busy answers (423/429 from a gateway, and the emulator's own
rate limits and reference locks), "try again later" Problems that Vipps keeps for the request's key
(6160/6260/6280 on capture, 6250 on cancel, 6160 on refund), a cashier who cancels while the customer
approves (6250), and webhooks registered at this Odoo and delivered late, twice, out of order or
never. The last --sticker-registers registers take payments by the till's QR sticker: customers scan
before or after the cashier starts, scan again when nothing reaches their app, and the previous
customer sometimes scans once more during the next sale.

--template copies an existing database that has point_of_sale (demo data, admin/admin);
without it --db must exist already. The database is modified; use a scratch one.
"""

import argparse
import collections
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

from emulated_backends import BACKENDS  # noqa: E402
from fault_cashier import Cashier  # noqa: E402
from money_ledger import money_invariants, settle  # noqa: E402
from odoo_harness import OdooSetup, add_odoo_arguments, addons_path, ui_order  # noqa: E402


def odoo_own_job(summary):
    """A traceback of one of Odoo's own scheduled jobs that is not MobilePay's (Odoo retries them itself):
    announced by the cron runner for another job, or by a module that neither POS nor MobilePay is."""
    found = re.search(r" (?:ERROR|CRITICAL|WARNING) \S+ (\S+): (.*?) -> ", summary)
    if not found:
        return False
    logger, message = found.groups()
    if logger == "odoo.addons.base.models.ir_cron":
        return message.startswith("Job '") and not message.startswith("Job 'MobilePay")
    ours = ("odoo.addons.pos_mobilepay", "odoo.addons.point_of_sale", "odoo.addons.bus", "odoo.addons.base")
    return logger.startswith("odoo.addons.") and not logger.startswith(ours)


def traceback_summaries(log, limit=10):
    """Each traceback of an Odoo log in one line: the log line that announced it and the exception that ended it."""
    lines = log.splitlines()
    summaries = []
    for index, line in enumerate(lines):
        if not line.startswith("Traceback (most recent call last)"):
            continue
        announced = lines[index - 1][:200] if index else ""
        end = next((lines[j] for j in range(index + 1, len(lines)) if lines[j] and not lines[j][0].isspace()), "")
        summaries.append(f"{announced} -> {end[:200]}")
    return summaries if limit is None else summaries[:limit]

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.latencies = []

    def add(self, key, n=1):
        with self.lock:
            self.counts[key] += n


class FaultRun:
    def __init__(self, args):
        self.args = args
        self.stats = Stats()
        self.rng = random.Random(args.seed)
        self.stopping = threading.Event()
        self.tickets = args.payments
        self.ticket_lock = threading.Lock()
        self.log_lock = threading.Lock()
        self.fault_hits = collections.Counter()
        self.scans = {}  # line uuid -> phones of the customers who scanned a sticker for that sale
        self.customer_index = 0

    def log(self, text):
        with self.log_lock:
            print(f"  [{time.strftime('%H:%M:%S')}] {text}", flush=True)

    def take_ticket(self):
        with self.ticket_lock:
            if self.tickets <= 0:
                return False
            self.tickets -= 1
            done = self.args.payments - self.tickets
            if done % 100 == 0:
                self.log(f"{done} payments begun; {self.server.kills} kills so far")
            return True

    def ui_order(self, register, order_uuid, lines, method_id=None):
        return ui_order(register, self.user_id, self.product_id, method_id or self.method_id, order_uuid, lines)

    def scanned(self, line_uuid, phone):
        """A customer scanned a sticker for the sale of ``line_uuid`` (the ledger checks whose phone it reached)."""
        with self.ticket_lock:
            self.scans.setdefault(line_uuid, set()).add(phone)

    def next_phone(self):
        """The next customer at a sticker till (each sale a different one, round the customers)."""
        with self.ticket_lock:
            self.customer_index += 1
            return self.backend.phones[self.customer_index % len(self.backend.phones)]

    # ------------------------------------------------------------------ faults and crashes

    def inject_faults(self):
        """Bursts: for 1-4 s one endpoint fails in one way, for some or all of its requests."""
        emulator, backend = self.emulator, self.backend
        while not self.stopping.is_set():
            time.sleep(self.rng.uniform(0.5, 2.0))
            kind = self.rng.choice(backend.fault_kinds)
            probability = self.rng.choice([0.3, 0.6, 1.0])
            if kind == "problem":
                (method, path), codes = self.rng.choice(sorted(backend.problem_codes.items()))
            elif kind == "busy":
                method, path = self.rng.choice(backend.busy_paths)
            elif self.rng.random() < 0.5:
                # The create calls are where a lost answer costs money: they get half of the bursts.
                method, path = self.rng.choice(backend.create_paths)
            else:
                method, path = self.rng.choice(backend.fault_paths)
            if kind == "timeout":
                # Processed after the client gave up.
                latency = backend.timeout_ms[method]
                fault = emulator.faults.add(method=method, path=path, kind="latency", latency_ms=latency,
                                            latency_max_ms=latency + 500, times=None, probability=probability)
            elif kind == "status":
                fault = emulator.faults.add(method=method, path=path, kind="status",
                                            status=self.rng.choice([500, 502, 503, 504]), times=None,
                                            probability=probability)
            elif kind == "busy":
                fault = emulator.faults.add(method=method, path=path, kind="status",
                                            status=self.rng.choice([423, 429]), times=None, probability=probability)
            elif kind == "problem":
                fault = emulator.faults.add(method=method, path=path, kind="problem", code=self.rng.choice(codes),
                                            times=None, probability=probability)
            elif kind == "body":
                body = self.rng.choice(["", "<html>gateway</html>", "[]", '{"status": "Teleported"}'])
                fault = emulator.faults.add(method=method, path=path, kind="body", body=body, times=None,
                                            probability=probability)
            else:
                fault = emulator.faults.add(method=method, path=path, kind=kind, times=None,
                                            probability=probability)
            time.sleep(self.rng.uniform(1.0, 4.0))
            emulator.faults.remove(fault)
            self.fault_hits[kind] += fault.hits

    def crash_server(self):
        """SIGKILL the Odoo server ``--kills`` times at random moments of the run, starting it again each time."""
        total = self.args.payments
        moments = sorted(int(self.rng.uniform(0.05, 0.9) * total) for _ in range(self.args.kills))
        for moment in moments:
            while total - self.tickets < moment:
                if self.stopping.is_set():
                    return
                time.sleep(0.1)
            time.sleep(self.rng.uniform(0, 1.0))  # at any moment of a payment
            self.server.kill()
            self.log(f"Odoo killed (SIGKILL), kill {self.server.kills}")
            time.sleep(self.rng.uniform(0.5, 3.0))
            self.server.start()
            self.log("Odoo started again")

    # ------------------------------------------------------------------ the ledger

    def invariants(self):
        figures, extra = money_invariants(self.emulator, self.setup, scans=self.scans)
        log = self.server.log_text()
        summaries = traceback_summaries(log, limit=None)
        others = [summary for summary in summaries if odoo_own_job(summary)]
        figures["tracebacks in the Odoo log"] = len(summaries) - len(others)
        extra["tracebacks of Odoo's own scheduled jobs (not MobilePay; listed below)"] = len(others)
        figures["'could not serialize' (MobilePay rows) in PostgreSQL's log"] = self.pg_log_count(
            "could not serialize access"
        )
        return figures, extra

    def emulator_figures(self):
        """What the emulator did on its own: busy answers of its limits and locks, webhook deliveries."""
        answered = collections.Counter(status for _method, _path, status in self.emulator.requests_log)
        lines = [f"emulator answers: 429 (rate limits and busy faults) {answered[429]}, "
                 f"423 (reference in progress and busy faults) {answered[423]}, 5xx "
                 f"{sum(n for status, n in answered.items() if status and status >= 500)}"]
        deliveries = getattr(self.emulator, "deliveries", None)
        if deliveries is not None:
            by = collections.Counter()
            for record in deliveries:
                by["duplicates" if record.get("duplicate") else "attempts"] += 1
                by["lost (never sent)" if record.get("error") == "lost" else
                   "answered 2xx" if record.get("status") and 200 <= record["status"] < 300 else
                   "failed (retried)"] += 1
                if record["event"] == "user.checked-in.v1":
                    by["check-ins"] += 1
            lines.append("webhook deliveries: " + ", ".join(f"{k} {v}" for k, v in sorted(by.items())))
        return lines

    def pg_log_count(self, needle, table="pos_mobilepay"):
        """How often PostgreSQL logged ``needle`` for a statement on our tables since the run began."""
        path = self.pg_log
        if not path or not os.path.exists(path):
            return "n/a"
        with open(path, errors="replace") as log:
            log.seek(self.pg_log_offset)
            entries = log.read().split("\n20")  # one entry per timestamped line, with its continuation
        return sum(
            1
            for index, entry in enumerate(entries)
            if needle in entry and table in "".join(entries[index : index + 2])
        )

    # ------------------------------------------------------------------ the run

    def main(self):
        args = self.args
        work = tempfile.mkdtemp(prefix="mp_fault_")
        db_args = shlex.split(args.db_args)
        self.pg_log = args.pg_log
        self.pg_log_offset = os.path.getsize(self.pg_log) if self.pg_log and os.path.exists(self.pg_log) else 0
        self.backend = BACKENDS[args.api](args.poll_delay_ms, seed=args.seed)
        self.emulator = self.backend.emulator.start()
        self.emulator.faults.rng.seed(args.seed)
        setup = self.setup = OdooSetup(args.odoo_bin, args.db, db_args, addons_path(work, args.addons_path))
        try:
            setup.create(args.template)
            # The server's address is known before it starts: Vipps MobilePay's webhooks are registered there.
            self.server = setup.server(os.path.join(work, "odoo.log"), workers=args.workers)
            sticker = args.sticker_registers if self.backend.webhooks else 0
            data = setup.registers(
                args.registers,
                {self.backend.url_parameter: self.emulator.base_url, "pos_mobilepay.abandon_after_minutes": "3"},
                method_values=self.backend.method_values,
                sticker=sticker,
                public_url=self.server.base_url if self.backend.webhooks else None,
            )
            if self.backend.webhooks:
                print(f"webhook registrations: {data['webhooks']}; sticker registers: {sticker}")
            self.method_id, self.product_id, self.user_id = data["method"], data["product"], data["user"]
            self.server.start()
            if self.server.gevent_broken():
                print("WARNING: the websocket (gevent) process died at start: no bus pushes in this run")
            print(f"Odoo at {self.server.base_url} (--workers={args.workers} --max-cron-threads=1), "
                  f"emulator at {self.emulator.base_url}, {args.registers} registers, {args.payments} payments",
                  flush=True)
            load_before = os.getloadavg()
            started = time.monotonic()
            cashiers = [Cashier(self, register, args.seed * 1000 + i) for i, register in enumerate(data["registers"])]
            threads = [threading.Thread(target=c.work, daemon=True) for c in cashiers]
            faults = threading.Thread(target=self.inject_faults, daemon=True)
            crasher = threading.Thread(target=self.crash_server, daemon=True)
            for thread in (*threads, faults, crasher):
                thread.start()
            for thread in threads:
                thread.join()
            crasher.join()
            self.stopping.set()
            faults.join()
            self.emulator.faults.clear()
            load_during = os.getloadavg()
            run_s = time.monotonic() - started
            self.log(f"load done in {run_s:.0f} s; letting the crons settle what is left")
            quiet_started = time.monotonic()
            settle(setup)
            quiet_s = time.monotonic() - quiet_started
            figures, extra = self.invariants()
            counts = self.stats.counts
            print()
            print(f"Fault run ({args.api}): {args.payments} payments asked, {args.registers} registers, "
                  f"seed {args.seed}, Odoo --workers={args.workers}, pollDelayInMs {args.poll_delay_ms}")
            print(f"  machine: {os.cpu_count()} cores, load average before {load_before[0]:.2f}, "
                  f"after the load {load_during[0]:.2f}; load phase {run_s:.0f} s, settling {quiet_s:.0f} s")
            print(f"  Odoo server killed with SIGKILL: {self.server.kills} times")
            print("  faults fired: " + ", ".join(f"{k} {v}" for k, v in sorted(self.fault_hits.items())))
            print("  what the driver saw: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
            print("  " + ", ".join(f"{k} {v}" for k, v in extra.items()))
            for line in self.emulator_figures():
                print("  " + line)
            print()
            print(f"  {'invariant':<58} count")
            for key, value in figures.items():
                print(f"  {key:<58} {value}")
            bad = [k for k, v in figures.items() if v not in (0, "n/a")]
            print()
            print("  ALL INVARIANTS HOLD" if not bad else "  VIOLATED: " + ", ".join(bad))
            for summary in traceback_summaries(self.server.log_text()):
                print("  traceback: " + summary)
            if args.keep:
                print(f"  kept: {work} (Odoo log {self.server.log_path})")
        finally:
            self.stopping.set()
            if getattr(self, "server", None):
                self.server.stop()
            self.emulator.stop()
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)





def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_odoo_arguments(parser)
    parser.add_argument("--payments", type=int, default=1000, help="payments to take (default 1000)")
    parser.add_argument("--refund-share", type=float, default=0.3, help="share of sales followed by a refund")
    parser.add_argument("--registers", type=int, default=8, help="registers taking payments at once")
    parser.add_argument("--sticker-registers", type=int, default=3,
                        help="ePayment: how many of the registers take payments by the till's QR sticker")
    parser.add_argument("--workers", type=int, default=2, help="Odoo HTTP workers (default 2)")
    parser.add_argument("--kills", type=int, default=6, help="how often the Odoo server is killed (SIGKILL)")
    parser.add_argument("--poll-delay-ms", type=int, default=300, help="the emulator's pollDelayInMs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--api", choices=sorted(BACKENDS), default="v10",
                        help="the backend: PoS API v10 or Vipps MobilePay ePayment (each on its emulator)")
    parser.add_argument("--pg-log", default=_guess_pg_log(), help="PostgreSQL's log, to count its errors")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (Odoo log)")
    args = parser.parse_args()
    if args.payments < 1 or args.registers < 1 or args.kills < 0:
        parser.error("--payments and --registers must be at least 1, --kills at least 0")
    if not 0 <= args.sticker_registers < args.registers:
        parser.error("--sticker-registers must be at least 0 and fewer than --registers")
    FaultRun(args).main()


def _guess_pg_log():
    folder = "/var/log/postgresql"
    if not os.path.isdir(folder):
        return None
    logs = sorted((os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".log")), key=os.path.getmtime)
    return logs[-1] if logs else None


if __name__ == "__main__":
    main()
