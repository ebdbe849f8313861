"""Races on one payment between the poller, the POS's RPCs and the webhooks, each in a real database
connection of its own (tests/concurrency.py), against the ePayment emulator over HTTP, the
webhooks delivered by the emulator to this Odoo's HTTP server:

a. the customer scans the sticker while the poller holds the till's payment waiting for that scan;
b. the cashier cancels while the poller captures, and the poller comes while the cashier cancels;
c. the AUTHORIZED webhook (delivered twice), two poller threads and the POS's status poll meet on one
   payment while it is being captured;
d. the POS starts the same payment line twice at once (a double click, two workers).

Each ends with what the money and the rows show, at the emulator and in the database. The
emulator holds a capture or cancel for a moment (a ``latency`` fault): the actor that sent it
keeps its row locked meanwhile, and the others are sent in while it is on its way.
"""

import time
import uuid
from datetime import timedelta
from unittest.mock import patch

from odoo.tests import TransactionCase, tagged
from odoo.tests.common import HOST, get_db_name
from odoo.tools import config as odoo_config

from ..mobilepay.epayment.emulator import EPaymentEmulator, EPaymentEmulatorSettings
from ..models import pos_mobilepay_poller
from ..models.pos_mobilepay_poller import _poll_worker, run_pool
from ..models.pos_mobilepay_transaction import utcnow
from ..models.pos_mobilepay_transaction_start import OVERDUE_GRACE_S
from .committed_till import CommittedTill
from .concurrency import Race, share_registry

PAYMENTS = "/epayment/v1/payments"
CHECKED_IN = "user.checked-in.v1"
AUTHORIZED = "epayments.payment.authorized.v1"
# A poller thread's run: it claims what is due now, works it through and ends.
POLLER_RUN_S = 0.3
# How long the emulator holds a capture or cancel before it answers: the other actors come meanwhile.
CALL_HELD_MS = 3500


@tagged("post_install", "-at_install")
class TestConcurrency(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        share_registry(cls)
        cls.vipps = EPaymentEmulator(EPaymentEmulatorSettings.for_tests()).start()
        cls.addClassCleanup(cls.vipps.stop)
        odoo_url = f"http://{HOST}:{odoo_config['http_port']}"
        cls.till = CommittedTill(Race(get_db_name()), cls.vipps.base_url, odoo_url)
        cls.addClassCleanup(cls.till.remove)
        cls.till.create()

    def setUp(self):
        super().setUp()
        self.vipps.reset()
        self.race = Race(get_db_name())
        self.addCleanup(self.till.clear)
        self.addCleanup(self.race.close)  # first: every actor has ended before the rows go
        self.till.prepare()
        self.cashier = {"uid": self.till.user_id}  # an HTTP worker's cursor (REPEATABLE READ), as the cashier

    # ------------------------------------------------------------------ the actors

    def rpc(self, env, name, payload):
        """The POS's RPC ``name`` on the till's payment method, in the cursor of ``env``."""
        method = env["pos.payment.method"].browse(self.till.method_id)
        return getattr(method, name)(dict(payload, pos_session_id=self.till.session_id))

    def pos(self, name, payload):
        """The POS's RPC now, in this thread (a cursor of its own, committed)."""
        with self.race.env(**self.cashier) as env:
            return self.rpc(env, name, payload)

    @staticmethod
    def start_payload(amount, line_uuid=None, **extra):
        return {"line_uuid": line_uuid or str(uuid.uuid4()), "order_uuid": str(uuid.uuid4()),
                "order_name": "Order 00001-001-0001", "amount": amount, **extra}

    def poller(self, name="poller"):
        """A thread of the poller cron, the real one: claims what is due now, works it through, ends."""
        return self.race.start(name, _poll_worker, self.race.registry, time.monotonic() + POLLER_RUN_S)

    @staticmethod
    def poller_step(env, transaction_id):
        """The poller's core step on one row, in its cursor (READ COMMITTED): the row stays locked until
        that cursor commits."""
        if not env["pos.mobilepay.transaction"].browse(transaction_id)._mobilepay_process():
            raise AssertionError("the poller could not lock the row")

    # ------------------------------------------------------------------ what the rows and the emulator show

    def row(self, reference, *columns):
        rows = self.race.sql(
            f"SELECT {', '.join(columns)} FROM pos_mobilepay_transaction WHERE reference = %s",  # noqa: S608
            (reference,),
        )
        self.assertEqual(len(rows), 1, f"one row {reference}")
        return rows[0]

    def make_due(self, reference, seconds=-1):
        self.race.sql(
            "UPDATE pos_mobilepay_transaction SET next_poll_at = (now() at time zone 'utc') + %s * interval '1 second'"
            " WHERE reference = %s", (seconds, reference),
        )

    def created_payment(self, amount):
        """A payment on the till's screen QR: the cashier's start, the poller's create call."""
        reference = self.pos("mobilepay_start_payment", self.start_payload(amount, flow="qr_on_screen"))["reference"]
        self.poller("poller (create)").join()
        self.assertEqual(self.row(reference, "state"), ("waiting_for_customer",))
        self.assertEqual(self.vipps.payment(reference)["state"], "CREATED")
        return reference

    def held(self, reference, operation):
        """The emulator holds the next ``operation`` (capture, cancel) of the payment CALL_HELD_MS before it
        answers. Returns a function that tells whether that call has reached the emulator and is unanswered."""
        path = f"{PAYMENTS}/{reference}/{operation}"
        fault = self.vipps.faults.add(method="POST", path=path, kind="latency", latency_ms=CALL_HELD_MS, times=1)
        return lambda: bool(fault.hits) and not self.requests(reference, operation)

    def requests(self, reference, operation):
        """The answers the emulator gave to ``operation`` requests of the payment, in order."""
        path = f"{PAYMENTS}/{reference}/{operation}"
        return [status for method, logged, status in list(self.vipps.requests_log)
                if (method, logged) == ("POST", path)]

    def events(self, reference, name):
        return [event for event in self.vipps.payment(reference)["events"] if event["name"] == name]

    def money(self, reference):
        """(captured, cancelled) at the emulator, in øre."""
        aggregate = self.vipps.payment(reference)["aggregate"]
        return aggregate["capturedAmount"]["value"], aggregate["cancelledAmount"]["value"]

    def answered(self, event):
        return [d for d in self.vipps.deliveries if d["event"] == event and d["status"] is not None]

    def deliveries(self, event, count=1):
        """The emulator's answered deliveries of ``event`` to this Odoo, once there are ``count``."""
        return self.race.wait_until(lambda: len(found := self.answered(event)) >= count and found,
                                    f"{count} {event} deliveries answered")

    # ------------------------------------------------------------------ a. check-in vs the poller

    def test_a_checkin_while_the_poller_holds_the_waiting_payment_is_not_lost(self):
        """The poller's step holds the till's payment that waits for its sticker scan when the customer
        scans: the check-in webhook waits for the row and gives the payment the customer's token; two
        poller threads at once then send one payment, to that customer."""
        answer = self.pos("mobilepay_start_payment", self.start_payload(25.0))  # the method's flow: the sticker
        reference = answer["reference"]
        self.assertTrue(answer["awaiting_checkin"])
        transaction_id, = self.row(reference, "id")
        holding = self.race.gate("the poller holds the waiting payment")
        poller = self.race.start("poller step", self.poller_step, transaction_id, env={"read_committed": True},
                                 hold=holding)
        holding.wait_reached(poller)
        self.assertTrue(self.race.is_locked("pos_mobilepay_transaction", transaction_id))

        token = self.vipps.scan_callback_qr(self.till.pos_id)  # delivered to Odoo by the emulator
        self.race.wait_until(lambda: self.race.lock_waiters(poller.pid) or self.answered(CHECKED_IN),
                             "the check-in waits for the row the poller holds")
        waited = not self.answered(CHECKED_IN)
        holding.open()
        poller.join()

        self.assertEqual({d["status"] for d in self.deliveries(CHECKED_IN)}, {200})
        (parked,), = self.race.sql("SELECT checkin_token FROM pos_mobilepay_registration WHERE id = %s",
                                   (self.till.registration_id,))
        self.assertEqual((self.row(reference, "awaiting_checkin", "customer_input"), parked), ((False, token), None),
                         "given to the waiting payment, not kept for the next one")
        for actor in (self.poller("poller 1"), self.poller("poller 2")):
            actor.join()
        payments = [(p["reference"], p["customerToken"], p["state"]) for p in self.vipps.dump_state()["payments"]]
        self.assertEqual(payments, [(reference, token, "CREATED")], "one payment, sent to the customer who scanned")
        self.assertEqual(self.row(reference, "state"), ("waiting_for_approval",))
        self.assertTrue(waited, "the check-in came while the poller held the row")

    # ------------------------------------------------------------------ b. the cashier's cancel vs the poller

    def test_b_a_cancel_arriving_while_the_poller_captures_ends_paid(self):
        reference = self.created_payment(40.0)
        self.vipps.approve(reference)
        capturing = self.held(reference, "capture")
        self.make_due(reference)
        poller = self.poller()
        self.race.wait_until(lambda: capturing() or poller.done, "the poller's capture is on its way")
        cancel = self.race.start("cashier's cancel", self.rpc, "mobilepay_cancel_payment", {"reference": reference},
                                 env=self.cashier)
        self.race.wait_until(lambda: self.race.lock_waiters() or cancel.done,
                             "the cancel waits for the row the poller holds")
        in_flight = capturing()
        poller.join()
        answer = cancel.join()

        self.assertEqual((answer["state"], answer["paid"]), ("captured", True), "the cashier is told it is paid")
        self.assertEqual(self.row(reference, "state", "captured_amount"), ("captured", 40.0))
        self.assertEqual(self.money(reference), (4000, 0), "captured, nothing released")
        self.assertEqual((len(self.events(reference, "CAPTURED")), self.requests(reference, "cancel")), (1, []))
        self.assertTrue(in_flight, "the cancel came while the capture was on its way")

    def test_b_the_poller_arriving_while_the_cashier_cancels_leaves_it_cancelled(self):
        """While the cashier's cancel is on its way the customer approves: the AUTHORIZED webhook, two poller
        threads and the POS's status poll come meanwhile. The reservation is released, nothing captured."""
        reference = self.created_payment(60.0)
        self.make_due(reference, 60)  # polled a moment ago
        cancelling = self.held(reference, "cancel")
        cancel = self.race.start("cashier's cancel", self.rpc, "mobilepay_cancel_payment", {"reference": reference},
                                 env=self.cashier)
        self.race.wait_until(lambda: cancelling() or cancel.done, "the cashier's cancel is on its way")
        in_flight = cancelling()
        self.vipps.approve(reference)  # Vipps MobilePay tells Odoo (AUTHORIZED)
        others = [self.poller("poller 1"), self.poller("poller 2"),
                  self.race.start("POS status", self.rpc, "mobilepay_payment_status", {"reference": reference},
                                  env=self.cashier)]
        authorized = self.deliveries(AUTHORIZED)
        status = [actor.join() for actor in others][-1]
        in_flight = in_flight and cancelling()
        answer = cancel.join()
        self.poller("poller (after)").join()

        self.assertEqual((answer["state"], answer["paid"]), ("cancelled_by_cashier", False))
        state, captured = self.row(reference, "state", "captured_amount")
        self.assertEqual((state, captured or 0.0), ("cancelled_by_cashier", 0.0))
        self.assertEqual(self.money(reference), (0, 6000), "released, nothing captured")
        self.assertEqual((self.events(reference, "CAPTURED"), self.requests(reference, "capture")), ([], []))
        self.assertEqual(({d["status"] for d in authorized}, status["paid"]), ({200}, False))
        self.assertTrue(in_flight, "the webhook, the pollers and the POS came while the cancel was on its way")

    # ------------------------------------------------------------------ c. webhook, pollers and the POS at once

    def test_c_the_authorized_webhook_pollers_and_the_pos_capture_once(self):
        """The AUTHORIZED webhook makes the payment due; while the poller that took it captures, the same
        event is delivered again, a second poller thread comes, and the POS (the poller looks overdue to it)
        steps the payment itself: one capture at Vipps MobilePay."""
        reference = self.created_payment(75.5)
        self.make_due(reference, 60)  # polled a moment ago: the webhook is what tells of the approval
        capturing = self.held(reference, "capture")
        self.vipps.approve(reference)
        self.assertEqual({d["status"] for d in self.deliveries(AUTHORIZED)}, {200})
        (due_at,) = self.row(reference, "next_poll_at")
        self.assertLessEqual(due_at, utcnow(), "the webhook made the payment due")

        first = self.poller("poller 1")
        self.race.wait_until(lambda: capturing() or first.done, "the first poller's capture is on its way")
        self.vipps.redeliver(next(i for i, d in enumerate(self.vipps.deliveries) if d["event"] == AUTHORIZED))
        second = self.poller("poller 2")
        self.race.wait_until(lambda: (utcnow() - due_at).total_seconds() > OVERDUE_GRACE_S + 0.1, "overdue")
        status = self.race.start("POS status", self.rpc, "mobilepay_payment_status", {"reference": reference},
                                 env=self.cashier)
        redelivered = self.deliveries(AUTHORIZED, count=2)
        second.join()
        early = status.join()
        in_flight = capturing()
        first.join()
        self.poller("poller (after)").join()

        answer = self.pos("mobilepay_payment_status", {"reference": reference})
        self.assertEqual((answer["state"], answer["paid"]), ("captured", True))
        self.assertEqual(self.row(reference, "state", "captured_amount"), ("captured", 75.5))
        self.assertEqual(self.requests(reference, "capture"), [200], "one capture request")
        self.assertEqual((len(self.events(reference, "CAPTURED")), self.money(reference)), (1, (7550, 0)))
        self.assertEqual(({d["status"] for d in redelivered}, early["paid"]), ({200}, False))
        self.assertTrue(in_flight, "the webhook, the second poller and the POS came while the capture was on its way")

    # ------------------------------------------------------------------ d. two starts of one line at once

    def test_d_two_starts_of_one_line_at_once_make_one_payment(self):
        lines = [str(uuid.uuid4()) for _index in range(3)]
        starts = []
        for line in lines:
            payload = self.start_payload(19.95, line_uuid=line, flow="qr_on_screen")
            starts.append(self.race.start_together(2, f"start {line[:8]}", self.rpc, "mobilepay_start_payment",
                                                   payload, env=self.cashier))
        references = set()
        for line, actors in zip(lines, starts, strict=True):
            first, second = (actor.join()["reference"] for actor in actors)
            self.assertEqual(first, second, "both clicks are answered with the same payment")
            rows = self.race.sql("SELECT reference FROM pos_mobilepay_transaction WHERE line_uuid = %s", (line,))
            self.assertEqual(rows, [(first,)], "one row for the line")
            references.add(first)
        for actor in (self.poller("poller 1"), self.poller("poller 2")):
            actor.join()

        payments = [p["reference"] for p in self.vipps.dump_state()["payments"]]
        self.assertEqual(sorted(payments), sorted(references), "one payment at Vipps MobilePay per line")
        creates = [s for method, path, s in list(self.vipps.requests_log) if (method, path) == ("POST", PAYMENTS)]
        self.assertEqual(len(creates), len(lines), "one create call per line")
        for reference in references:
            self.assertEqual(self.row(reference, "state"), ("waiting_for_customer",))

    # ------------------------------------------------------------------ a poller run (the cron's threads)

    def pool_run(self, budget=4.0, size=4):
        """A whole poller run, as the cron makes it: ``size`` workers and the watcher, in a thread."""
        return self.race.start("poller run", run_pool, self.race.registry, budget, size)

    def counted_claims(self):
        """The poller's claims while patched: (when, the id it claimed or None)."""
        claims = []
        real = pos_mobilepay_poller.claim_due

        def counting(cr, now):
            claimed = real(cr, now)
            claims.append((utcnow(), claimed))
            return claimed

        return claims, patch.object(pos_mobilepay_poller, "claim_due", counting)

    def claimed_at(self, claims, reference):
        row_id = self.row(reference, "id")[0]
        times = [when for when, claimed in claims if claimed == row_id]
        self.assertTrue(times, "the payment was claimed")
        return times[0]

    def test_e_a_run_polls_a_payment_when_it_is_due_and_idle_threads_ask_nothing_meanwhile(self):
        reference = self.created_payment(21.0)
        claims, counting = self.counted_claims()
        with counting:
            self.make_due(reference, seconds=1.5)
            due = utcnow() + timedelta(seconds=1.5)
            self.pool_run(budget=3.0, size=4).join()
        claimed = self.claimed_at(claims, reference)
        self.assertGreaterEqual(claimed, due - timedelta(milliseconds=100), "not claimed before it was due")
        self.assertLess(claimed, due + timedelta(milliseconds=500), "claimed when due, not a poll round later")
        # Four threads waiting 1.5 s used to claim every 50-200 ms each (30 or more claims); now the watcher
        # sleeps until the payment is due and hands out one claim, and a worker that claimed wakes one more.
        self.assertLessEqual(len(claims), 8, f"{len(claims)} claims while one payment was due once")

    def test_e_a_notify_wakes_a_sleeping_run_at_once(self):
        reference = self.created_payment(22.0)
        claims, counting = self.counted_claims()
        with counting:
            self.make_due(reference, seconds=2.5)
            run = self.pool_run(budget=4.0, size=2)
            time.sleep(0.5)  # the watcher sleeps until the payment is due, 2.5 s from now
            with self.race.env() as env:  # a webhook makes it due now, as _mobilepay_on_payment_notice does
                env.cr.execute("UPDATE pos_mobilepay_transaction SET next_poll_at = (now() at time zone 'utc') "
                               "WHERE reference = %s", (reference,))
                env["pos.mobilepay.transaction"]._mobilepay_trigger_poller()
            woken = utcnow()  # committed: the NOTIFY goes out now
            run.join()
        self.assertLess(self.claimed_at(claims, reference), woken + timedelta(milliseconds=500),
                        "the NOTIFY woke the run, not the payment's due time")
