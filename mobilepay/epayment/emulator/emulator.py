"""The public face of the emulator: state, WSGI app, HTTP server, webhook deliverer and test controls."""

import threading

from ...emulator_kit.lifecycle import ServedEmulator
from . import checkins, payments
from .app import EPaymentApp
from .approvals import DelayedApprovals
from .clock import EmulatorClock
from .delivery import Deliverer
from .faults import EPaymentFaults
from .problems import ControlError
from .server import SERVER_THREAD_NAME, EPaymentRequestHandler
from .settings import EPaymentEmulatorSettings
from .state import EPaymentState
from .tokens import AccessTokens


class EPaymentEmulator(ServedEmulator):
    """An in-memory Vipps MobilePay ePayment service (+ Access Token, Webhooks and QR APIs).

    >>> emu = EPaymentEmulator(EPaymentEmulatorSettings.for_tests()).start("127.0.0.1", 0)
    >>> emu.base_url                     # doctest: +SKIP
    'http://127.0.0.1:54321'
    >>> emu.stop()
    """

    request_handler = EPaymentRequestHandler
    server_thread_name = SERVER_THREAD_NAME

    def __init__(self, settings: EPaymentEmulatorSettings = None):
        super().__init__()
        self._initial_settings = (settings or EPaymentEmulatorSettings()).copy()
        self.settings = self._initial_settings.copy()
        self.clock = EmulatorClock()
        self.tokens = AccessTokens(self.clock)
        self.faults = EPaymentFaults()
        # The webhook chaos draws from the faults' random source: seeding faults.rng seeds both.
        self.deliverer = Deliverer(self.settings, self.clock, rng=self.faults.rng)
        self.state = EPaymentState(self.settings, self.clock)
        self.state.deliverer = self.deliverer
        self.approvals = DelayedApprovals(self.state)
        self.demo = self.state.seed()
        self.wsgi_app = EPaymentApp(self)
        self._sweeper = None
        self._stopping = threading.Event()
        self.clock.on_advance(self.sweep)

    # ------------------------------------------------------------------ serving (start, stop, base_url, with)

    def _after_start(self) -> None:
        self.deliverer.start()
        self._stopping.clear()
        self._sweeper = threading.Thread(target=self._sweep_loop, name="epayment-emulator-sweeper", daemon=True)
        self._sweeper.start()

    def _before_stop(self) -> None:
        self._stopping.set()
        if self._sweeper is not None:
            self._sweeper.join(timeout=5)
            self._sweeper = None
        self.approvals.cancel_all()
        self.deliverer.stop()

    @property
    def public_url(self) -> str:
        """The base of the links the emulator hands out (``public_base_url``, else ``base_url``)."""
        return self.settings.public_base_url or self.base_url

    @property
    def phone_url(self) -> str:
        return self.public_url + "/phone"

    def _sweep_loop(self):
        while not self._stopping.wait(max(0.01, float(self.settings.sweep_interval_s))):
            self.sweep()

    def sweep(self) -> None:
        """Apply what fell due now (payments expire and their EXPIRED webhook is queued)."""
        with self.state.transaction():
            pass

    # ------------------------------------------------------------------ state

    def reset(self) -> None:
        """Forget payments, webhooks, callback QRs, check-ins, faults, deliveries and logs; the clock and the
        settings are as at construction. The demo credentials stay the same (and so do valid tokens of the
        demo sales unit: tokens are signed, not stored)."""
        with self.state.lock:
            self.settings.assign(self._initial_settings)
            self.clock.reset()
            self.approvals.cancel_all()
            self.faults.clear()
            self.deliverer.reset()
            self._clear_requests_log()
            self.demo = self.state.seed()

    def add_sales_unit(self, msn, currency="DKK", name=None, push_message_allowed=True,
                       partial_capture_allowed=True):
        """Another sales unit with its own keys (forgotten by ``reset()``); returns its SalesUnitKeys."""
        return self.state.add_sales_unit(msn, currency, name, push_message_allowed=push_message_allowed,
                                         partial_capture_allowed=partial_capture_allowed).keys()

    def sales_unit(self, msn=None):
        """The live SalesUnit record (tests may switch ``push_message_allowed``, ``partial_capture_allowed``)."""
        unit = self.state.sales_units.get(msn or self.demo.msn)
        if unit is None:
            raise ControlError(f"no sales unit {msn}")
        return unit

    def add_customer(self, phone_number, name="Test Customer", age=30, country="DK"):
        """Another app user (forgotten by ``reset()``); returns the Customer (with ``personal_qr``)."""
        return self.state.add_customer(phone_number, name, age, country)

    # ------------------------------------------------------------------ the customer's app

    def _payment_action(self, action, reference, msn, *args):
        with self.state.transaction() as now:
            payment = self.state.find_payment(reference, msn)
            payments.control(action, self.state, payment, *args, now)
            return payment.snapshot()

    def approve(self, reference, phone_number=None, msn=None) -> dict:
        """The customer approves in the app: AUTHORIZED. ControlError when not possible (not CREATED, sent to
        another customer, unknown customer, under ``minimumUserAge``, a special test amount that fails, e.g.
        151 "insufficient funds (test amount 151)"). The test amount 201: the snapshot stays CREATED, with
        ``unknownResultUntil`` an hour ahead (special_amounts.py)."""
        return self._payment_action(payments.approve, reference, msn, phone_number)

    def reject(self, reference, msn=None) -> dict:
        """The customer cancels in the app: ABORTED."""
        return self._payment_action(payments.reject, reference, msn)

    def expire(self, reference, msn=None) -> dict:
        """EXPIRED now, as if the 10 minutes had passed (a payment approved with the test amount 201, whose
        result is unknown for an hour, too)."""
        return self._payment_action(payments.expire, reference, msn)

    def set_processing(self, reference, processing=True, msn=None) -> dict:
        """The customer is approving right now (3-D Secure...): a cancel meanwhile is refused with 6250."""
        with self.state.transaction():
            payment = self.state.find_payment(reference, msn)
            if processing and payment.state != "CREATED":
                raise ControlError(f"payment {reference} is {payment.state}: nobody is approving it")
            payment.processing = bool(processing)
            return payment.snapshot()

    def approve_after(self, reference, seconds, phone_number=None, msn=None) -> dict:
        """The customer is approving for ``seconds`` of real time (a cancel meanwhile: 6250), then approves
        (approvals.py). Returns the snapshot; ControlError when the payment is not CREATED now."""
        return self.approvals.start(reference, seconds, phone_number, msn)

    def scan_callback_qr(self, merchant_qr_id, phone_number=None, msn=None, initiated_ago_s=0) -> str:
        """A customer scans the sticker: ``user.checked-in.v1`` goes to the MSN's registration (signed, in the
        background); returns the customerToken. ControlError without such a registration (the app shows an
        error, API.md 11.1), for an unknown sticker or an unknown customer. ``initiated_ago_s``: the scan
        happened that long ago (a late delivery of an old scan): ``initiatedAt`` lies that far in the past
        and the token's 15 minutes run from then."""
        with self.state.transaction() as now:
            qr_code = self.state.callback_qr_by_id(merchant_qr_id, msn)
            return checkins.scan(self.state, qr_code, phone_number, now, initiated_ago_s).customer_token

    # ------------------------------------------------------------------ looking inside

    def payment(self, reference, msn=None) -> dict:
        with self.state.transaction():
            return self.state.find_payment(reference, msn).snapshot()

    @property
    def deliveries(self) -> list:
        """One dict per delivery attempt: event, url, status (None: no answer), attempt, body,
        registration_id, at, error, delivery_id, duplicate, headers."""
        return self.deliverer.records

    def wait_for_deliveries(self, count, timeout=5) -> list:
        """Block until at least ``count`` successful (2xx) deliveries were made; returns those (TimeoutError)."""
        return self.deliverer.wait_for(count, timeout)

    def redeliver(self, index=-1) -> dict:
        """Send the recorded delivery ``index`` again (a duplicate, as the real service sometimes does)."""
        return self.deliverer.redeliver(index)

    def dump_state(self) -> dict:
        with self.state.transaction() as now:
            s = self.state
            return {
                "now": now.isoformat(),
                "clockOffsetSeconds": self.clock.offset_seconds,
                "salesUnits": [{"msn": u.msn, "name": u.name, "currency": u.currency, "clientId": u.client_id,
                                "pushMessageAllowed": u.push_message_allowed,
                                "partialCaptureAllowed": u.partial_capture_allowed} for u in s.sales_units.values()],
                "payments": [p.snapshot() for p in s.payments.values()],
                "webhooks": [dict(r.to_json(), msn=r.msn) for r in s.registrations.values()],
                "callbackQrs": [{"msn": q.msn, "merchantQrId": q.merchant_qr_id,
                                 "locationDescription": q.location_description, "category": q.category,
                                 "beacon": q.beacon, "qrContent": q.qr_content(self.public_url if self.running
                                                                              else "")}
                                for q in s.callback_qrs.values()],
                "checkins": [{"customerToken": c.customer_token, "msn": c.msn, "merchantQrId": c.merchant_qr_id,
                              "customer": c.customer, "initiatedAt": c.initiated_at.isoformat()}
                             for c in s.checkins.values()],
                "pendingDeliveries": self.deliverer.pending(),
                "faults": self.faults.to_json(),
            }
