"""What the two terminal walkthroughs share (``mobilepay.walkthrough``, ``mobilepay.epayment.walkthrough``):
timestamped lines, a QR code in the terminal, following a payment until it is reserved or ends, and
the command line's error handling."""

import sys
import time

import qrcode

from .errors import MobilePayError, MobilePayTransportError
from .polling import wait_until
from .provider import PaymentState


def say(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def print_qr(payload):
    code = qrcode.QRCode(border=2)
    code.add_data(payload)
    code.print_ascii(out=sys.stdout, invert=True)


def follow_payment(provider, payment_id, timeout, words, status_width):
    """Poll (the client's poll gate waits) and print each new state until the payment is reserved or final."""
    seen = []

    def fetch():
        snapshot = provider.get_payment(payment_id)
        if not seen or seen[-1] is not snapshot.state:
            say(f"payment {snapshot.provider_status:<{status_width}} -> {words[snapshot.state]}")
            seen.append(snapshot.state)
        return snapshot

    return wait_until(fetch, lambda s: s.state is PaymentState.RESERVED or s.state.is_final, timeout=timeout)


def give_up_unless_reserved(provider, payment_id, snapshot, words, provider_name) -> bool:
    """True when the payment was not approved: said so, and cancelled if it was still open."""
    if snapshot.state is PaymentState.RESERVED:
        return False
    say(f"the payment ended {words[snapshot.state]}; nothing to capture")
    if not snapshot.state.is_final:
        provider.cancel_payment(payment_id)
        say(f"cancelled it at {provider_name}")
    return True


def run(walk, args, start_hint):
    """``walk(args)``'s exit status; a client error stops the walk with a line (and ``start_hint`` when the
    emulator did not answer)."""
    try:
        return walk(args)
    except MobilePayError as error:
        say(f"stopped: {error}")
        if isinstance(error, MobilePayTransportError):
            say(start_hint)
        return 1
