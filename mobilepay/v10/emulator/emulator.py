"""The public face of the emulator: state, WSGI app, HTTP server and test controls."""

from ...emulator_kit.clock import Clock
from ...emulator_kit.faults import Faults
from ...emulator_kit.lifecycle import ServedEmulator
from ...emulator_kit.request_handler import SERVER_THREAD_NAME, EmulatorRequestHandler
from . import customer_actions, payment_flow, refund_flow
from .api_errors import ControlError, SimulationError
from .app import EmulatorApp
from .notifier import Notifier
from .poll_tracker import PollTracker
from .settings import EmulatorSettings
from .state import EmulatorState, merchant_id_for
from .tokens import TokenIssuer


class Emulator(ServedEmulator):
    """An in-memory MobilePay PoS v10 service.

    >>> emu = Emulator(EmulatorSettings(payment_poll_delay_ms=50)).start()
    >>> emu.base_url                     # doctest: +SKIP
    'http://127.0.0.1:54321'
    >>> emu.stop()
    """

    request_handler = EmulatorRequestHandler
    server_thread_name = SERVER_THREAD_NAME

    def __init__(self, settings: EmulatorSettings = None):
        super().__init__()
        self._initial_settings = (settings or EmulatorSettings()).copy()
        self.settings = self._initial_settings.copy()
        self.clock = Clock()
        self.tokens = TokenIssuer(self.clock)
        self.faults = Faults()
        self.notifier = Notifier(self.settings)
        self.polls = PollTracker(self.settings)
        self.state = EmulatorState(self.settings, self.clock)
        self.state.on_checkin = self._notify_checkin
        self.demo = self.state.seed()
        self.notifier.reset(self.settings.callbacks)
        self.wsgi_app = EmulatorApp(self)

    # ------------------------------------------------------------------ serving (start, stop, base_url, with)

    def _before_start(self) -> None:
        self.notifier.resume()

    def _before_stop(self) -> None:
        self.notifier.stop()

    @property
    def phone_url(self) -> str:
        return self.base_url + "/phone"

    # ------------------------------------------------------------------ state

    def reset(self) -> None:
        """Back to the seeded state: demo data only, settings as given, clock, faults, logs and counters cleared.

        Access tokens stay valid (they are signed, not stored)."""
        with self.state.lock:
            self.settings.assign(self._initial_settings)
            self.clock.reset()
            self.faults.clear()
            self.polls.clear()
            self.notifier.reset(self.settings.callbacks)
            self._clear_requests_log()
            self.demo = self.state.seed()

    def add_integrator(self, client_id: str, client_secret: str) -> None:
        self.state.add_integrator(client_id, client_secret)

    def add_store(self, merchant_vat: str, merchant_brand_id: str, merchant_location_id: str,
                  name: str = "Emulator Store", activated: bool = True, balance=None, **address) -> str:
        """Add a store (``address``: street, zip_code, city, brand_name); returns its storeId."""
        return self.state.add_store(merchant_vat, merchant_brand_id, merchant_location_id, name=name,
                                    activated=activated, balance=balance, **address)

    def set_store_balance(self, store_id: str, balance) -> None:
        """The store's MobilePay balance for refunds (1368); None = unlimited."""
        self.state.set_store_balance(store_id, balance)

    def set_store_activated(self, store_id: str, activated: bool = True) -> None:
        self.state.set_store_activated(store_id, activated)

    def add_test_user(self, phone_number: str, card: str = "Credit", loyalty_ids=(), partial_capture: bool = False,
                      reservation_fails: bool = False):
        return self.state.add_test_user(phone_number, card=card, loyalty_ids=loyalty_ids,
                                        partial_capture=partial_capture, reservation_fails=reservation_fails)

    # ------------------------------------------------------------------ MobilePay-side test controls

    def cancel_by_mobilepay(self, payment_id: str) -> None:
        """P13: MobilePay cancels an active payment (inactivity or a failed reservation)."""
        with self.state.transaction() as now:
            payment_flow.cancel_by_mobilepay(self.state, payment_id, now)

    def expire_reservation(self, payment_id: str) -> None:
        """P10 now: Reserved -> ExpiredAndCancelled."""
        with self.state.transaction() as now:
            payment_flow.expire_reservation(self.state, payment_id, now)

    def cancel_refund_by_mobilepay(self, refund_id: str) -> None:
        """R3: Initiated -> CancelledByMobilePay."""
        with self.state.transaction() as now:
            refund_flow.cancel_by_mobilepay(self.state, refund_id, now)

    def reserve_refund(self, refund_id: str) -> None:
        """R2 now (for refund_reservation_delay_s=None)."""
        with self.state.transaction() as now:
            refund_flow.reserve_now(self.state, refund_id, now)

    def advance_clock(self, seconds: float) -> None:
        self.clock.advance(seconds)
        with self.state.transaction():
            pass  # apply what fell due

    def register_callback(self, alias: str, url: str) -> None:
        """Where the section 13 check-in notification for ``alias`` goes."""
        self.notifier.register(alias, url)

    # ------------------------------------------------------------------ the customer, from Python

    def user_checkin(self, beacon_id: str, phone_number: str = "+4520031801") -> None:
        self._simulate(customer_actions.checkin, beacon_id, phone_number)

    def user_accept_payment(self, beacon_id: str, phone_number: str = "+4520031801") -> None:
        self._simulate(customer_actions.accept_payment, beacon_id, phone_number)

    def user_cancel_payment(self, beacon_id: str) -> None:
        self._simulate(customer_actions.cancel_payment_by_user, beacon_id)

    def _simulate(self, action, *args):
        try:
            with self.state.transaction() as now:
                action(self.state, *args, now)
        except SimulationError as error:
            raise ControlError(f"{error.code}: {error.message}") from None

    # ------------------------------------------------------------------ looking inside

    def payment_status(self, payment_id: str) -> str:
        with self.state.transaction():
            return self.state.payment(payment_id).status.value

    def refund_status(self, refund_id: str) -> str:
        with self.state.transaction():
            return self.state.refund(refund_id).status.value

    @property
    def early_polls(self) -> int:
        return self.polls.total

    @property
    def notifications(self) -> list:
        return list(self.notifier.sent)

    def stats(self) -> dict:
        return {**self.polls.to_json(), "requests": self._requests_logged(),
                "clockOffsetSeconds": self.clock.offset_seconds, "faults": self.faults.to_json()}

    def dump_state(self) -> dict:
        with self.state.transaction() as now:
            s = self.state
            return {
                "now": now.isoformat(),
                "stores": [dict(st.to_json(), merchantVat=st.merchant_vat, activated=st.activated,
                                balance=None if st.balance is None else float(st.balance))
                           for st in s.stores.values()],
                "pointOfSales": [dict(p.to_json(), deleted=p.deleted, merchantVat=p.merchant_vat,
                                      clientId=p.client_id,
                                      checkedIn=p.checkin.user.phone_number if p.checkin else None)
                                 for p in s.points_of_sale.values()],
                "payments": [{"paymentId": p.payment_id, "posId": p.pos_id, "orderId": p.order_id,
                              "status": p.status.value, "amount": None if p.amount is None else float(p.amount),
                              "currencyCode": p.currency_code,
                              "capturedAmount": None if p.captured_amount is None else float(p.captured_amount),
                              "user": p.user.phone_number if p.user else None,
                              "history": [t.to_json() for t in p.history]}
                             for p in s.payments.values()],
                "refunds": [{"refundId": r.refund_id, "paymentId": r.payment_id, "status": r.status.value,
                             "amount": float(r.amount), "history": [t.to_json() for t in r.history]}
                            for r in s.refunds.values()],
            }

    def payment_history(self, payment_id: str) -> list:
        """The rules (P1..P13) the payment went through, in order."""
        with self.state.transaction():
            return [t.rule for t in self.state.payment(payment_id).history]

    def refund_history(self, refund_id: str) -> list:
        with self.state.transaction():
            return [t.rule for t in self.state.refund(refund_id).history]

    # ------------------------------------------------------------------ notifications

    def _notify_checkin(self, pos, store):
        self.notifier.notify(pos.callback_alias, {
            "MerchantId": merchant_id_for(pos.merchant_vat),
            "MerchantBrandId": store.merchant_brand_id if store else None,
            "MerchantLocationId": store.merchant_location_id if store else None,
            "MerchantPosId": pos.merchant_pos_id,
            "PosId": pos.pos_id,
        })
