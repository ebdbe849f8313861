"""The poller's claims: several pollers (threads, cron threads, Odoo servers) share the due
transactions without ever holding the same one, and only due ones are claimed."""

import threading
import time
import uuid
from contextlib import closing
from datetime import timedelta
from unittest.mock import patch

from odoo import sql_db
from odoo.tests import TransactionCase, tagged

from ..models.pos_mobilepay_poller import DUE_SQL, _poll_worker, claim_due, due_params, next_due_in
from ..models.pos_mobilepay_transaction import utcnow
from .committed_rows import CommittedEPaymentTill


@tagged("post_install", "-at_install")
class TestMobilePayPollerClaims(TransactionCase):
    """Real, separate database connections: the rows they share are committed, then removed."""

    def setUp(self):
        super().setUp()
        # A register committed through a connection of its own (with or without demo data): rows of other
        # connections can point at it.
        self.till = CommittedEPaymentTill(self.env.cr.dbname).create()
        self.addCleanup(self.till.remove)
        self.ids = []
        self.addCleanup(self._remove_rows)

    def _connection(self):
        return closing(sql_db.db_connect(self.env.cr.dbname).cursor())

    def _insert(self, count, **values):
        now = utcnow()
        row = {
            "kind": "payment",
            "state": "waiting_for_customer",
            "intent": "capture",
            "next_poll_at": now - timedelta(seconds=1),
            "error_count": 0,
            **values,
        }
        with self._connection() as cr:
            for _ in range(count):
                cr.execute(
                    """INSERT INTO pos_mobilepay_transaction
                       (reference, kind, config_id, company_id, payment_method_id, currency_id, amount, state,
                        is_final, intent, next_poll_at, error_count, create_date, write_date, registration_id,
                        last_poll_at, poll_delay_ms)
                       VALUES (%s, %s, %s, %s, %s, %s, 10, %s, false, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                    (
                        str(uuid.uuid4()),
                        row["kind"],
                        self.till.config_id,
                        self.till.company_id,
                        self.till.method_id,
                        self.till.currency_id,
                        row["state"],
                        row["intent"],
                        row["next_poll_at"],
                        row["error_count"],
                        now,
                        now,
                        row.get("registration_id"),
                        row.get("last_poll_at"),
                        row.get("poll_delay_ms"),
                    ),
                )
                self.ids.append(cr.fetchone()[0])
            cr.commit()
        return self.ids[-count:]

    def _remove_rows(self):
        if self.ids:
            with self._connection() as cr:
                cr.execute("DELETE FROM pos_mobilepay_transaction WHERE id IN %s", (tuple(self.ids),))
                cr.commit()

    def _claim_all(self, pollers):
        """``pollers`` connections each claim one row at once (a poller holds its claim until it commits)."""
        claims = [None] * pollers
        all_claimed = threading.Barrier(pollers)

        def poller(index):
            with self._connection() as cr:
                claims[index] = claim_due(cr, utcnow())
                all_claimed.wait(timeout=20)  # every claim is held until all pollers have claimed
                cr.rollback()

        threads = [threading.Thread(target=poller, args=(index,)) for index in range(pollers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        return claims

    def _due_elsewhere(self):
        """Due rows other connections see that are not this test's (none on a fresh database)."""
        with self._connection() as cr:
            cr.execute(
                f"SELECT count(*) FROM pos_mobilepay_transaction WHERE {DUE_SQL} AND NOT id = ANY(%(ours)s)",  # noqa: S608
                {**due_params(utcnow()), "ours": self.ids},
            )
            return cr.fetchone()[0]

    def test_pollers_never_claim_the_same_row(self):
        ours = set(self._insert(6))
        pollers = 6 + self._due_elsewhere() + 3
        claims = self._claim_all(pollers)
        claimed = [c for c in claims if c is not None]
        self.assertEqual(len(claimed), len(set(claimed)), "no row claimed twice")
        self.assertEqual(set(claimed) & ours, ours, "every due row claimed by one poller")
        self.assertEqual(claims.count(None), 3, "the pollers left over found nothing to do")

    def test_only_due_rows_are_claimed(self):
        soon = utcnow() + timedelta(seconds=30)
        self._insert(1, next_poll_at=soon)  # polled a moment ago
        self._insert(1, state="unknown", next_poll_at=soon)  # its re-send waits for its back-off
        self._insert(1, state="reserved", next_poll_at=soon, error_count=2)  # its capture failed: back-off
        due = set(self._insert(1, state="reserved", next_poll_at=soon))  # to capture now
        due |= set(self._insert(1, intent="cancel", next_poll_at=soon))  # to cancel now
        claimed = {c for c in self._claim_all(4 + self._due_elsewhere()) if c in self.ids}
        self.assertEqual(claimed, due)
        with self._connection() as cr:
            self.assertEqual(next_due_in(cr, utcnow()), 0, "something is due now")
            cr.execute("UPDATE pos_mobilepay_transaction SET is_final = true WHERE id IN %s", (tuple(due),))
            wait = next_due_in(cr, utcnow())
            self.assertTrue(25 < wait <= 30, wait)
            cr.rollback()

    def test_a_checkin_notification_makes_the_waiting_payments_of_its_pos_due(self):
        registration = self.env["pos.mobilepay.registration"].browse(self.till.registration_id)
        now = utcnow()
        later = now + timedelta(seconds=5)
        waiting = self._insert(
            1, next_poll_at=later, registration_id=registration.id, last_poll_at=now - timedelta(seconds=2),
            poll_delay_ms=1000,
        )
        just_polled = self._insert(
            1, next_poll_at=later, registration_id=registration.id, last_poll_at=now, poll_delay_ms=1000
        )
        self.assertFalse(set(self._claim_all(2 + self._due_elsewhere())) & set(self.ids), "nothing due yet")

        def notified(at):
            with self._connection() as cr:
                cr.execute(
                    "UPDATE pos_mobilepay_registration SET checkin_notified_at = %s WHERE id = %s",
                    (at, registration.id),
                )
                cr.commit()

        notified(utcnow())
        claimed = {c for c in self._claim_all(2 + self._due_elsewhere()) if c in self.ids}
        self.assertEqual(claimed, set(waiting), "due at once; the one polled a moment ago at pollDelayInMs")
        with self._connection() as cr:
            cr.execute("UPDATE pos_mobilepay_transaction SET is_final = true WHERE id IN %s", (tuple(waiting),))
            wait = next_due_in(cr, utcnow())
            self.assertTrue(0 < wait <= 1.0, f"the other one is due within its poll delay, not in 5 s: {wait}")
            cr.rollback()
        # A check-in a payment of this PoS already paired with is used up.
        notified(utcnow() - timedelta(seconds=1))
        with self._connection() as cr:
            cr.execute("UPDATE pos_mobilepay_transaction SET paired_at = %s WHERE id IN %s", (utcnow(), tuple(waiting)))
            cr.commit()
        self.assertFalse({c for c in self._claim_all(2 + self._due_elsewhere()) if c in self.ids})
        self.assertTrue(just_polled)

    def test_a_row_that_fails_does_not_stop_the_poller(self):
        Transaction = type(self.env["pos.mobilepay.transaction"])
        now = utcnow()
        failing = self._insert(1, next_poll_at=now - timedelta(seconds=10))[0]  # claimed first
        others = self._insert(3)
        stepped = []
        step = Transaction._mobilepay_step

        def broken_step(transaction, provider):
            if transaction.id not in self.ids:
                return step(transaction, provider)
            stepped.append(transaction.id)
            if transaction.id == failing:
                raise RuntimeError("something unexpected")
            transaction.write({"next_poll_at": utcnow() + timedelta(hours=1)})  # done for this test
            return None

        Method = type(self.env["pos.payment.method"])
        # The step is replaced, so the provider is never used: no MobilePay (emulator) is needed here.
        with patch.object(Transaction, "_mobilepay_step", broken_step), patch.object(
            Method, "_mobilepay_provider", lambda method: object()
        ):
            # In this thread: while the tests run, Odoo's registry lock is held by this thread, and
            # a poller thread (which makes environments) would wait for it.
            current = threading.current_thread()
            saved = {name: getattr(current, name) for name in ("dbname", "uid") if hasattr(current, name)}
            try:
                with self.assertLogs("odoo.addons.pos_mobilepay.models.pos_mobilepay_transaction_processing",
                                     level="ERROR") as logged:
                    _poll_worker(self.env.registry, time.monotonic() + 5)
            finally:
                for name in ("dbname", "uid"):
                    if name in saved:
                        setattr(current, name, saved[name])
                    elif hasattr(current, name):
                        delattr(current, name)
        self.assertIn(f"processing transaction {failing} failed", logged.output[0])
        self.assertEqual(stepped[0], failing)
        self.assertEqual(set(stepped) & set(others), set(others), "the others were processed after it")
        with self._connection() as cr:
            cr.execute(
                "SELECT error_count, next_poll_at > %s FROM pos_mobilepay_transaction WHERE id = %s",
                (utcnow(), failing),
            )
            error_count, backing_off = cr.fetchone()
            self.assertGreaterEqual(error_count, 1, "its error is noted")
            self.assertTrue(backing_off, "with a back-off before the next attempt")
