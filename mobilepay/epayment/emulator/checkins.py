"""A customer scans a merchant callback QR (API.md 11.1, 11.3, 11.5).

The app shows the sticker's ``locationDescription`` and a waiting screen, and Vipps MobilePay sends
``user.checked-in.v1`` (signed) to the MSN's registration with a fresh ``customerToken``, valid 15
minutes, usable only by that MSN. Each scan makes a new token; the merchant uses the newest.
Without a ``user.checked-in.v1`` registration the scan fails: the app shows an error and nothing
is sent (ControlError). The delivery itself happens in the background; a failing endpoint shows
up in ``emu.deliveries``, not here.

``initiated_ago_s`` makes the check-in of a scan made that many seconds ago, delivered only now
(a late delivery): its ``initiatedAt`` lies that far in the past, and its token's 15 minutes run
from then (an old enough scan arrives with a token that is expired already: a create with it gets
4050).
"""

import base64
import math
import os
from datetime import timedelta

from .payments import default_customer
from .problems import ControlError
from .records import CheckIn
from .webhooks import publish_checkin


def new_customer_token() -> str:
    """Base64 like the API.md 11.3 example (``wbA8ce...+q0ATP4=``): it may contain ``+``, ``/`` and ``=``."""
    return base64.b64encode(os.urandom(48)).decode("ascii")


def scan(state, qr_code, phone_number, now, initiated_ago_s=0) -> CheckIn:
    if isinstance(initiated_ago_s, bool) or not isinstance(initiated_ago_s, (int, float)) \
            or not math.isfinite(initiated_ago_s) or not 0 <= initiated_ago_s <= 366 * 24 * 3600:
        raise ControlError("initiated_ago_s must be a number of seconds, 0 or more (at most a year)")
    customer = state.customers.get(phone_number) if phone_number else default_customer(state)
    if customer is None:
        raise ControlError(f"no customer with phone number {phone_number}")
    checkin = CheckIn(customer_token=new_customer_token(), msn=qr_code.msn, merchant_qr_id=qr_code.merchant_qr_id,
                      customer=customer.phone_number, initiated_at=now - timedelta(seconds=initiated_ago_s),
                      ttl_s=state.settings.customer_token_ttl_s)
    publish_checkin(state, checkin)
    state.checkins[checkin.customer_token] = checkin
    return checkin
