"""The pieces of the shop benchmark (benchmark_shop.py): the shop in the database, the registers and
their customers, the bus as a register hears it, and where the CPU went (``/proc``).

A register is one till with one cashier: its customers arrive at times drawn in advance (Poisson, open
loop: a slow payment never moves an arrival), queue, and pay one after the other — a MobilePay PoS
(v10) takes one payment at a time, and so does a cashier. The order is synced in the background, as
the POS does, while the next customer pays.
"""

import collections
import json
import os
import random
import re
import threading
import time
import uuid

from odoo_harness import JsonRpc, StatePushListener, call_until_answered, ordinary_amount, ui_order

from mobilepay.epayment.emulator.problems import ControlError as EPaymentControlError
from mobilepay.v10.emulator.api_errors import ControlError as V10ControlError

try:
    import websocket  # noqa: F401 - websocket-client (the bus listener), as Odoo's tours use: said at start
except ImportError:  # pragma: no cover
    raise SystemExit("websocket-client is needed: run this with Odoo's Python") from None

METHOD = "pos.payment.method"
PUSH_GRACE_S = 3.0  # mobilepay_push.js PUSH_GRACE_MS: without a push for this long the POS asks
MIN_POLL_S = 0.5  # mobilepay_push.js MIN_POLL_MS
FOLLOW_S = 60.0  # the cashier cancels a payment still open after this long

SHOP_SCRIPT = r"""
import json
from odoo import Command
env = env(user=env.ref("base.user_admin"))
for key, value in {params!r}.items():
    env["ir.config_parameter"].sudo().set_param(key, value)
env.cr.commit()  # registrations are made in cursors of their own: they must see the emulator URLs
env["pos.config"]._mobilepay_create_demo_shop()
Config = env["pos.config"]
base = Config.search([("name", "=", "MobilePay Shop (DKK)")], limit=1)
vipps_shop = Config.search([("name", "=", "Vipps MobilePay Shop (DKK)")], limit=1)
v10 = base.payment_method_ids.filtered(lambda m: m.use_payment_terminal == "mobilepay")
vipps = vipps_shop.payment_method_ids.filtered(lambda m: m.use_payment_terminal == "mobilepay")
if {alias!r}:
    v10.write({{"mobilepay_callback_alias": {alias!r}}})
vipps.write({{"vipps_public_url": {public_url!r}}})
webhooks = vipps.action_vipps_register_webhooks()["params"]["type"]
if {quiet!r}:
    # Odoo's own scheduled jobs (mail, stock scheduler...) run at random moments: off, for steadier figures.
    ours = env["ir.model.data"].search([("module", "=", "pos_mobilepay"), ("model", "=", "ir.cron")]).mapped("res_id")
    env["ir.cron"].search([("id", "not in", ours)]).write({{"active": False}})
product = env["product.product"].create(
    {{"name": "Shop Item", "type": "service", "available_in_pos": True, "list_price": 1.0, "taxes_id": False}})
registers = []
for index in range({count}):
    if index == 0:
        config, cash = base, base.payment_method_ids.filtered("is_cash_count")
    else:
        config = base.copy({{"name": f"Shop Register {{index}}"}})
        # A cash method belongs to one register, with a cash journal of its own.
        journal = env["account.journal"].create({{"name": f"Shop Cash {{index}}", "type": "cash",
            "code": f"S{{index:04d}}", "company_id": base.company_id.id, "currency_id": env.ref("base.DKK").id}})
        cash = env["pos.payment.method"].create(
            {{"name": f"Cash {{index}}", "journal_id": journal.id, "company_id": base.company_id.id}})
    config.write({{"payment_method_ids": [Command.set((cash | v10 | vipps).ids)]}})
    env.cr.commit()  # the register's MobilePay PoS is registered at session open, in a cursor of its own
    config.open_ui()
    session = config.current_session_id
    session.set_opening_control(0, "")
    env.cr.commit()
    registers.append({{"config": config.id, "session": session.id, "pricelist": config.pricelist_id.id,
                      "access_token": config.access_token, "cash": cash.id}})
print("SHOP", json.dumps({{"v10": v10.id, "epayment": vipps.id, "product": product.id, "user": env.uid,
                          "registers": registers, "webhooks": webhooks}}))
"""


def make_shop(setup, count, params, public_url, alias, quiet=True):
    """``count`` DKK registers, each with its own cash method, the v10 method and the ePayment method (webhooks
    registered at ``public_url``), sessions open; with ``quiet`` only MobilePay's scheduled jobs stay active.
    Returns the method ids, product, user and registers."""
    out = setup.shell(SHOP_SCRIPT.format(params=dict(params), count=count, public_url=public_url, alias=alias,
                                         quiet=quiet))
    return json.loads(next(line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("SHOP ")))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[max(0, int(round(fraction * len(ordered))) - 1)] if ordered else float("nan")


# ---------------------------------------------------------------------------------------------- CPU


def proc_stat(pid):
    """(ppid, CPU seconds used) of a process, from /proc/<pid>/stat (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            line = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS, line


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class CpuSampler:
    """CPU seconds of the Odoo servers' process trees, of PostgreSQL's backends of our database and of this
    process (load generator and emulators), sampled every ``interval`` s: a process that ends keeps the CPU
    of its last sample (at most ``interval`` s of its work is lost)."""

    def __init__(self, db, interval=0.5):
        self.db = db
        self.masters = {}  # master pid -> its server
        self.kind = {}  # pid -> ("master"|"child"|"pg"|"self", master pid) or None (not ours)
        self.cmdline = {}
        self.cpu = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def add(self, server):
        with self.lock:
            self.masters[server.process.pid] = server
            self.kind = {pid: kind for pid, kind in self.kind.items() if kind is not None}

    def _classify(self, pid, ppid, line):
        if pid == os.getpid():
            return ("self", None)
        if pid in self.masters:
            return ("master", pid)
        if ppid in self.masters:
            return ("child", ppid)
        words = line.split()
        if line.startswith("postgres: ") and self.db in words[2:5]:
            return ("pg", None)
        return None

    def sample(self):
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            pid = int(name)
            if pid in self.kind and self.kind[pid] is None:
                continue
            stat = proc_stat(pid)
            if stat is None:
                continue
            ppid, used, line = stat
            with self.lock:
                if pid not in self.kind:
                    self.kind[pid] = self._classify(pid, ppid, line)
                    self.cmdline[pid] = line
                if self.kind[pid] is not None:
                    self.cpu[pid] = used

    def _run(self):
        while not self.stopped.wait(0.5):
            self.sample()

    def snapshot(self):
        self.sample()
        with self.lock:
            return dict(self.cpu)

    def groups(self, before, after):
        """CPU seconds used between two snapshots, by process group."""
        workers = {}
        for server in self.masters.values():
            for kind, pid in re.findall(r"Worker (Worker\w+) \((\d+)\) alive", server.log_text()):
                workers[int(pid)] = "HTTP workers" if kind == "WorkerHTTP" else "cron (poller)"
        used = collections.Counter()
        for pid, seconds in after.items():
            kind, _master = self.kind.get(pid) or (None, None)
            if kind == "pg":
                group = "PostgreSQL"
            elif kind == "self":
                group = "load generator + emulators"
            elif kind == "child" and " gevent" in self.cmdline.get(pid, ""):
                group = "gevent (bus)"
            elif kind == "child":
                group = workers.get(pid, "Odoo other")
            else:
                group = "Odoo other"  # the master
            used[group] += seconds - before.get(pid, 0.0)
        return used


# ---------------------------------------------------------------------------------------------- bus


class ShopBus(StatePushListener):
    """The bus as one register hears it: every MOBILEPAY_STATE push, with when it came, per reference."""

    def __init__(self, url, origin, cookie, channel):
        self.pushes = collections.defaultdict(list)  # reference -> [(time, payload)]
        super().__init__(url, origin, cookie, channel)

    def heard(self, payload, when):
        self.pushes[payload.get("reference")].append((when, payload))

    def wait_new(self, reference, seen, timeout):
        """The pushes for ``reference`` after the first ``seen``, waiting up to ``timeout`` s for one."""
        deadline = time.monotonic() + timeout
        with self.event:
            while len(self.pushes[reference]) <= seen:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self.event.wait(remaining)
            return self.pushes[reference][seen:]


# ---------------------------------------------------------------------------------------------- a till


class Till:
    """One register and its cashier, on one Odoo server."""

    def __init__(self, bench, register, server, index):
        self.bench = bench
        self.register = register
        self.index = index
        self.rpc = JsonRpc(server.base_url, bench.args.db, timeout=60)
        self.rpc.authenticate()
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.rpc.cookies)
        self.bus = ShopBus(server.websocket_url, server.websocket_origin, cookie, register["access_token"])
        self.phone = f"+4561{index:06d}"  # v10: a customer of its own (one payment at a time per till)
        bench.v10.add_test_user(self.phone)
        self.syncs = []

    def call(self, method, payload, method_id=None, deadline_s=120):
        """As the POS and its cashier do: a lost answer or a busy server (pool full) means trying again."""
        model, args = (METHOD, [[method_id], payload]) if method_id else ("pos.order", [payload])
        return call_until_answered(self.rpc, model, method, args, self.bench.count, deadline_s)

    def serve(self, api, arrivals, t0, last_start, seed):
        """Serve the customers arriving at ``t0 + arrivals`` (seconds) one after the other; none begins after
        ``last_start`` (epoch s): those are counted late. Returns the sales."""
        rng = random.Random(seed)
        sales = []
        for offset in arrivals:
            arrival = t0 + offset
            time.sleep(max(0.0, arrival - time.time()))
            sale = {"api": api, "arrival": arrival, "amount": ordinary_amount(rng), "line_uuid": str(uuid.uuid4())}
            sales.append(sale)
            if time.time() > last_start:
                sale["failed"] = "late: never served"
                continue
            sale["started"] = time.time()
            try:
                if api == "cash":
                    self.book(sale, self.register["cash"])
                else:
                    self.pay(sale, api, rng)
            except Exception as error:  # noqa: BLE001 - a failure is a figure
                sale["failed"] = f"{type(error).__name__}: {str(error)[:80]}"
        for thread in self.syncs:
            thread.join()
        self.syncs = []
        return sales

    def book(self, sale, method_id):
        """The order's sync_from_ui, in the background as the POS does it."""
        def sync():
            order = ui_order(self.register, self.bench.user_id, self.bench.product_id, method_id,
                             str(uuid.uuid4()), [(sale["line_uuid"], sale["amount"])])
            started = time.time()
            try:
                self.call("sync_from_ui", [order])
                sale["synced"] = time.time()
                sale["sync_s"] = sale["synced"] - started
            except Exception as error:  # noqa: BLE001
                sale["failed"] = f"order sync: {type(error).__name__}: {str(error)[:80]}"

        thread = threading.Thread(target=sync, daemon=True)
        thread.start()
        self.syncs.append(thread)

    def customer(self, sale, api, answer, rng):
        """The customer opens the app 1-3 s after the QR is shown and approves."""
        time.sleep(rng.uniform(1.0, 3.0))
        for _ in range(40):
            try:
                sale["accepted"] = time.time()
                if api == "v10":
                    self.bench.v10.user_checkin(answer["beacon_id"], self.phone)
                    sale["accepted"] = time.time()
                    self.bench.v10.user_accept_payment(answer["beacon_id"], self.phone)
                else:
                    self.bench.epayment.approve(answer["transaction_id"])
                return
            except (V10ControlError, EPaymentControlError):
                time.sleep(0.25)  # the payment is not at MobilePay yet
        sale.pop("accepted", None)
        sale["customer_failed"] = True

    def pay(self, sale, api, rng):
        method_id = self.bench.method_ids[api]
        ask = {"pos_session_id": self.register["session"]}
        answer = self.call("mobilepay_start_payment", {**ask, "line_uuid": sale["line_uuid"],
                                                       "order_uuid": str(uuid.uuid4()), "order_name": "Shop",
                                                       "amount": sale["amount"]}, method_id)
        sale["start_s"] = time.time() - sale["started"]
        reference = sale["reference"] = answer["reference"]
        threading.Thread(target=self.customer, args=(sale, api, answer, rng), daemon=True).start()
        # Follow it as the POS does (mobilepay_push.js): a push resets the grace; a paid final push carrying the
        # transaction id is the end, another final push is followed by one status call for its details; without
        # a push for max(3 s, poll_after_ms) the POS asks itself.
        status, seen, deadline = answer, 0, time.monotonic() + FOLLOW_S
        while not status.get("is_final") and time.monotonic() < deadline and not sale.get("customer_failed"):
            grace = max(PUSH_GRACE_S, (status.get("poll_after_ms") or 0) / 1000.0, MIN_POLL_S)
            pushes = self.bus.wait_new(reference, seen, grace)
            seen += len(pushes)
            final = [(at, payload) for at, payload in pushes if payload.get("is_final")]
            if pushes and not final:
                continue
            if final:
                sale.setdefault("pushed", final[0][0])
                pushed = final[0][1]
                if pushed.get("paid") and (pushed.get("transaction_id") or answer.get("transaction_id")):
                    status = pushed
                    self.bench.count("paid pushes acted on without a status call")
                    break
            self.bench.count("status calls after a final push" if final else "status calls without a push")
            status = self.call("mobilepay_payment_status", {**ask, "reference": reference}, method_id)
        if not status.get("paid"):
            if not status.get("is_final"):
                self.call("mobilepay_cancel_payment", {**ask, "reference": reference}, method_id)
            raise RuntimeError("customer could not approve" if sale.get("customer_failed")
                               else f"ended {status.get('state')}")
        sale["pos_paid"] = time.time()
        self.book(sale, method_id)


def poisson_arrivals(rng, per_minute, seconds):
    """Arrival times (s from the phase's start) of a Poisson process of ``per_minute`` customers a minute."""
    times, at = [], rng.expovariate(per_minute / 60.0)
    while at < seconds:
        times.append(at)
        at += rng.expovariate(per_minute / 60.0)
    return times


# ---------------------------------------------------------------------------------------------- the Odoo log

RPC_LINE = re.compile(r' werkzeug: .*?"(?:GET|POST) (\S+) HTTP/[\d.]+" (\d+) \S+ (\d+) ([\d.]+) ([\d.]+)')
RPC_KINDS = (("mobilepay_start_payment", "start"), ("mobilepay_payment_status", "status"),
             ("mobilepay_cancel_payment", "cancel"), ("sync_from_ui", "order sync"),
             ("/vipps/webhook/", "webhook"), ("/pos_mobilepay/notification", "v10 check-in callback"),
             ("/web/session/authenticate", "login"), ("/websocket", "bus websocket"))


def requests_in_log(chunk):
    """Odoo's own log of each HTTP request (``--log-level=info``): per kind, [count, SQL queries, SQL seconds,
    other seconds (Python and every wait that is not SQL)]."""
    kinds = collections.defaultdict(lambda: [0, 0, 0.0, 0.0])
    for path, _status, queries, sql_s, other_s in RPC_LINE.findall(chunk):
        kind = next((name for needle, name in RPC_KINDS if needle in path), "other")
        figures = kinds[kind]
        figures[0] += 1
        figures[1] += int(queries)
        figures[2] += float(sql_s)
        figures[3] += float(other_s)
    return kinds
