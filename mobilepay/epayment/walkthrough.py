"""One ePayment payment from QR to refund against the ePayment emulator, in the terminal.

    python -m mobilepay.epayment.walkthrough --emulator http://127.0.0.1:8766 [--auto]

It starts a one-time QR payment (userFlow QR, as the till shows it on the customer
display), prints the QR, follows the payment by polling as the Odoo server does, captures
it when the customer approved (on the emulator's phone page, or with ``--auto`` through the
test environment's force-approve call), refunds part of it and prints the event log.
"""

import argparse
import sys
import uuid
from decimal import Decimal

from .. import argtypes
from ..provider import PaymentState
from ..walkthrough_steps import add_amount_argument, follow_payment, give_up_unless_reserved, print_qr, run, say
from .emulator.customers import DEMO_CUSTOMERS
from .emulator.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_CURRENCY, DEMO_MSN, DEMO_SUBSCRIPTION_KEY
from .provider import make_provider
from .schemas import QrImageFormat

WORDS = {
    PaymentState.WAITING_FOR_CUSTOMER: "waiting for the customer to scan the QR code",
    PaymentState.WAITING_FOR_APPROVAL: "waiting for the customer to approve in the app",
    PaymentState.RESERVED: "approved: capturing",
    PaymentState.CAPTURED: "paid",
    PaymentState.CANCELLED_BY_CUSTOMER: "cancelled by the customer",
    PaymentState.CANCELLED_BY_CASHIER: "cancelled by the cashier",
    PaymentState.CANCELLED_BY_PROVIDER: "cancelled by Vipps MobilePay",
    PaymentState.EXPIRED: "expired",
}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mobilepay.epayment.walkthrough",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--emulator", type=argtypes.http_url, default="http://127.0.0.1:8766",
                        help="base URL of a running ePayment emulator")
    parser.add_argument("--auto", action="store_true", help="play the customer too (force approve)")
    add_amount_argument(parser, DEMO_CURRENCY)
    parser.add_argument("--timeout", type=argtypes.seconds(positive=True), default=300,
                        help="seconds to wait for the customer")
    args = parser.parse_args(argv)
    return run(walk, args, f"Is the ePayment emulator running at {args.emulator}? "
                           "Start it with: python -m mobilepay.epayment.emulator", WORDS)


def walk(args, started):
    provider = make_provider("emulator", base_url=args.emulator, client_id=DEMO_CLIENT_ID,
                             client_secret=DEMO_CLIENT_SECRET, subscription_key=DEMO_SUBSCRIPTION_KEY, msn=DEMO_MSN)
    say(provider.test_connection())
    reference = f"walkthrough-{uuid.uuid4().hex[:16]}"
    key = str(uuid.uuid4())
    currency = DEMO_CURRENCY
    say(f"reference {reference} and idempotency key {key} stored; a one-time QR payment of {args.amount} {currency}")
    answer = provider.client.create_qr_payment(
        reference=reference, amount={"currency": currency, "value": int(args.amount * 100)}, idempotency_key=key,
        qr_format=QrImageFormat.TARGET_URL, description="Walkthrough till, receipt 1",
        metadata={"orderId": reference, "flow": "qr_on_screen"},
    )
    started.note(provider, reference)
    print_qr(answer.redirect_url)
    say(f"The QR opens: {answer.redirect_url}")
    say(f"Play the customer there, or on {args.emulator}/phone")
    if args.auto:
        phone = DEMO_CUSTOMERS[0].phone_number
        provider.client.force_approve(reference, phone_number=phone)
        say(f"(auto) customer {phone} approved (force approve, test environments only)")
    snapshot = follow_payment(provider, reference, args.timeout, WORDS, status_width=11)
    if give_up_unless_reserved(provider, reference, snapshot, WORDS, "Vipps MobilePay"):
        return 1
    provider.capture_payment(reference, snapshot.amount, currency=currency)
    snapshot = provider.get_payment(reference)
    say(f"captured {snapshot.captured_amount:.2f} {currency} -> {WORDS[snapshot.state]}")
    refund_amount = (snapshot.amount / 5).quantize(Decimal("0.01"))
    refund_id = provider.start_refund(payment_id=reference, refund_order_id=f"{reference}-r1", amount=refund_amount,
                                      currency=currency, idempotency_key=str(uuid.uuid4()))
    refund = provider.get_refund(refund_id, payment_id=reference)
    say(f"refunded {refund.amount:.2f} {currency} at once -> {refund.provider_status}")
    events = provider.client.get_events(reference)
    say("event log: " + ", ".join(f"{e.name.value} {e.amount.value / 100:.2f}" for e in events))
    return 0


if __name__ == "__main__":
    sys.exit(main())
