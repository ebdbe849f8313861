"""Shared set-up of the backend tests: a Danish company, a MobilePay method in demo mode
pointed at an emulator started for the test class (real HTTP), a POS config with an open
session, POS users, and helpers to play the customer and to drive the poller."""

import json
import time
import uuid

from odoo import Command
from odoo.tests.common import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingHttpCommon

from ..mobilepay.idempotency import new_idempotency_key
from ..mobilepay.v10.emulator import Emulator, EmulatorSettings
from ..mobilepay.v10.provider import make_provider
from ..models import mobilepay_demo
from ..models.pos_mobilepay_transaction import utcnow

PHONE = "+4520031801"


class MobilePayCommon(AccountTestInvoicingHttpCommon):
    # Extra values of the main MobilePay method (set before its session opens).
    mobilepay_values = {}

    @classmethod
    def setup_independent_company(cls, **kwargs):
        # MobilePay takes DKK or EUR: the test company works in DKK.
        dkk = cls._enable_currency("DKK")
        return super().setup_independent_company(currency_id=dkk.id, **kwargs)

    @classmethod
    def setUpClass(cls):
        cls.emulator = Emulator(EmulatorSettings.for_tests()).start()
        cls.addClassCleanup(cls.emulator.stop)
        super().setUpClass()
        cls.env.user.group_ids += cls.env.ref("point_of_sale.group_pos_manager")
        cls.env["ir.config_parameter"].sudo().set_param(mobilepay_demo.URL_PARAMETER, cls.emulator.base_url)
        cls._configure_demo()
        cls.company = cls.company_data["company"]
        cls.dkk = cls.company.currency_id

        cls.pos_user = cls._new_pos_user("mp_pos_user", cls.company)
        cls.pos_manager = new_test_user(
            cls.env,
            login="mp_pos_manager",
            groups="base.group_user,point_of_sale.group_pos_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.mobilepay = cls._new_mobilepay_method("MobilePay", cls.company_data, **cls.mobilepay_values)
        cls.config = cls._new_config("MobilePay Shop", cls.mobilepay)
        cls.session = cls._open_session(cls.config)
        cls.registration = cls.env["pos.mobilepay.registration"].search([("config_id", "=", cls.config.id)])
        # The customer's side, over the user-simulation API of the emulator.
        cls.customer = make_provider(
            "emulator",
            client_id=cls.emulator.demo.client_id,
            client_secret=cls.emulator.demo.client_secret,
            merchant_vat=cls.emulator.demo.merchant_vat,
            base_url=cls.emulator.base_url,
        ).client

    @classmethod
    def _configure_demo(cls):
        """Before the MobilePay methods and sessions exist: point demo mode at further emulators."""

    def setUp(self):
        super().setUp()
        # Every test starts from the seeded emulator; the register is registered afresh.
        self.emulator.reset()
        if self.registration:
            self.registration.write({"state": "draft"})
            self.registration._mobilepay_sync()

    # ------------------------------------------------------------------ set-up helpers

    @classmethod
    def _new_pos_user(cls, login, company):
        return new_test_user(
            cls.env,
            login=login,
            groups="base.group_user,point_of_sale.group_pos_user",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )

    @classmethod
    def _new_mobilepay_method(cls, name, company_data, **values):
        return (
            cls.env["pos.payment.method"]
            .with_company(company_data["company"])
            .create(
                {
                    "name": name,
                    "journal_id": company_data["default_journal_bank"].id,
                    "company_id": company_data["company"].id,
                    "payment_method_type": "terminal",
                    "use_payment_terminal": "mobilepay",
                    "mobilepay_api": "v10",
                    "mobilepay_environment": "demo",
                    **values,
                }
            )
        )

    @classmethod
    def _new_config(cls, name, method, company=None):
        company = company or cls.company
        return (
            cls.env["pos.config"]
            .with_company(company)
            .create({"name": name, "company_id": company.id, "payment_method_ids": [Command.set(method.ids)]})
        )

    @classmethod
    def _open_session(cls, config):
        config.with_company(config.company_id).open_ui()
        session = config.current_session_id
        session.set_opening_control(0, None)
        return session

    # ------------------------------------------------------------------ acting like the POS

    def pos_payload(self, amount=12.5, line_uuid=None, session=None, **extra):
        return {
            "pos_session_id": (session or self.session).id,
            "line_uuid": line_uuid or str(uuid.uuid4()),
            "order_uuid": extra.pop("order_uuid", None) or str(uuid.uuid4()),
            "order_name": extra.pop("order_name", "Order 00001-001-0001"),
            "amount": amount,
            **extra,
        }

    def as_pos(self, method=None, user=None):
        user = user or self.pos_user
        return (method or self.mobilepay).with_user(user).with_context(allowed_company_ids=user.company_ids.ids)

    def start_payment(self, amount=12.5, send=True, **kwargs):
        """The POS's start RPC; then (``send``) the poller's first step, which sends the create call.

        Returns the start's answer, its state as it is after that first step.
        """
        method = kwargs.pop("method", None)
        user = kwargs.pop("user", None)
        answer = self.as_pos(method, user).mobilepay_start_payment(self.pos_payload(amount, **kwargs))
        if not send:
            return answer
        transaction = self.transaction(answer["reference"])
        transaction._mobilepay_advance()
        transaction.invalidate_recordset()
        return {**answer, **transaction._mobilepay_status()}

    def status(self, reference, method=None, user=None, session=None):
        payload = {"pos_session_id": (session or self.session).id, "reference": reference}
        return self.as_pos(method, user).mobilepay_payment_status(payload)

    def cancel(self, reference=None, method=None, user=None, session=None, line_uuid=None):
        payload = {"pos_session_id": (session or self.session).id, "reference": reference, "line_uuid": line_uuid}
        return self.as_pos(method, user).mobilepay_cancel_payment(payload)

    def transaction(self, reference):
        """The row as the server sees it (only the server writes transaction rows)."""
        self.env.invalidate_all()
        return self.env["pos.mobilepay.transaction"].sudo().search([("reference", "=", reference)])

    # ------------------------------------------------------------------ the customer and the poller

    def customer_pays(self, beacon_id, phone=PHONE):
        self.customer.simulate_checkin(beacon_id, phone)
        self.customer.simulate_accept_payment(beacon_id, phone)

    def lost_transaction(self, line_uuid, amount, key=None, age=None, **values):
        """A row as a worker that died during its create call left it (state 'new'), ``age`` old."""
        transaction = (
            self.env["pos.mobilepay.transaction"]
            .sudo()
            .create(
                {
                    "config_id": self.config.id,
                    "session_id": self.session.id,
                    "company_id": self.company.id,
                    "payment_method_id": self.mobilepay.id,
                    "registration_id": self.registration.id,
                    "line_uuid": line_uuid,
                    "order_uuid": str(uuid.uuid4()),
                    "provider_order_id": line_uuid,
                    "currency_id": self.dkk.id,
                    "amount": amount,
                    "idempotency_key": key or new_idempotency_key(),
                    **values,
                }
            )
        )
        if age:
            self.env.flush_all()
            self.env.cr.execute(
                "UPDATE pos_mobilepay_transaction SET create_date = %s WHERE id = %s",
                (utcnow() - age, transaction.id),
            )
            transaction.invalidate_recordset()
        return transaction

    def paid_transaction(self, amount=12.5, **kwargs):
        """A MobilePay payment the customer approved and the server captured (as the POS would see it)."""
        answer = self.start_payment(amount, **kwargs)
        transaction = self.transaction(answer["reference"])
        self.customer_pays(answer["beacon_id"])
        return self.drive(transaction, "captured")

    def drive(self, transaction, states, timeout=10.0):
        """Run the poller's core step until the transaction reaches one of ``states``."""
        states = {states} if isinstance(states, str) else set(states)
        deadline = time.monotonic() + timeout
        while True:
            transaction._mobilepay_advance()
            transaction.invalidate_recordset()
            if transaction.state in states:
                return transaction
            if time.monotonic() > deadline:
                self.fail(f"{transaction.reference} stayed {transaction.state}, expected {sorted(states)}")
            time.sleep(0.03)

    def pushes(self, config=None, name="MOBILEPAY_STATE"):
        """Payloads pushed on the bus to the POS config's private channel (oldest first)."""
        config = config or self.config
        self.env.cr.flush()  # the bus writes its rows at pre-commit
        rows = self.env["bus.bus"].sudo().search([("message", "like", name)], order="id")
        payloads = []
        for row in rows:
            channel = json.loads(row.channel)
            message = json.loads(row.message)
            if config.access_token in json.dumps(channel) and message["type"] == f"{config.access_token}-{name}":
                payloads.append(message["payload"])
        return payloads
