"""Command line: ``python -m mobilepay.epayment.emulator [--port 8766]``.

Serves the emulator until Ctrl-C and prints what a client needs to connect.
"""

import argparse
import sys

from ... import argtypes
from ...emulator_kit.cli import add_listen_arguments, serve
from .emulator import EPaymentEmulator
from .settings import EPaymentEmulatorSettings

AT_LEAST_ONE = argtypes.whole_number(minimum=1)
POSITIVE_SECONDS = argtypes.seconds(positive=True)


def build_parser():
    defaults = EPaymentEmulatorSettings()
    p = argparse.ArgumentParser(prog="python -m mobilepay.epayment.emulator",
                                description="Emulator of the Vipps MobilePay ePayment, Webhooks and QR APIs.")
    add_listen_arguments(p, default_port=8766)
    p.add_argument("--public-url", type=argtypes.http_url, default=None, metavar="URL",
                   help="base of the links handed out (QR images, phone page), e.g. http://192.168.1.20:8766")
    p.add_argument("--token-expires-in", type=AT_LEAST_ONE, default=defaults.token_expires_in_s, metavar="SECONDS",
                   help="lifetime of an access token")
    p.add_argument("--payment-expiry", type=POSITIVE_SECONDS, default=defaults.payment_expiry_s, metavar="SECONDS",
                   help="a payment the customer does not act on expires after this long")
    p.add_argument("--webhook-timeout", type=POSITIVE_SECONDS, default=defaults.webhook_timeout_s, metavar="SECONDS",
                   help="a webhook delivery without an answer after this long is retried")
    p.add_argument("--fast-webhook-retries", action="store_true",
                   help="retry failed webhook deliveries after short delays instead of the real schedule")
    p.add_argument("--require-https-webhooks", action="store_true", help="refuse webhook URLs that are not https")
    p.add_argument("--no-special-amounts", dest="special_amounts", action="store_false",
                   help="treat the test environment's special amounts (151 insufficient funds, 201 unknown result, "
                        "refunds of 123 and 124, ...) like any other amount")
    p.add_argument("--msn", default=defaults.demo_msn, help="MSN of the demo sales unit")
    p.add_argument("--currency", default=defaults.demo_currency, choices=("DKK", "EUR", "NOK"),
                   help="currency of the demo sales unit")
    p.add_argument("-v", "--verbose", action="store_true", help="log every request")
    return p


def settings_from(args) -> EPaymentEmulatorSettings:
    settings = EPaymentEmulatorSettings(
        token_expires_in_s=args.token_expires_in, payment_expiry_s=args.payment_expiry,
        webhook_timeout_s=args.webhook_timeout, webhook_require_https=args.require_https_webhooks,
        special_amounts=args.special_amounts,
        public_base_url=args.public_url.rstrip("/") if args.public_url else None,
        demo_msn=args.msn, demo_currency=args.currency,
    )
    if args.fast_webhook_retries:
        settings.webhook_retry_delays_s = (0.5, 1.0, 2.0, 5.0)
        settings.webhook_max_attempts = 10
    return settings


def main(argv=None, stop_event=None):
    args = build_parser().parse_args(argv)
    # Any other error at start-up (e.g. a malformed --msn) is told too.
    return serve(args, lambda: EPaymentEmulator(settings_from(args)), _banner, stop_event, start_errors=(Exception,))


def _banner(emu):
    demo = emu.demo
    lines = [
        "Vipps MobilePay ePayment emulator",
        f"  base URL              {emu.base_url}   (as https://apitest.vipps.no)",
        f"  token endpoint        {emu.base_url}/accesstoken/get",
        f"  client_id             {demo.client_id}",
        f"  client_secret         {demo.client_secret}",
        f"  subscription key      {demo.subscription_key}",
        f"  MSN                   {demo.msn}   ({demo.merchant_name}, {demo.currency})",
        f"  phone page            {emu.phone_url}",
        f"  test controls         {emu.base_url}/emulator/...   (state: {emu.base_url}/emulator/state)",
        "  special amounts       " + ("on: 151, 182-187, 197, 202 fail, 201 unknown for 1 h, refunds 123/124 fail"
                                      if emu.settings.special_amounts else "off (--no-special-amounts)"),
        "  demo customers:",
    ]
    for customer in demo.customers:
        lines.append(f"    {customer.phone_number:<14} {customer.name} ({customer.age})  personal QR "
                     f"{customer.personal_qr}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
