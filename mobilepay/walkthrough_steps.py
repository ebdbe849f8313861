"""What the two terminal walkthroughs share (``mobilepay.v10.walkthrough``, ``mobilepay.epayment.walkthrough``):
timestamped lines, a QR code in the terminal, following a payment until it is reserved or ends, the
amounts they take, and the command line's error handling (Ctrl-C cancels the payment a walk started)."""

import sys
import time
from decimal import Decimal

import qrcode

from . import argtypes
from .epayment.schemas import MAX_AMOUNT_VALUE
from .errors import MobilePayError, MobilePayTransportError
from .polling import wait_until
from .provider import PaymentState

# A walk pays at least 0.05 (its fifth, the refund, is then at least 0.01) and at most the ePayment API's
# limit (65 000 000 minor units, ePayment API.md 6.1). The v10 API documents no maximum: its walk keeps to
# the same, far below where the emulator's own sanity bound would stop it.
MIN_AMOUNT = Decimal("0.05")
MAX_AMOUNT = Decimal(MAX_AMOUNT_VALUE) / 100


def amount_type(currency):
    """The ``--amount`` type of a walk paying in ``currency``."""
    return argtypes.amount(MIN_AMOUNT, MAX_AMOUNT.quantize(Decimal("0.01")), currency)


def add_amount_argument(parser, currency):
    parser.add_argument("--amount", type=amount_type(currency), default=Decimal("125.00"),
                        help=f"amount in {currency}, {MIN_AMOUNT} to {MAX_AMOUNT} (a fifth is refunded; "
                             "default 125.00)")


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


class StartedPayment:
    """The payment a walk started (``note`` it once it exists): Ctrl-C cancels it if it is still open."""

    provider = payment_id = None

    def note(self, provider, payment_id):
        self.provider, self.payment_id = provider, payment_id

    def stop(self, words) -> str:
        """Cancel the payment unless it ended already; the line that says what happened."""
        if self.payment_id is None:
            return "Stopped before a payment was started."
        try:
            state = self.provider.get_payment(self.payment_id).state
            if state.is_final:
                return f"Stopped: payment {self.payment_id} was already {words[state]}; nothing to cancel."
            after = self.provider.cancel_payment(self.payment_id)
        except (MobilePayError, KeyboardInterrupt) as error:  # a second Ctrl-C gives up on the cancel
            reason = str(error) or "interrupted"
            return f"Stopped: payment {self.payment_id} may still be active (the cancel failed: {reason})."
        if after not in (None, PaymentState.CANCELLED_BY_CASHIER):
            return f"Stopped: payment {self.payment_id} ended {words[after]} before the cancel; nothing cancelled."
        return f"Stopped: payment {self.payment_id} cancelled."


def run(walk, args, start_hint, words):
    """``walk(args, started)``'s exit status; a client error stops the walk with a line (and ``start_hint`` when
    the emulator did not answer); Ctrl-C cancels the payment ``started`` notes, says so in a line, and exits 130."""
    started = StartedPayment()
    try:
        return walk(args, started)
    except MobilePayError as error:
        say(f"stopped: {error}")
        if isinstance(error, MobilePayTransportError):
            say(start_hint)
        return 1
    except KeyboardInterrupt:
        print(started.stop(words), file=sys.stderr, flush=True)
        return 130
