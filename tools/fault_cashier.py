"""One register of the fault run: customers one after the other, as the POS, the cashier and the
customer would act (JSON-RPC to Odoo as the POS makes it; the customer acts in the emulator).

A sticker register (ePayment) has its customer scan the till's QR sticker, before or after the
cashier starts the payment, scan again when nothing reaches their app (and sometimes, impatient,
when it already has), and approve only a payment that reached their own phone. Every scan is
written down per sale: the run's ledger then counts any payment pushed to a customer other than
the one who scanned for it.
"""

import random
import threading
import time
import uuid

from odoo_harness import SPECIAL_AMOUNTS, JsonRpc, RpcError, ordinary_amount

METHOD = "pos.payment.method"
BEHAVIOURS = ["approve", "reject", "cashier cancels", "walk away", "cancel while approving"]
WEIGHTS = [80, 6, 4, 4, 6]


class Cashier:
    def __init__(self, run, register, seed):
        self.run = run
        self.register = register
        self.method_id = register.get("method") or run.method_id
        self.sticker = register.get("sticker")
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
                    return self.rpc.call(model, method, [[self.method_id], payload])
                return self.rpc.call(model, method, [payload])
            except ConnectionError:
                self.run.stats.add("rpc answers lost")
                if not retry_lost or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 4)
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

    def customer(self, kind, answer, phone=None):
        """Act as the customer in the emulator while the payment waits (approve, reject or walk away)."""
        if kind == "walk away":
            return
        time.sleep(self.rng.uniform(0.1, 0.8))
        backend = self.run.backend
        for _ in range(40):
            try:
                backend.customer_acts(kind, answer, self.beacon_id, phone)
                return
            except backend.not_there_yet as error:
                if "was sent to" in str(error):
                    self.run.stats.add("approval refused: the payment reached another customer")
                    return
                time.sleep(0.25)  # the payment is not at MobilePay yet (its create is on its way)

    def sticker_customer(self, kind, answer, phone, line_uuid):
        """The customer at a sticker till: scans, waits for the payment in their app, scans again when
        nothing comes (a check-in late or lost), then acts on it — if it reached their phone."""
        backend = self.run.backend
        reference = answer["transaction_id"]
        for _scan in range(4):
            payment = None
            deadline = time.monotonic() + self.rng.uniform(6, 10)
            while time.monotonic() < deadline and payment is None:
                payment = backend.sticker_payment(reference)
                if payment is None:
                    time.sleep(0.3)
            if payment is not None:
                break
            self.run.stats.add("customer scans again (nothing in the app)")
            self.scan(phone, line_uuid)
        else:
            return  # the cashier gives up and cancels
        if payment["customer"] and payment["customer"] != phone:
            self.run.stats.add("payment request reached another customer's phone")
            return
        if self.rng.random() < 0.2:
            # An impatient customer scans once more with the request already in the app: that scan (and
            # its deliveries, late or twice) must never reach the next customer's payment.
            self.run.stats.add("second scans while the payment is in the app")
            self.scan(phone, line_uuid)
        if kind != "walk away":
            self.customer(kind, answer, phone)

    def scan(self, phone, line_uuid):
        self.run.scanned(line_uuid, phone)
        try:
            self.run.backend.scan(self.sticker, phone)
            self.run.stats.add("sticker scans")
        except self.run.backend.not_there_yet as error:
            self.run.log(f"scan refused: {error}")

    # ------------------------------------------------------------------ one sale

    def sale(self):
        line_uuid = str(uuid.uuid4())
        amount = ordinary_amount(self.rng)
        behaviour = self.rng.choices(BEHAVIOURS, weights=WEIGHTS)[0]
        if self.sticker and behaviour == "cancel while approving":
            behaviour = "approve"
        phone = self.run.next_phone() if self.sticker else None
        order_uuid = str(uuid.uuid4())
        for _attempt in range(3):
            scan_first = self.sticker and self.rng.random() < 0.4
            if scan_first:
                self.scan(phone, line_uuid)
                time.sleep(self.rng.uniform(0, 1.5))
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
            status = self._pay(behaviour, answer, phone, line_uuid, scan_first)
            self.run.stats.add(f"payment ended {status['state']}")
            if status["paid"]:
                self.book(line_uuid, amount)
                self.payments.append((line_uuid, amount, answer["reference"]))
                break
            if behaviour != "approve" or not status["is_final"]:
                break  # the customer said no, or walked away: no retry

    def _pay(self, behaviour, answer, phone, line_uuid, scanned):
        """What happens while the payment runs; returns its final status as the POS sees it."""
        if behaviour == "cashier cancels":
            time.sleep(self.rng.uniform(0.2, 1.0))
            self.call("mobilepay_cancel_payment", self.ask(reference=answer["reference"]))
        elif behaviour == "cancel while approving":
            # The customer is in 3-D Secure when the cashier cancels: Vipps refuses (6250), then the
            # customer's approval lands; the reservation must be released, not kept.
            self.run.stats.add("cashier cancels while the customer approves")
            threading.Thread(target=self.customer, args=("approve slowly", answer), daemon=True).start()
            time.sleep(self.rng.uniform(1.0, 2.0))
            self.call("mobilepay_cancel_payment", self.ask(reference=answer["reference"]))
        elif self.sticker:
            if not scanned:
                time.sleep(self.rng.uniform(0.2, 1.5))
                self.scan(phone, line_uuid)
            threading.Thread(target=self.sticker_customer, args=(behaviour, answer, phone, line_uuid),
                             daemon=True).start()
        else:
            threading.Thread(target=self.customer, args=(behaviour, answer), daemon=True).start()
        give_up = 20 if behaviour == "walk away" else 60
        return self.follow(answer["reference"], give_up_s=give_up)

    def book(self, line_uuid, amount, refund_of=None):
        """sync_from_ui of the paid order (or of the refund order), as the POS sends it."""
        order_uuid = str(uuid.uuid4())
        order = self.run.ui_order(self.register, order_uuid, [(line_uuid, amount)], self.method_id)
        try:
            self.call("sync_from_ui", [order], model="pos.order")
            self.run.stats.add("refund orders booked" if refund_of else "orders booked")
        except RpcError as error:
            self.run.stats.add("order sync refused")
            self.run.log(f"order sync refused: {error.message[:160]}")

    def tampered(self):
        """A POS (or an insider) books MobilePay money that MobilePay never took."""
        order = self.run.ui_order(self.register, str(uuid.uuid4()), [(str(uuid.uuid4()), 42.0)], self.method_id)
        try:
            self.call("sync_from_ui", [order], model="pos.order")
            self.run.stats.add("tampered orders accepted")
        except RpcError:
            self.run.stats.add("tampered orders refused")

    def refund(self):
        index = self.rng.randrange(len(self.payments))
        line_uuid, left, reference = self.payments[index]
        amount = min(left, max(0.01, round(left * self.rng.choice([1.0, 0.5, 0.25]), 2)))
        if round(amount * 100) in SPECIAL_AMOUNTS:
            amount = round(amount - 0.1, 2) if amount > 1 else 0.01
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
