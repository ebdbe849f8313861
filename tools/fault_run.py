#!/usr/bin/env python3
"""Randomized fault run: many MobilePay payments and refunds through a real Odoo 18 while
MobilePay misbehaves and the Odoo server crashes, then a count of what went wrong with money.

A real Odoo 18 server (``--workers=2 --max-cron-threads=1`` by default) takes payments and
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
  tracebacks                    in the Odoo server log (and "could not serialize" in PostgreSQL's)

Usage (with Odoo's Python, like the latency benchmark):

    <odoo's python> tools/fault_run.py --db mpos_fault --template mpos_base \\
        --payments 1000 --registers 8 --kills 6 --db-args "--db_host=127.0.0.1 --db_user=root"

--api epayment runs the same against the Vipps MobilePay ePayment emulator (one-time QR flow,
polling; its faults on the ePayment and token endpoints, timeouts past the client's 5 s).

--template copies an existing database that has point_of_sale (demo data, admin/admin);
without it --db must exist already. The database is modified; use a scratch one.
"""

import argparse
import collections
import os
import random
import shlex
import shutil
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from emulated_backends import BACKENDS  # noqa: E402
from money_ledger import money_invariants, settle  # noqa: E402
from odoo_harness import JsonRpc, OdooSetup, RpcError, add_odoo_arguments, addons_path, ui_order  # noqa: E402

METHOD = "pos.payment.method"




class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.latencies = []

    def add(self, key, n=1):
        with self.lock:
            self.counts[key] += n


class Cashier:
    """One register: customers one after the other, as the POS and the customer would act."""

    def __init__(self, run, register, seed):
        self.run = run
        self.register = register
        self.rng = random.Random(seed)
        self.rpc = JsonRpc(run.server.base_url, run.args.db)
        self.beacon_id = None
        self.payments = []  # (line_uuid, amount, reference) of captured payments, for refunds

    # ------------------------------------------------------------------ RPC as the POS does it

    def call(self, method, payload, model=METHOD, retry_lost=True, deadline_s=600):
        """Repeat a call whose answer was lost (server down) until it is answered, like the POS."""
        deadline = time.monotonic() + deadline_s
        delay = 0.5
        while True:
            try:
                if model == METHOD:
                    return self.rpc.call(model, method, [[self.run.method_id], payload])
                return self.rpc.call(model, method, [payload])
            except ConnectionError:
                self.run.stats.add("rpc answers lost")
                if not retry_lost or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 4)
                if self.run.stopping.is_set() and time.monotonic() > deadline:
                    raise
                try:
                    self.rpc.authenticate()
                except (ConnectionError, OSError, RpcError):
                    pass

    def ask(self, **values):
        return {"pos_session_id": self.register["session"], **values}

    def follow(self, reference, give_up_s=90):
        """Poll the status (as the POS fallback does) until final; cancel once when it takes too long."""
        started = time.monotonic()
        cancelled = False
        while True:
            status = self.call("mobilepay_payment_status", self.ask(reference=reference))
            if status["state"] == "unknown":
                self.run.stats.add("status: unknown outcome seen")
            if status["is_final"]:
                return status
            waited = time.monotonic() - started
            if waited > give_up_s and not cancelled:
                self.run.stats.add("cashier cancels a slow transaction")
                self.call("mobilepay_cancel_payment", self.ask(reference=reference))
                cancelled = True
            if waited > give_up_s * 4:
                self.run.stats.add("driver gave up following")
                return status
            time.sleep(max(0.3, min(status.get("poll_after_ms", 1000), 2000) / 1000.0))

    # ------------------------------------------------------------------ the customer

    def customer(self, kind, answer):
        """Act as the customer in the emulator while the payment waits (approve, reject or walk away)."""
        if kind == "walk away":
            return
        time.sleep(self.rng.uniform(0.1, 0.8))
        backend = self.run.backend
        for _ in range(40):
            try:
                backend.customer_acts(kind, answer, self.beacon_id)
                return
            except backend.not_there_yet:
                time.sleep(0.25)  # the payment is not at MobilePay yet (its create is on its way)

    # ------------------------------------------------------------------ one sale

    def sale(self):
        line_uuid = str(uuid.uuid4())
        amount = float(Decimal(self.rng.randint(100, 99999)) / 100)
        behaviour = self.rng.choices(
            ["approve", "reject", "cashier cancels", "walk away"], weights=[86, 6, 4, 4]
        )[0]
        order_uuid = str(uuid.uuid4())
        for _attempt in range(3):
            payload = self.ask(line_uuid=line_uuid, order_uuid=order_uuid, order_name=f"Fault {order_uuid[:8]}",
                               amount=amount)
            try:
                answer = self.call("mobilepay_start_payment", payload)
            except RpcError as error:
                self.run.stats.add("start refused (definite)")
                self.run.log(f"start refused: {error.message[:120]}")
                time.sleep(0.5)
                continue
            self.run.stats.add("payments started")
            self.beacon_id = answer.get("beacon_id") or self.beacon_id
            if answer["state"] == "unknown":
                self.run.stats.add("start: unknown outcome")
            if behaviour == "cashier cancels":
                time.sleep(self.rng.uniform(0.2, 1.0))
                self.call("mobilepay_cancel_payment", self.ask(reference=answer["reference"]))
            else:
                threading.Thread(target=self.customer, args=(behaviour, answer), daemon=True).start()
            status = self.follow(answer["reference"], give_up_s=20 if behaviour == "walk away" else 60)
            self.run.stats.add(f"payment ended {status['state']}")
            if status["paid"]:
                self.book(line_uuid, amount)
                self.payments.append((line_uuid, amount, answer["reference"]))
                return
            if behaviour != "approve" or not status["is_final"]:
                return  # the customer said no, or walked away: no retry
        return

    def book(self, line_uuid, amount, refund_of=None):
        """sync_from_ui of the paid order (or of the refund order), as the POS sends it."""
        order_uuid = str(uuid.uuid4())
        order = self.run.ui_order(self.register, order_uuid, [(line_uuid, amount)])
        try:
            self.call("sync_from_ui", [order], model="pos.order")
            self.run.stats.add("refund orders booked" if refund_of else "orders booked")
        except RpcError as error:
            self.run.stats.add("order sync refused")
            self.run.log(f"order sync refused: {error.message[:160]}")

    def tampered(self):
        """A POS (or an insider) books MobilePay money that MobilePay never took."""
        order = self.run.ui_order(self.register, str(uuid.uuid4()), [(str(uuid.uuid4()), 42.0)])
        try:
            self.call("sync_from_ui", [order], model="pos.order")
            self.run.stats.add("tampered orders accepted")
        except RpcError:
            self.run.stats.add("tampered orders refused")

    def refund(self):
        index = self.rng.randrange(len(self.payments))
        line_uuid, left, reference = self.payments[index]
        amount = min(left, max(0.01, round(left * self.rng.choice([1.0, 0.5, 0.25]), 2)))
        if amount <= 0:
            return
        refund_line = str(uuid.uuid4())
        payload = self.ask(line_uuid=refund_line, order_uuid=str(uuid.uuid4()), order_name="Fault refund",
                           amount=amount, refunded_transaction_reference=reference)
        try:
            answer = self.call("mobilepay_start_refund", payload)
        except RpcError as error:
            self.run.stats.add("refund refused (definite)")
            self.run.log(f"refund refused: {error.message[:120]}")
            return
        self.run.stats.add("refunds started")
        if answer["state"] == "unknown":
            self.run.stats.add("refund start: unknown outcome")
        status = self.follow(answer["reference"], give_up_s=120)
        self.run.stats.add(f"refund ended {status['state']}")
        if status["paid"] or not status["is_final"]:
            # Paid out, or still on its way: it counts against what is left either way.
            self.payments[index] = (line_uuid, round(left - amount, 2), reference)
        if status["paid"]:
            self.book(refund_line, -amount, refund_of=line_uuid)

    def work(self):
        try:
            self.rpc.authenticate()
        except (ConnectionError, OSError, RpcError):
            pass
        while not self.run.stopping.is_set():
            if not self.run.take_ticket():
                return
            try:
                self.sale()
                if self.payments and self.rng.random() < self.run.args.refund_share:
                    self.refund()
                if self.rng.random() < 0.02:
                    self.tampered()
            except Exception as error:  # noqa: BLE001 - a driver bug must not hide the figures
                self.run.stats.add("driver errors")
                self.run.log(f"driver error: {type(error).__name__}: {error}")


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

    def ui_order(self, register, order_uuid, lines):
        return ui_order(register, self.user_id, self.product_id, self.method_id, order_uuid, lines)

    # ------------------------------------------------------------------ faults and crashes

    FAULT_KINDS = ["status", "drop_before", "drop_after", "timeout", "body"]

    def inject_faults(self):
        """Bursts: for 1-4 s one endpoint fails in one way, for some or all of its requests."""
        emulator = self.emulator
        while not self.stopping.is_set():
            time.sleep(self.rng.uniform(0.5, 2.0))
            # The create calls are where a lost answer costs money: they get half of the bursts.
            if self.rng.random() < 0.5:
                method, path = self.rng.choice(self.backend.create_paths)
            else:
                method, path = self.rng.choice(self.backend.fault_paths)
            kind = self.rng.choice(self.FAULT_KINDS)
            probability = self.rng.choice([0.3, 0.6, 1.0])
            if kind == "timeout":
                # Processed after the client gave up.
                latency = self.backend.timeout_ms[method]
                fault = emulator.faults.add(method=method, path=path, kind="latency", latency_ms=latency,
                                            latency_max_ms=latency + 500, times=None, probability=probability)
            elif kind == "status":
                fault = emulator.faults.add(method=method, path=path, kind="status",
                                            status=self.rng.choice([500, 502, 503, 504]), times=None,
                                            probability=probability)
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
        figures, extra = money_invariants(self.emulator, self.setup)
        log = self.server.log_text()
        figures["tracebacks in the Odoo log"] = log.count("Traceback (most recent call last)")
        figures["'could not serialize' (MobilePay rows) in PostgreSQL's log"] = self.pg_log_count(
            "could not serialize access"
        )
        return figures, extra

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
        self.backend = BACKENDS[args.api](args.poll_delay_ms)
        self.emulator = self.backend.emulator.start()
        self.emulator.faults.rng.seed(args.seed)
        setup = self.setup = OdooSetup(args.odoo_bin, args.db, db_args, addons_path(work, args.addons_path))
        try:
            setup.create(args.template)
            data = setup.registers(
                args.registers,
                {self.backend.url_parameter: self.emulator.base_url, "pos_mobilepay.abandon_after_minutes": "3"},
                method_values=self.backend.method_values,
            )
            self.method_id, self.product_id, self.user_id = data["method"], data["product"], data["user"]
            self.server = setup.server(os.path.join(work, "odoo.log"), workers=args.workers)
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
            print()
            print(f"  {'invariant':<58} count")
            for key, value in figures.items():
                print(f"  {key:<58} {value}")
            bad = [k for k, v in figures.items() if v not in (0, "n/a")]
            print()
            print("  ALL INVARIANTS HOLD" if not bad else "  VIOLATED: " + ", ".join(bad))
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
    FaultRun(args).main()


def _guess_pg_log():
    folder = "/var/log/postgresql"
    if not os.path.isdir(folder):
        return None
    logs = sorted((os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".log")), key=os.path.getmtime)
    return logs[-1] if logs else None


if __name__ == "__main__":
    main()
