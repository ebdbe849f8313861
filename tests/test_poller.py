"""The poller's claims: several pollers (threads, cron threads, Odoo servers) share the due
transactions without ever holding the same one, and only due ones are claimed."""

import threading
import uuid
from contextlib import closing
from datetime import timedelta

from odoo import sql_db
from odoo.tests import TransactionCase, tagged

from ..models.pos_mobilepay_demo_shop import DEMO_SHOP_NAME
from ..models.pos_mobilepay_poller import DUE_SQL, claim_due, next_due_in
from ..models.pos_mobilepay_transaction import utcnow


@tagged("post_install", "-at_install")
class TestMobilePayPollerClaims(TransactionCase):
    """Real, separate database connections: the rows they share are committed, then removed."""

    def setUp(self):
        super().setUp()
        # The demo register is committed at install: rows of other connections can point at it.
        self.config = self.env["pos.config"].search([("name", "=", DEMO_SHOP_NAME)], limit=1)
        self.assertTrue(self.config, "the demo data has the MobilePay demo register")
        self.method = self.config.payment_method_ids.filtered(lambda m: m.use_payment_terminal == "mobilepay")
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
                        is_final, intent, next_poll_at, error_count, create_date, write_date)
                       VALUES (%s, %s, %s, %s, %s, %s, 10, %s, false, %s, %s, %s, %s, %s) RETURNING id""",
                    (
                        str(uuid.uuid4()),
                        row["kind"],
                        self.config.id,
                        self.config.company_id.id,
                        self.method.id,
                        self.config.currency_id.id,
                        row["state"],
                        row["intent"],
                        row["next_poll_at"],
                        row["error_count"],
                        now,
                        now,
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
                {"now": utcnow(), "unstarted": ("new", "unknown"), "reserved": "reserved", "ours": self.ids},
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
