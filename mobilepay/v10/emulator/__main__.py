"""Command line: ``python -m mobilepay.v10.emulator [--port 8765] [--callback alias=url ...]``.

Serves the emulator until Ctrl-C and prints what a client needs to connect.
"""

import argparse
import sys

from ... import argtypes
from ...emulator_kit.cli import add_listen_arguments, serve
from ...emulator_kit.controls import ControlError
from .emulator import Emulator
from .settings import EmulatorSettings

WHOLE = argtypes.whole_number()
AT_LEAST_ONE = argtypes.whole_number(minimum=1)
SECONDS = argtypes.seconds()
SIGNED_SECONDS = argtypes.seconds(signed=True)
DAYS = argtypes.seconds(unit="days")


def _callback(text):
    alias, sep, url = text.partition("=")
    if not sep or not alias or not url:
        raise argparse.ArgumentTypeError("use alias=url, e.g. odoo=http://127.0.0.1:8069/mobilepay/checkin")
    return alias, argtypes.http_url(url)


def build_parser():
    defaults = EmulatorSettings()
    p = argparse.ArgumentParser(prog="python -m mobilepay.v10.emulator",
                                description="Emulator of the retired MobilePay PoS API v10.")
    add_listen_arguments(p, default_port=8765)
    p.add_argument("--callback", type=_callback, action="append", default=[], metavar="ALIAS=URL",
                   help="where the check-in notification of a callbackAlias goes (repeatable)")
    p.add_argument("--payment-poll-delay-ms", type=WHOLE, default=defaults.payment_poll_delay_ms,
                   help="pollDelayInMs of GET /payments/{id}")
    p.add_argument("--checkin-poll-delay-ms", type=WHOLE, default=defaults.checkin_poll_delay_ms,
                   help="pollDelayInMs of GET /pointofsales/{id}/checkin")
    p.add_argument("--refund-poll-delay-ms", type=WHOLE, default=defaults.refund_poll_delay_ms,
                   help="pollDelayInMs of GET /refunds/{id}")
    p.add_argument("--token-expires-in", type=AT_LEAST_ONE, default=defaults.token_expires_in_s, metavar="SECONDS",
                   help="lifetime of an access token")
    p.add_argument("--inactivity-timeout", type=SECONDS, default=defaults.inactivity_timeout_s, metavar="SECONDS",
                   help="active payments are cancelled by MobilePay after this long without a change (0: never)")
    p.add_argument("--checkin-ttl", type=SECONDS, default=defaults.checkin_ttl_s, metavar="SECONDS",
                   help="an unpaired check-in is forgotten after this long (0: never)")
    p.add_argument("--refund-reservation-delay", type=SIGNED_SECONDS, default=defaults.refund_reservation_delay_s,
                   metavar="SECONDS", help="refunds become Reserved after this long (negative: only by a test control)")
    p.add_argument("--loyalty-lookup-delay", type=SECONDS, default=defaults.loyalty_lookup_delay_s, metavar="SECONDS",
                   help="loyaltyIds and customerReceiptToken appear this long after a check-in")
    p.add_argument("--refund-window-days", type=DAYS, default=defaults.refund_window_s / 86400, metavar="DAYS",
                   help="how long after its capture a payment can be refunded (1366)")
    p.add_argument("--strict-unknown-properties", action="store_true",
                   help="refuse request bodies with properties the spec does not know (1099)")
    p.add_argument("--require-ibm-client-id", action="store_true", help="require the legacy X-IBM-Client-Id header")
    p.add_argument("--client-id", type=argtypes.non_empty, default=defaults.demo_client_id,
                   help="client id of the demo integrator")
    p.add_argument("--client-secret", type=argtypes.non_empty, default=defaults.demo_client_secret,
                   help="secret of the demo integrator")
    p.add_argument("-v", "--verbose", action="store_true", help="log every request")
    return p


def _positive_or_none(value):
    return None if value is None or value <= 0 else value


def settings_from(args) -> EmulatorSettings:
    return EmulatorSettings(
        payment_poll_delay_ms=args.payment_poll_delay_ms,
        checkin_poll_delay_ms=args.checkin_poll_delay_ms,
        refund_poll_delay_ms=args.refund_poll_delay_ms,
        token_expires_in_s=args.token_expires_in,
        inactivity_timeout_s=_positive_or_none(args.inactivity_timeout),
        checkin_ttl_s=_positive_or_none(args.checkin_ttl),
        refund_reservation_delay_s=None if args.refund_reservation_delay < 0 else args.refund_reservation_delay,
        loyalty_lookup_delay_s=args.loyalty_lookup_delay,
        refund_window_s=args.refund_window_days * 86400,
        strict_unknown_properties=args.strict_unknown_properties,
        require_ibm_client_id=args.require_ibm_client_id,
        callbacks=dict(args.callback),
        demo_client_id=args.client_id,
        demo_client_secret=args.client_secret,
    )


def main(argv=None, stop_event=None):
    args = build_parser().parse_args(argv)
    return serve(args, lambda: Emulator(settings_from(args)), _banner, stop_event, start_errors=(ControlError,))


def _banner(emu):
    demo = emu.demo
    lines = [
        "MobilePay PoS v10 emulator",
        f"  base URL          {emu.base_url}",
        f"  PoS API           {emu.base_url}/pos/v10",
        f"  token endpoint    {emu.base_url}/integrator-authentication/connect/token",
        f"  client id         {demo.client_id}",
        f"  client secret     {demo.client_secret}",
        f"  merchant VAT      {demo.merchant_vat}   (also {demo.fi_merchant_vat})",
        f"  store id          {demo.store_id}   ({demo.merchant_brand_id}/{demo.merchant_location_id})",
        f"  phone page        {emu.phone_url}",
        f"  test controls     {emu.base_url}/emulator/...   (state: {emu.base_url}/emulator/state)",
    ]
    for alias, url in sorted(emu.settings.callbacks.items()):
        lines.append(f"  callback          {alias} -> {url}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
