"""A payment from start to refund against the emulator, in the terminal: the core's demo.

    python -m mobilepay.v10.walkthrough --emulator http://127.0.0.1:8765 [--auto]

It registers a PoS (as the Odoo addon does for a register), prints its QR code,
starts a payment and follows it as the server side would: the customer checks
in and approves on the emulator's phone page (or, with ``--auto``, through the
user-simulation API), the walkthrough captures, then refunds part of it.
"""

import argparse
import sys
from decimal import Decimal

from .. import argtypes
from ..polling import wait_until
from ..provider import PaymentState, PosSpec, RefundState
from ..walkthrough_steps import add_amount_argument, follow_payment, give_up_unless_reserved, print_qr, run, say
from .client import new_idempotency_key
from .emulator.settings import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_MERCHANT_BRAND_ID,
    DEMO_MERCHANT_LOCATION_ID,
    DEMO_MERCHANT_VAT,
)
from .provider import make_provider

CUSTOMER = "+4520031801"

WORDS = {
    PaymentState.WAITING_FOR_CUSTOMER: "waiting for the customer to scan the QR code",
    PaymentState.CHECKED_IN: "customer checked in",
    PaymentState.WAITING_FOR_APPROVAL: "waiting for the customer to approve in the app",
    PaymentState.RESERVED: "approved: capturing",
    PaymentState.CAPTURED: "paid",
    PaymentState.CANCELLED_BY_CUSTOMER: "cancelled by the customer",
    PaymentState.CANCELLED_BY_CASHIER: "cancelled by the cashier",
    PaymentState.CANCELLED_BY_PROVIDER: "cancelled by MobilePay",
    PaymentState.EXPIRED: "expired",
}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mobilepay.v10.walkthrough", description=__doc__.split("\n\n")[0])
    parser.add_argument("--emulator", type=argtypes.http_url, default="http://127.0.0.1:8765",
                        help="base URL of a running emulator")
    parser.add_argument("--auto", action="store_true", help="play the customer too (user-simulation API)")
    add_amount_argument(parser, "DKK")
    parser.add_argument("--timeout", type=argtypes.seconds(positive=True), default=300,
                        help="seconds to wait for the customer")
    args = parser.parse_args(argv)
    start_hint = f"Is the emulator running at {args.emulator}? Start it with: python -m mobilepay.v10.emulator"
    return run(walk, args, start_hint, WORDS)


def walk(args, started):
    provider = make_provider(
        "emulator",
        base_url=args.emulator,
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        merchant_vat=DEMO_MERCHANT_VAT,
    )
    client = provider.client
    say(provider.test_connection())
    store = provider.resolve_store(DEMO_MERCHANT_BRAND_ID, DEMO_MERCHANT_LOCATION_ID)
    say(f"store {store.name} ({store.address}) -> storeId {store.store_id}")
    registration = provider.ensure_pos(
        PosSpec(merchant_pos_id="walkthrough-register-1", name="Walkthrough register", store_id=store.store_id),
        idempotency_key=new_idempotency_key(),
    )
    say(f"PoS {registration.pos_id} {'registered' if registration.created else 'found'}; "
        f"beaconId {registration.beacon_id}")
    print_qr(registration.qr_payload)
    say(f"QR payload: {registration.qr_payload}")
    say(f"Play the customer: {args.emulator}/phone?beaconId={registration.beacon_id}")

    # A payment left active by an earlier run blocks the PoS (1301): settle it first.
    for leftover in provider.active_payments(registration.pos_id):
        say(f"cancelling a payment left active by an earlier run ({leftover.payment_id})")
        provider.cancel_payment(leftover.payment_id)

    amount = args.amount
    key = new_idempotency_key()
    say(f"idempotency key {key} stored; starting a payment of {amount} DKK")
    payment_id = provider.start_payment(
        pos_id=registration.pos_id, order_id=f"Walkthrough-{key[:8]}", amount=amount, currency="DKK",
        idempotency_key=key,
    )
    started.note(provider, payment_id)
    if args.auto:
        client.simulate_checkin(registration.beacon_id, CUSTOMER)
        say(f"(auto) customer {CUSTOMER} checked in")
        client.simulate_accept_payment(registration.beacon_id, CUSTOMER)
        say("(auto) customer approved in the app")
    snapshot = follow_payment(provider, payment_id, args.timeout, WORDS, status_width=13)  # at pollDelayInMs
    if give_up_unless_reserved(provider, payment_id, snapshot, WORDS, "MobilePay"):
        return 1
    provider.capture_payment(payment_id, snapshot.amount)
    snapshot = provider.get_payment(payment_id)
    say(f"captured {snapshot.amount:.2f} DKK -> {WORDS[snapshot.state]}")

    refund_amount = (snapshot.amount / 5).quantize(Decimal("0.01"))
    refund_id = provider.start_refund(
        payment_id=payment_id, refund_order_id=f"Refund-{key[:8]}", amount=refund_amount, currency="DKK",
        idempotency_key=new_idempotency_key(),
    )
    wait_until(lambda: provider.get_refund(refund_id), lambda r: r.state is not RefundState.PENDING, timeout=30)
    provider.capture_refund(refund_id)
    refund = provider.get_refund(refund_id)
    say(f"refunded {refund.amount:.2f} DKK -> refund {refund.provider_status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
