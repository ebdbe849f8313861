"""What the benchmarks and the fault run share: a scratch Odoo 19.0 database with the addon, an
Odoo server they can start, kill and restart, and JSON-RPC calls as the POS makes them.

Run with Odoo's own Python (it has Odoo importable and websocket-client). Nothing here
installs Odoo: it uses the one the caller names (``--odoo-bin``, default ``odoo`` on PATH).
"""

import ast
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar

from mobilepay.epayment.emulator.special_amounts import APPROVAL_FAILURES, REFUND_FAILURES, UNKNOWN_RESULT

ADDON_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGISTERS_SCRIPT = r"""
import json
from odoo import Command
env = env(user=env.ref("base.user_admin"))
for key, value in {params!r}.items():
    env["ir.config_parameter"].sudo().set_param(key, value)
env.cr.commit()  # registrations are made in cursors of their own: they must see the emulator URL
env["pos.config"]._mobilepay_create_demo_shop()
demo = env["pos.config"].search([("name", "=", "MobilePay Shop (DKK)")], limit=1)
mobilepay = demo.payment_method_ids.filtered(lambda m: m.use_payment_terminal == "mobilepay")
if {method_values!r}:
    mobilepay.write({method_values!r})
# ePayment: a second method in the sticker flow for the last registers, webhooks to this server.
sticker = None
if {sticker}:
    sticker = mobilepay.copy({{"name": "Vipps MobilePay (sticker)", "vipps_flow": "sticker",
                              "payment_method_type": "terminal", "use_payment_terminal": "mobilepay"}})
webhooks = {{}}
if {public_url!r}:
    for method in (mobilepay | sticker) if sticker else mobilepay:
        method.write({{"vipps_public_url": {public_url!r}}})
        webhooks[method.id] = method.action_vipps_register_webhooks()["params"]["type"]
product = env["product.product"].create(
    {{"name": "Harness Item", "type": "service", "available_in_pos": True, "list_price": 1.0, "taxes_id": False}}
)
registers = []
for index in range({registers}):
    config = demo if index == 0 else demo.copy({{"name": f"MobilePay Register {{index}}"}})
    # A cash method belongs to one register: the copies take MobilePay only.
    methods = demo.payment_method_ids if index == 0 else mobilepay
    uses_sticker = sticker and index >= {registers} - {sticker}
    if uses_sticker:
        methods = sticker
    config.write({{"payment_method_ids": [Command.set(methods.ids)]}})
    env.cr.commit()  # the register's MobilePay PoS is registered at session open, in a cursor of its own
    config.open_ui()
    session = config.current_session_id
    session.set_opening_control(0, "")
    env.cr.commit()  # the sticker was registered at session open in a cursor of its own: see it
    registration = env["pos.mobilepay.registration"].search(
        [("config_id", "=", config.id), ("payment_method_id", "=", sticker.id)]) if uses_sticker else None
    registers.append({{"config": config.id, "session": session.id, "pricelist": config.pricelist_id.id,
                      "access_token": config.access_token,
                      "method": (sticker if uses_sticker else mobilepay).id,
                      "sticker": registration.pos_id if registration else None}})
env.cr.commit()
print("REGISTERS", json.dumps({{"method": mobilepay.id, "product": product.id, "user": env.uid,
                               "registers": registers, "webhooks": webhooks}}))
"""

# Amounts (minor units) the ePayment emulator declines as the test environment does (special_amounts.py):
# the benchmarks and the fault run measure lost answers, crashes and load, not declined cards, so their
# cashiers never take them.
SPECIAL_AMOUNTS = frozenset(APPROVAL_FAILURES) | {UNKNOWN_RESULT} | frozenset(REFUND_FAILURES)


def ordinary_amount(rng):
    """A sale of 1.00 to 999.99 that no emulator declines."""
    minor = rng.randint(100, 99999)
    while minor in SPECIAL_AMOUNTS:
        minor += 100
    return minor / 100


# The traceback of a gevent that cannot start (gevent 22.10 with current zope wheels):
# without the websocket process the POS gets no bus pushes at all.
GEVENT_BROKEN = "DistributionNotFound"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, **kw):
    print("$", " ".join(shlex.quote(c) for c in cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def addons_path(work, extra=None):
    """This addon (linked as ``pos_mobilepay`` under ``work``) plus Odoo's own addons folders."""
    addons = os.path.join(work, "addons")
    os.makedirs(addons, exist_ok=True)
    link = os.path.join(addons, "pos_mobilepay")
    if not os.path.exists(link):
        os.symlink(ADDON_ROOT, link)
    if extra:
        return f"{extra},{addons}"
    import odoo  # noqa: PLC0415 - only with Odoo's Python

    # Odoo 19's odoo is a namespace package (no __file__): its folders are odoo.__path__.
    guess = []
    for package in map(os.path.abspath, odoo.__path__):
        for path in (os.path.join(package, "addons"), os.path.join(os.path.dirname(package), "addons")):
            if os.path.isdir(path) and path not in guess:
                guess.append(path)
    return ",".join(guess + [addons])


def addon_series():
    """The Odoo series the addon is for: the manifest's version's first two numbers ("19.0")."""
    with open(os.path.join(ADDON_ROOT, "__manifest__.py"), encoding="utf-8") as manifest:
        version = ast.literal_eval(manifest.read())["version"]
    return ".".join(version.split(".")[:2])


def check_odoo(odoo_bin):
    """Stop with the reason unless ``odoo_bin`` is a working Odoo of the addon's series."""
    series = addon_series()
    try:
        said = subprocess.run([odoo_bin, "--version"], capture_output=True, text=True, timeout=120, check=False)
    except OSError as error:
        raise SystemExit(f"{odoo_bin} is not a working Odoo {series}: {error.strerror or error}") from None
    last = (said.stdout + said.stderr).strip().splitlines()[-1:] or ["nothing"]
    if said.returncode != 0:
        raise SystemExit(f"{odoo_bin} is not a working Odoo {series}: --version failed ({last[0]})")
    if f"Odoo Server {series}" not in said.stdout:
        raise SystemExit(f"{odoo_bin} is not Odoo {series} (it says: {last[0]}); this addon is for Odoo {series}.")


def pg_args(db_args):
    host = [a.split("=", 1)[1] for a in db_args if a.startswith("--db_host=")]
    user = [a.split("=", 1)[1] for a in db_args if a.startswith("--db_user=")]
    return (["-h", host[0]] if host else []) + (["-U", user[0]] if user else [])



def add_odoo_arguments(parser):
    """The options of every tool here that runs the addon on a scratch copy of an Odoo database."""
    parser.add_argument("--db", required=True, help="scratch database (modified)")
    parser.add_argument("--template", help="copy this database first (createdb -T); it must have point_of_sale")
    parser.add_argument("--odoo-bin", default=shutil.which("odoo") or "odoo", help="the odoo command")
    parser.add_argument("--addons-path", help="Odoo's addons path (default: Odoo's own + this addon)")
    parser.add_argument("--db-args", default="", help='e.g. "--db_host=127.0.0.1 --db_user=root"')

class OdooSetup:
    """A scratch database and the command line to run Odoo on it."""

    def __init__(self, odoo_bin, db, db_args, addons):
        check_odoo(odoo_bin)
        self.odoo_bin = odoo_bin
        self.db = db
        self.db_args = list(db_args)
        self.addons = addons

    @property
    def common(self):
        return [self.odoo_bin, "-d", self.db, *self.db_args, f"--addons-path={self.addons}"]

    def create(self, template=None):
        """Copy ``template`` (a database with point_of_sale) when given, then install pos_mobilepay."""
        if template:
            pg = pg_args(self.db_args)
            subprocess.run(["dropdb", *pg, "--if-exists", self.db], check=False)
            run(["createdb", *pg, "-T", template, self.db])
            store = os.path.expanduser("~/.local/share/Odoo/filestore")
            if os.path.isdir(os.path.join(store, template)):
                shutil.rmtree(os.path.join(store, self.db), ignore_errors=True)
                shutil.copytree(os.path.join(store, template), os.path.join(store, self.db))
        run([*self.common, "--log-level=warn", "-i", "pos_mobilepay", "--stop-after-init"])

    def shell(self, script):
        """Run ``script`` in ``odoo shell``; returns its standard output (raises with the output on failure)."""
        shell = subprocess.run(
            [self.odoo_bin, "shell", *self.common[1:], "--log-level=warn", "--no-http"],
            input=script,
            text=True,
            capture_output=True,
            check=False,
        )
        if shell.returncode != 0 or "Traceback" in shell.stderr:
            raise RuntimeError(f"odoo shell failed:\n{shell.stdout[-3000:]}\n{shell.stderr[-3000:]}")
        return shell.stdout

    def registers(self, count, params, method_values=None, sticker=0, public_url=None):
        """Create ``count`` DKK registers taking MobilePay in demo mode, sessions open; ``params`` are
        system parameters set first (the emulator URL among them), ``method_values`` fields of the
        MobilePay method (e.g. a callback alias). ePayment: the last ``sticker`` registers take a
        second method in the sticker flow, and with ``public_url`` (this server's address) both
        methods register their webhooks there. Returns the method, product, user, the webhook
        registrations' outcome and, per register, its config, session, pricelist, bus access token,
        MobilePay method and sticker id."""
        out = self.shell(
            REGISTERS_SCRIPT.format(params=dict(params), registers=count, method_values=dict(method_values or {}),
                                    sticker=int(sticker), public_url=public_url or "")
        )
        return json.loads(next(line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("REGISTERS")))

    def server(self, log_path, workers=2, cron_threads=1, extra=()):
        return OdooServer(self, log_path, workers=workers, cron_threads=cron_threads, extra=extra)

    def pool_size(self):
        """Odoo's connection pool per process (``--db_maxconn``), as this set-up runs it."""
        given = [a.split("=", 1)[1] for a in self.db_args if a.startswith("--db_maxconn=")]
        return int(given[-1]) if given else 64


class OdooServer:
    """An Odoo server process group that can be killed (SIGKILL, as a crash) and started again."""

    def __init__(self, setup, log_path, workers=2, cron_threads=1, extra=()):
        self.setup = setup
        self.log_path = log_path
        self.port = free_port()
        self.gevent_port = free_port()
        self.workers = workers
        self.cron_threads = cron_threads
        self.extra = list(extra)
        self.process = None
        self.kills = 0

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=120):
        log = open(self.log_path, "a")  # noqa: SIM115 - handed to the child
        self.process = subprocess.Popen(
            [
                *self.setup.common,
                f"--http-port={self.port}",
                "--http-interface=127.0.0.1",
                f"--gevent-port={self.gevent_port}",
                f"--workers={self.workers}",
                f"--max-cron-threads={self.cron_threads}",
                "--log-level=info",
                *self.extra,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill takes the workers with it
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Odoo exited at start; see {self.log_path}")
            try:
                urllib.request.urlopen(f"{self.base_url}/web/health", timeout=1)
                return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"Odoo did not start; see {self.log_path}")

    def kill(self):
        """SIGKILL the whole server (master, HTTP and cron workers, websocket process): a crash."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.kills += 1

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def log_text(self):
        with open(self.log_path, errors="replace") as log:
            return log.read()

    def gevent_broken(self):
        return GEVENT_BROKEN in self.log_text()


class RpcError(Exception):
    """Odoo answered the call with an error (a UserError, an AccessError, a crash)."""

    def __init__(self, error):
        data = error.get("data") or {}
        self.name = data.get("name") or ""
        self.message = data.get("message") or error.get("message") or "error"
        super().__init__(f"{self.name}: {self.message}")


# Answers of a busy server (its pool or PostgreSQL's connections full): a cashier tries again.
BUSY = ("Connection Pool Is Full", "too many clients", "could not connect to server")


def call_until_answered(rpc, model, method, args, count, deadline_s=120):
    """As the POS and its cashier do: a lost answer or a busy server means trying again (every 0.5 s, for
    ``deadline_s``); ``count(name)`` is told of each. Any other error is raised."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return rpc.call(model, method, args)
        except ConnectionError:
            count("rpc answers lost")
        except RpcError as error:
            if not any(word in error.message for word in BUSY):
                raise
            count("server busy, tried again")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{method}: no answer in {deadline_s} s")
        time.sleep(0.5)


class JsonRpc:
    """JSON-RPC as the web client sends it, with its own session cookie."""

    def __init__(self, base_url, db, login="admin", password="admin", timeout=30):
        self.base_url = base_url
        self.db = db
        self.login = login
        self.password = password
        self.timeout = timeout
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self._id = 0

    def _post(self, path, params):
        self._id += 1
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params, "id": self._id}).encode()
        request = urllib.request.Request(
            self.base_url + path, data=body, headers={"Content-Type": "application/json"}
        )
        with self.opener.open(request, timeout=self.timeout) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            raise RpcError(answer["error"])
        return answer.get("result")

    def authenticate(self):
        return self._post("/web/session/authenticate", {"db": self.db, "login": self.login, "password": self.password})

    def call(self, model, method, args, kwargs=None):
        """Call ``model.method(*args)``; ``ConnectionError`` when no answer came (server down, killed)."""
        try:
            return self._post(
                f"/web/dataset/call_kw/{model}/{method}",
                {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
            )
        except RpcError:
            raise
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise ConnectionError(str(error)) from None


def ui_order(register, user_id, product_id, method_id, order_uuid, lines):
    """An order as the POS sends it to ``sync_from_ui``: one product line, MobilePay lines ``(uuid, amount)``."""
    total = round(sum(amount for _, amount in lines), 2)
    return {
        "uuid": order_uuid,
        "name": f"Order {order_uuid[:8]}",
        "session_id": register["session"],
        "state": "paid",
        "user_id": user_id,
        "pricelist_id": register["pricelist"],
        "sequence_number": 1,
        "date_order": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "amount_paid": total,
        "amount_return": 0,
        "amount_tax": 0,
        "amount_total": total,
        "last_order_preparation_change": "{}",
        "lines": [
            [0, 0, {"product_id": product_id, "qty": 1 if total > 0 else -1, "price_unit": abs(total),
                    "price_subtotal": total, "price_subtotal_incl": total, "tax_ids": [], "pack_lot_ids": []}]
        ],
        "payment_ids": [
            [0, 0, {"payment_method_id": method_id, "amount": amount, "uuid": line_uuid, "name": "x"}]
            for line_uuid, amount in lines
        ],
    }


class StatePushListener:
    """The bus as one POS register hears it: a websocket subscribed to its config's channel, reconnecting
    as the POS's bus does; every ``MOBILEPAY_STATE`` push goes to ``heard(payload, when)``, called with
    ``self.event`` (a Condition) held, which is notified after it."""

    def __init__(self, url, origin, cookie, channel):
        self.url, self.origin, self.cookie, self.channel = url, origin, cookie, channel
        self.event = threading.Condition()
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def heard(self, payload, when):
        raise NotImplementedError

    def _run(self):
        import websocket  # noqa: PLC0415 - websocket-client, in Odoo's environment

        while not self.stopped:
            try:
                ws = websocket.create_connection(self.url, origin=self.origin, cookie=self.cookie, timeout=60)
                ws.send(json.dumps({"event_name": "subscribe", "data": {"channels": [self.channel], "last": 0}}))
                while not self.stopped:
                    for notification in json.loads(ws.recv()):
                        message = notification.get("message") or {}
                        if str(message.get("type", "")).endswith("MOBILEPAY_STATE"):
                            with self.event:
                                self.heard(message.get("payload") or {}, time.time())
                                self.event.notify_all()
            except Exception:  # noqa: BLE001 - reconnect, as the POS's bus does
                if not self.stopped:
                    time.sleep(0.5)

    def stop(self):
        self.stopped = True

