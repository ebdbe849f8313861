"""Rows that several real database connections must see: made through a connection of their own,
committed, and removed at the end. Tests of races use them (the test's own cursor never commits,
so another connection could not see what it makes).

Odoo's registry lock belongs to the thread running the tests: environments (the ORM) are made in
that thread only; other threads of a test act through plain SQL.
"""

import uuid
from contextlib import closing, contextmanager

from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED

from odoo import SUPERUSER_ID, api, sql_db


class CommittedEPaymentTill:
    """A register with a Vipps MobilePay ePayment method (demo, sticker flow) and its sticker, committed."""

    def __init__(self, dbname):
        self.dbname = dbname
        self.pos_id = f"till-{uuid.uuid4().hex[:12]}"

    @contextmanager
    def cursor(self, read_committed=True):
        """A connection of its own (READ COMMITTED, as the webhook and the poller work)."""
        with closing(sql_db.db_connect(self.dbname).cursor()) as cr:
            if read_committed:
                cr.connection.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
            yield cr

    @staticmethod
    def env(cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def create(self):
        with self.cursor() as cr:
            env = self.env(cr)
            company = env.company
            bank = env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", company.id)], limit=1)
            method = env["pos.payment.method"].create(
                {
                    "name": f"Vipps MobilePay {self.pos_id}",
                    "payment_method_type": "terminal",
                    "use_payment_terminal": "mobilepay",
                    "mobilepay_api": "epayment",
                    "vipps_environment": "demo",
                    "vipps_flow": "sticker",
                    "journal_id": bank.id,
                }
            )
            config = env["pos.config"].create({"name": f"Till {self.pos_id}", "payment_method_ids": method.ids})
            registration = env["pos.mobilepay.registration"].create(
                {"config_id": config.id, "payment_method_id": method.id}
            )
            registration.write({"state": "registered", "pos_id": self.pos_id, "beacon_id": self.pos_id})
            cr.commit()
            self.company_id, self.currency_id = company.id, config.currency_id.id
            self.method_id, self.config_id, self.registration_id = method.id, config.id, registration.id
        return self

    def waiting_payment(self, cr=None, **values):
        """A sticker payment waiting for its customer's scan (as the start leaves it), committed; its id."""
        row = {
            "reference": str(uuid.uuid4()),
            "kind": "payment",
            "flow": "sticker",
            "state": "new",
            "awaiting_checkin": True,
            **values,
        }

        def insert(cursor):
            cursor.execute(
                """INSERT INTO pos_mobilepay_transaction
                   (reference, kind, flow, state, awaiting_checkin, is_final, intent, config_id, company_id,
                    payment_method_id, registration_id, currency_id, amount, provider_payment_id, idempotency_key,
                    line_uuid, error_count, create_date, write_date)
                   VALUES (%(reference)s, %(kind)s, %(flow)s, %(state)s, %(awaiting_checkin)s, false, 'capture',
                           %(config)s, %(company)s, %(method)s, %(registration)s, %(currency)s, 10,
                           %(reference)s, %(reference)s, %(reference)s, 0,
                           now() at time zone 'utc', now() at time zone 'utc')
                   RETURNING id""",
                {**row, "config": self.config_id, "company": self.company_id, "method": self.method_id,
                 "registration": self.registration_id, "currency": self.currency_id},
            )
            return cursor.fetchone()[0]

        if cr is not None:
            return insert(cr)
        with self.cursor() as own:
            transaction_id = insert(own)
            own.commit()
        return transaction_id

    def row(self, table, record_id, *columns):
        with self.cursor() as cr:
            cr.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = %s", (record_id,))  # noqa: S608
            return cr.fetchone()

    def remove(self):
        with self.cursor() as cr:
            cr.execute(
                "DELETE FROM pos_mobilepay_transaction_event WHERE transaction_id IN "
                "(SELECT id FROM pos_mobilepay_transaction WHERE config_id = %s)",
                (self.config_id,),
            )
            cr.execute("DELETE FROM pos_mobilepay_transaction WHERE config_id = %s", (self.config_id,))
            cr.execute("DELETE FROM pos_mobilepay_registration WHERE config_id = %s", (self.config_id,))
            cr.commit()
            env = self.env(cr)
            env["pos.config"].browse(self.config_id).unlink()
            env["pos.payment.method"].browse(self.method_id).unlink()
            cr.commit()
