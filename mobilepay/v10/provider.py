"""``PaymentProvider`` on the MobilePay PoS API v10 (or its emulator)."""

from .. import qr
from ..errors import MobilePayValidationError
from ..provider import (
    PaymentProvider,
    PaymentSnapshot,
    PaymentState,
    PosRegistration,
    RefundSnapshot,
    RefundState,
    StoreInfo,
)
from .client import DEFAULT_SYSTEM_NAME, DEFAULT_SYSTEM_VERSION, ClientConfig, MobilePayPosClient
from .environments import by_name
from .schemas import PaymentStatus, RefundStatus

PAYMENT_STATES = {
    PaymentStatus.PREPARED: PaymentState.WAITING_FOR_CUSTOMER,
    PaymentStatus.INITIATED: PaymentState.WAITING_FOR_CUSTOMER,
    PaymentStatus.PAIRED: PaymentState.CHECKED_IN,
    PaymentStatus.ISSUED_TO_USER: PaymentState.WAITING_FOR_APPROVAL,
    PaymentStatus.RESERVED: PaymentState.RESERVED,
    PaymentStatus.CAPTURED: PaymentState.CAPTURED,
    PaymentStatus.CANCELLED_BY_USER: PaymentState.CANCELLED_BY_CUSTOMER,
    PaymentStatus.CANCELLED_BY_CLIENT: PaymentState.CANCELLED_BY_CASHIER,
    PaymentStatus.CANCELLED_BY_MOBILEPAY: PaymentState.CANCELLED_BY_PROVIDER,
    PaymentStatus.EXPIRED_AND_CANCELLED: PaymentState.EXPIRED,
}

REFUND_STATES = {
    RefundStatus.INITIATED: RefundState.PENDING,
    RefundStatus.RESERVED: RefundState.RESERVED,
    RefundStatus.CAPTURED: RefundState.CAPTURED,
    RefundStatus.EXPIRED_AND_CAPTURED: RefundState.CAPTURED,
    RefundStatus.CANCELLED_BY_CLIENT: RefundState.CANCELLED_BY_CASHIER,
    RefundStatus.CANCELLED_BY_MOBILEPAY: RefundState.CANCELLED_BY_PROVIDER,
}

# The status MobilePay gives a payment or refund once our own call made it so (``status_name``).
PAYMENT_STATUS_NAMES = {
    PaymentState.WAITING_FOR_CUSTOMER: PaymentStatus.INITIATED,
    PaymentState.WAITING_FOR_APPROVAL: PaymentStatus.INITIATED,
    PaymentState.CAPTURED: PaymentStatus.CAPTURED,
    PaymentState.CANCELLED_BY_CASHIER: PaymentStatus.CANCELLED_BY_CLIENT,
}
REFUND_STATUS_NAMES = {
    RefundState.PENDING: RefundStatus.INITIATED,
    RefundState.CAPTURED: RefundStatus.CAPTURED,
    RefundState.CANCELLED_BY_CASHIER: RefundStatus.CANCELLED_BY_CLIENT,
}


def payment_snapshot(payment):
    return PaymentSnapshot(
        payment_id=payment.payment_id,
        order_id=payment.order_id,
        state=PAYMENT_STATES[payment.status],
        provider_status=payment.status.value,
        amount=payment.amount,
        currency=payment.currency_code.value if payment.currency_code else None,
        poll_delay_ms=payment.poll_delay_in_ms,
        partial_capture_possible=bool(payment.partial_capture_possible),
    )


def refund_snapshot(refund):
    return RefundSnapshot(
        refund_id=refund.refund_id,
        payment_id=refund.payment_id,
        state=REFUND_STATES[refund.status],
        provider_status=refund.status.value,
        amount=refund.amount,
        currency=refund.currency_code.value,
        poll_delay_ms=refund.poll_delay_in_ms,
        refund_order_id=refund.refund_order_id,
    )


class MobilePayV10Provider(PaymentProvider):
    name = "mobilepay_v10"

    def __init__(self, client):
        self.client = client

    def status_name(self, state):
        # Payment and refund states share their values: told apart by their type.
        names = REFUND_STATUS_NAMES if isinstance(state, RefundState) else PAYMENT_STATUS_NAMES
        status = names.get(state)
        return status.value if status else None

    def test_connection(self):
        store_ids = self.client.list_store_ids()
        return f"Connected: the merchant has {len(store_ids)} MobilePay store(s)."

    def resolve_store(self, merchant_brand_id, merchant_location_id):
        store_id = self.client.find_store_id(merchant_brand_id, merchant_location_id)
        if not store_id:
            raise MobilePayValidationError(
                f"MobilePay knows no store with brand id {merchant_brand_id} and location id {merchant_location_id}."
            )
        store = self.client.get_store(store_id)
        return StoreInfo(
            store_id=store.store_id,
            name=store.store_name,
            brand_name=store.brand_name,
            address=f"{store.store_street}, {store.store_zip_code} {store.store_city}",
        )

    def ensure_pos(self, spec, idempotency_key):
        """API.md section 12: look the PoS up by merchantPosId; keep it if it matches, else re-create it."""
        for pos_id in self.client.find_pos_ids(merchant_pos_id=spec.merchant_pos_id):
            pos = self.client.get_pos(pos_id)
            if self._matches(pos, spec):
                return PosRegistration(pos.pos_id, pos.beacon_id, qr.checkin_payload(pos.beacon_id), created=False)
            # A PoS is immutable: a changed name, beacon or callback means delete and create again.
            self.client.delete_pos(pos.pos_id)
        pos_id = self.client.create_pos(
            merchant_pos_id=spec.merchant_pos_id,
            store_id=spec.store_id,
            name=spec.name,
            idempotency_key=idempotency_key,
            beacon_id=spec.beacon_id,
            callback_alias=spec.callback_alias,
            supported_beacon_types=spec.supported_beacon_types,
            require_payment_before_checkin=spec.require_payment_before_checkin,
        )
        pos = self.client.get_pos(pos_id)
        return PosRegistration(pos.pos_id, pos.beacon_id, qr.checkin_payload(pos.beacon_id), created=True)

    @staticmethod
    def _matches(pos, spec):
        return (
            pos.store_id == spec.store_id
            and pos.name == spec.name
            and (spec.beacon_id is None or pos.beacon_id == spec.beacon_id.lower())
            and (pos.callback_alias or None) == (spec.callback_alias or None)
            and sorted(t.value for t in pos.supported_beacon_types) == sorted(spec.supported_beacon_types)
            and pos.require_payment_before_checkin == spec.require_payment_before_checkin
        )

    def delete_pos(self, pos_id):
        self.client.delete_pos(pos_id, missing_ok=True)

    def is_customer_checked_in(self, pos_id):
        return self.client.get_checkin(pos_id).is_user_checked_in

    def start_payment(self, *, pos_id, order_id, amount, currency, idempotency_key, label=None):
        return self.client.initiate_payment(
            pos_id=pos_id,
            order_id=order_id,
            amount=amount,
            currency_code=currency,
            idempotency_key=idempotency_key,
            merchant_payment_label=label,
        )

    def get_payment(self, payment_id):
        return payment_snapshot(self.client.get_payment(payment_id))

    def active_payments(self, pos_id):
        snapshots = [self.get_payment(payment_id) for payment_id in self.client.find_payment_ids(pos_id=pos_id)]
        return [snapshot for snapshot in snapshots if not snapshot.state.is_final]

    def find_payment(self, order_id, reference=None):
        # Active or reserved first (GET /payments?orderId=), then captured (&state=Captured); the
        # lookup follows the newest payment of the orderId (API.md 8.3).
        for captured in (False, True):
            for payment_id in reversed(self.client.find_payment_ids(order_id=order_id, captured=captured)):
                snapshot = self.get_payment(payment_id)
                if snapshot.order_id == order_id:
                    return snapshot
        return None

    def capture_payment(self, payment_id, amount, idempotency_key=None, currency=None, attempt=0):
        self.client.capture_payment(payment_id, amount)
        return None  # v10 answers no total: the next poll reads it

    def cancel_payment(self, payment_id, idempotency_key=None, attempt=0):
        self.client.cancel_payment(payment_id)
        return None  # v10 answers no state: cancelled by us

    def start_refund(self, *, payment_id, refund_order_id, amount, currency, idempotency_key):
        return self.client.create_refund(
            payment_id=payment_id,
            refund_order_id=refund_order_id,
            amount=amount,
            currency_code=currency,
            idempotency_key=idempotency_key,
        )

    def get_refund(self, refund_id, payment_id=None):
        return refund_snapshot(self.client.get_refund(refund_id))

    def find_refund(self, payment_id, refund_order_id, idempotency_key=None):
        for refund_id in reversed(self.client.find_refund_ids(payment_id)):
            snapshot = self.get_refund(refund_id)
            if snapshot.refund_order_id == refund_order_id:
                return snapshot
        return None

    def capture_refund(self, refund_id):
        self.client.capture_refund(refund_id)

    def cancel_refund(self, refund_id):
        self.client.cancel_refund(refund_id)


def make_provider(
    environment,
    *,
    client_id,
    client_secret,
    merchant_vat,
    api_key=None,
    base_url=None,
    system_name=None,
    system_version=None,
    session=None,
):
    """Build the v10 provider for ``production``, ``sandbox`` or ``emulator`` (with ``base_url``)."""
    config = ClientConfig(
        endpoints=by_name(environment, base_url),
        client_id=client_id,
        client_secret=client_secret,
        merchant_vat=merchant_vat,
        api_key=api_key or None,
        system_name=system_name or DEFAULT_SYSTEM_NAME,
        system_version=system_version or DEFAULT_SYSTEM_VERSION,
    )
    return MobilePayV10Provider(MobilePayPosClient(config, session=session))
