"""Check-ins reach the payment that waits for them (issue "ePayment money safety", findings 3 and 4).

* A sticker payment waiting for its customer's scan is never claimed by the poller, and a check-in
  waits for a row another worker holds instead of skipping it (real, separate connections).
* A check-in and a payment start of the same register never miss each other.
* A check-in that cannot be handled now is answered 503, so Vipps MobilePay delivers it again.
* A scan is used only within its token's life counted from ``initiatedAt``, never by a payment that
  started long after it, and the newest scan (by ``initiatedAt``) wins; a register has one sticker.
"""

import json
import threading
import time
from unittest.mock import patch

import psycopg2

from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tests.common import get_db_name
from odoo.tools import mute_logger

from ..controllers import epayment_webhook
from ..mobilepay.epayment import signature
from ..mobilepay.provider import CheckinNotice
from ..models.pos_mobilepay_poller import claim_due, next_due_in
from ..models.pos_mobilepay_transaction import utcnow
from .committed_rows import CommittedEPaymentTill
from .epayment_common import EPaymentCommon


def _notice(pos_id, token, seconds_ago=0):
    moment = utcnow().timestamp() - seconds_ago
    initiated = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + ".1234567Z"
    return CheckinNotice(pos_id=pos_id, customer_token=token, checked_in_at=initiated, merchant_id="123456")


def _hold(till, sql, params, seconds, then=None):
    """In another thread and connection: take the lock(s) of ``sql``, keep them ``seconds``, run ``then``
    (more SQL) and commit. Returns the thread, started once the locks are held."""
    held = threading.Event()

    def run():
        with till.cursor() as cr:
            cr.execute(sql, params)
            held.set()
            time.sleep(seconds)
            if then:
                then(cr)
            cr.commit()

    thread = threading.Thread(target=run)
    thread.start()
    if not held.wait(10):
        raise AssertionError("the other connection did not get its lock")
    return thread


@tagged("post_install", "-at_install")
class TestEPaymentCheckinRaces(TransactionCase):
    """Committed rows and real connections: the test's own cursor is not used for them."""

    def setUp(self):
        super().setUp()
        self.till = CommittedEPaymentTill(self.env.cr.dbname).create()
        self.addCleanup(self.till.remove)

    def checkin(self, token, seconds_ago=0):
        """The webhook's work on a check-in, in a READ COMMITTED connection of its own (as the controller)."""
        with self.till.cursor() as cr:
            cr.execute("SET LOCAL lock_timeout = '10s'")
            env = self.till.env(cr)
            method = env["pos.payment.method"].browse(self.till.method_id)
            found = env["pos.mobilepay.registration"]._mobilepay_on_vipps_checkin(
                method, _notice(self.till.pos_id, token, seconds_ago)
            )
            cr.commit()
        return found

    def test_3_a_payment_waiting_for_its_checkin_is_never_claimed_by_the_poller(self):
        waiting = self.till.waiting_payment()
        with self.till.cursor() as cr:
            # Only this till's row can be claimed here: every other running row is held elsewhere.
            cr.execute("UPDATE pos_mobilepay_transaction SET is_final = true WHERE id != %s AND NOT is_final",
                       (waiting,))
            self.assertIsNone(claim_due(cr, utcnow()), "nothing to send before the scan: not the poller's")
            self.assertIsNone(next_due_in(cr, utcnow()), "no wake-up for it either")
            cr.rollback()

    def test_3_a_checkin_waits_for_a_row_another_worker_holds(self):
        """Another worker (a cashier's cancel that then thinks better of it, a reconciliation) holds the
        waiting payment for a moment when the check-in arrives: the check-in waits and gives it its token,
        it is not parked for the next customer."""
        waiting = self.till.waiting_payment()
        holder = _hold(self.till, "SELECT id FROM pos_mobilepay_transaction WHERE id = %s FOR UPDATE", (waiting,),
                       0.8)
        started = time.monotonic()
        self.assertTrue(self.checkin("token-of-the-customer-at-the-till"))
        holder.join()
        self.assertGreaterEqual(time.monotonic() - started, 0.5, "it waited for the row")
        awaiting, customer = self.till.row("pos_mobilepay_transaction", waiting, "awaiting_checkin", "customer_input")
        self.assertEqual((awaiting, customer), (False, "token-of-the-customer-at-the-till"))
        parked, = self.till.row("pos_mobilepay_registration", self.till.registration_id, "checkin_token")
        self.assertFalse(parked, "nothing kept for the next payment")

    def test_3_a_checkin_and_a_start_of_the_same_register_never_miss_each_other(self):
        """The start holds the register while it makes its payment; the check-in, arriving meanwhile, waits
        and then finds the payment (READ COMMITTED: it reads again after the lock)."""

        def start_payment(cr):
            self.started = self.till.waiting_payment(cr)

        holder = _hold(
            self.till, "SELECT id FROM pos_mobilepay_registration WHERE id = %s FOR UPDATE",
            (self.till.registration_id,), 0.5, then=start_payment,
        )
        self.assertTrue(self.checkin("token-arriving-during-the-start"))
        holder.join()
        customer, = self.till.row("pos_mobilepay_transaction", self.started, "customer_input")
        self.assertEqual(customer, "token-arriving-during-the-start")

    def test_4_the_newest_scan_wins_whatever_order_they_are_delivered_in(self):
        self.assertTrue(self.checkin("newer-scan", seconds_ago=10))
        self.assertTrue(self.checkin("older-scan", seconds_ago=60))  # delivered late
        parked, = self.till.row("pos_mobilepay_registration", self.till.registration_id, "checkin_token")
        self.assertEqual(parked, "newer-scan")

    def test_4_a_scan_older_than_its_token_is_not_used(self):
        waiting = self.till.waiting_payment()
        self.assertTrue(self.checkin("stale-token", seconds_ago=15 * 60))
        awaiting, = self.till.row("pos_mobilepay_transaction", waiting, "awaiting_checkin")
        parked, = self.till.row("pos_mobilepay_registration", self.till.registration_id, "checkin_token")
        self.assertEqual((awaiting, parked), (True, None))

    def test_4_a_scan_made_long_before_the_waiting_payment_started_is_not_given_to_it(self):
        waiting = self.till.waiting_payment()
        self.assertTrue(self.checkin("previous-customers-scan", seconds_ago=6 * 60))
        awaiting, customer = self.till.row("pos_mobilepay_transaction", waiting, "awaiting_checkin", "customer_input")
        self.assertEqual((awaiting, customer), (True, None), "never pushed to the customer before")


@tagged("post_install", "-at_install")
class TestEPaymentCheckinEndpoint(HttpCase):
    """The endpoint under a row another connection holds. The rows are committed before the test's own
    transaction begins, so that its requests see them."""

    @classmethod
    def setUpClass(cls):
        dbname = get_db_name()
        cls.till = CommittedEPaymentTill(dbname).create()
        cls.addClassCleanup(cls.till.remove)
        with cls.till.cursor() as cr:
            method = cls.till.env(cr)["pos.payment.method"].browse(cls.till.method_id)
            url = f"http://127.0.0.1/pos_mobilepay/vipps/webhook/{method.id}"
            method.sudo().write({"vipps_webhook_id": "wh-1", "vipps_webhook_url": url,
                                 "vipps_webhook_secret": "checkin-endpoint-secret"})
            cr.commit()
        cls.url = url
        cls.waiting = cls.till.waiting_payment()
        super().setUpClass()

    def deliver(self, token):
        body = json.dumps({"customerToken": token, "merchantQrId": self.till.pos_id, "msn": "123456",
                           "initiatedAt": _notice("x", "x").checked_in_at}).encode()
        headers = signature.sign("checkin-endpoint-secret", self.url, body)
        headers.pop("Host")
        return self.opener.post(f"{self.base_url()}/pos_mobilepay/vipps/webhook/{self.till.method_id}", data=body,
                                headers=headers, timeout=30)

    def test_3_a_checkin_that_cannot_be_handled_now_is_answered_503_and_lands_when_delivered_again(self):
        holder = _hold(self.till, "SELECT id FROM pos_mobilepay_registration WHERE id = %s FOR UPDATE",
                       (self.till.registration_id,), 2.0)
        with patch.object(epayment_webhook, "LOCK_TIMEOUT", "200ms"), mute_logger(
            "odoo.addons.pos_mobilepay.controllers.epayment_webhook", "odoo.sql_db"
        ):
            answer = self.deliver("token-delivered-twice")
        self.assertEqual(answer.status_code, 503, "Vipps MobilePay delivers it again")
        holder.join()
        self.assertEqual(self.deliver("token-delivered-twice").status_code, 200)
        transaction = self.env["pos.mobilepay.transaction"].sudo().browse(self.waiting)
        self.assertEqual(transaction.customer_input, "token-delivered-twice")
        self.assertFalse(transaction.awaiting_checkin)


@tagged("post_install", "-at_install")
class TestEPaymentCheckinRules(EPaymentCommon):
    mobilepay_values = {"mobilepay_api": "epayment", "vipps_environment": "demo", "vipps_flow": "sticker"}

    def setUp(self):
        super().setUp()
        self.register_webhooks()
        self.mobilepay.action_vipps_create_stickers()
        self.sticker = self.env["pos.mobilepay.registration"].search([("config_id", "=", self.config.id)])

    def checkin_delivery(self, token, timeout=5.0):
        """The delivery (body, headers) of the check-in that gave ``token``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for body, headers in self.delivered(0):
                if json.loads(body).get("customerToken") == token:
                    return body, headers
            time.sleep(0.02)
        self.fail("the check-in was not delivered")

    def scan(self, seconds_ago=0, phone_number=None):
        """A customer scans the sticker; the check-in is passed on to Odoo. Returns the delivery."""
        token = self.vipps.scan_callback_qr(self.sticker.pos_id, phone_number=phone_number,
                                            initiated_ago_s=seconds_ago)
        delivery = self.checkin_delivery(token)
        self.assertEqual(self.forward(*delivery).status_code, 200)
        self.sticker.invalidate_recordset()
        return delivery

    def test_4_a_kept_scan_is_not_given_to_a_payment_started_long_after_it(self):
        self.scan(seconds_ago=6 * 60)
        self.assertTrue(self.sticker.sudo().checkin_token, "kept: nobody waited")
        answer = self.start_payment(20.0)
        self.assertTrue(answer["awaiting_checkin"], "too old for this payment: the customer scans again")
        self.assertFalse(self.sticker.sudo().checkin_token, "and it is gone")

    def test_4_a_kept_scan_goes_to_the_next_payment_started_soon_after(self):
        token = json.loads(self.scan(seconds_ago=30)[0])["customerToken"]
        answer = self.start_payment(20.0)
        self.assertFalse(answer["awaiting_checkin"])
        self.assertEqual(self.transaction(answer["reference"]).customer_input, token)

    def test_4_a_payment_taken_another_way_leaves_no_scan_for_the_next_one(self):
        self.scan()
        self.start_payment(15.0, flow="qr_on_screen")  # that customer pays by QR after all
        self.assertTrue(self.start_payment(16.0)["awaiting_checkin"], "the next customer scans for themselves")
        self.sticker.invalidate_recordset()
        self.assertFalse(self.sticker.sudo().checkin_token)

    def test_4_a_scan_made_during_an_earlier_payment_never_reaches_the_next_customer(self):
        """Customer A's payment is pushed to A; A scans again meanwhile; the next customer's payment must
        not go to A's phone, however A's scans are delivered (again, late)."""
        first = self.transaction(self.start_payment(21.0)["reference"])
        customer_a, customer_b = self.vipps.demo.phone_numbers[:2]
        self.scan(phone_number=customer_a)
        self.drive(first, "waiting_for_approval")
        second_scan = self.scan(phone_number=customer_a)  # A scans again while the payment is in the app
        self.vipps.approve(first.provider_payment_id)
        self.drive(first, "captured")
        self.assertEqual(self.vipps_payment(first)["customer"], customer_a)
        nxt = self.transaction(self.start_payment(22.0)["reference"])
        self.assertTrue(nxt.awaiting_checkin, "A's second scan was not kept for the next sale")
        self.assertEqual(self.forward(*second_scan).status_code, 200)  # delivered again, late
        nxt.invalidate_recordset()
        self.assertTrue(nxt.awaiting_checkin, "nor given to it when it arrives again")
        self.scan(phone_number=customer_b)
        self.drive(nxt, "waiting_for_approval")
        self.assertEqual(self.vipps_payment(nxt)["customer"], customer_b, "pushed to the customer who scanned")

    def test_4_a_running_payment_of_another_flow_does_not_stop_check_ins(self):
        """A parked order's QR payment still waits for its customer; the next customer pays by sticker."""
        self.start_payment(30.0, flow="qr_on_screen")
        sticker_payment = self.transaction(self.start_payment(31.0)["reference"])
        self.scan()
        sticker_payment.invalidate_recordset()
        self.assertFalse(sticker_payment.awaiting_checkin, "the scan made after it started is its own")

    def test_4_a_sticker_two_registers_share_reaches_neither(self):
        """A database from before one sticker per register: a scan is used by nobody (it could be either's)."""
        self.env.cr.execute("DROP INDEX pos_mobilepay_registration_method_pos_uniq")
        other_config = self._new_config("Second till", self.mobilepay)
        self.env["pos.mobilepay.registration"].sudo().create(
            {"config_id": other_config.id, "payment_method_id": self.mobilepay.id}
        ).write({"state": "registered", "pos_id": self.sticker.pos_id})
        waiting = self.transaction(self.start_payment(32.0)["reference"])
        with mute_logger("odoo.addons.pos_mobilepay.models.pos_mobilepay_registration_epayment"):
            self.scan()
        waiting.invalidate_recordset()
        self.assertTrue(waiting.awaiting_checkin)

    def test_4_one_sticker_per_payment_method(self):
        other_config = self._new_config("Second till", self.mobilepay)
        Registration = self.env["pos.mobilepay.registration"].sudo()
        self.sticker.write({"fixed_beacon_id": "123456789012345"})
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.IntegrityError):
            with self.env.cr.savepoint():
                Registration.create({"config_id": other_config.id, "payment_method_id": self.mobilepay.id,
                                     "fixed_beacon_id": "123456789012345"})
