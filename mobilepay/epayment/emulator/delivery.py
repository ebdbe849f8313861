"""Webhook deliveries (API.md 10.4, 10.5): signed POSTs from background threads, with retries.

* Each delivery is a POST of compact JSON, signed with ``mobilepay.epayment.signature.sign`` for the
  registered URL and the registration's secret. ``x-ms-date`` is the real time of each attempt
  [Unconfirmed whether retries renew it; API.md 15, point 10], so receivers' clock checks hold
  while tests move the emulator clock.
* A 2xx answer is a success. Anything else (another status, a redirect, which is not followed,
  a connection error, no answer within ``webhook_timeout_s``) is retried after
  ``webhook_retry_delays_s`` (the last delay repeats), up to ``webhook_max_attempts`` in all; then
  the delivery is dropped for good and the next one of its queue goes.
* Order is kept per registration and per payment (per check-in sticker for check-ins): one queue
  per (registration, payment); while its head keeps failing, later events of that payment wait.
  Queues of other payments or registrations go on.
* Every attempt is recorded (``emu.deliveries``). ``reset()`` forgets queues and records; attempts
  still under way then are not recorded.

Chaos (API.md 10.4: deliveries can come late, more than once, out of order), all off by default and
decided when the delivery is queued, drawn from ``rng`` (the emulator's ``faults.rng``: seeding it
makes a run repeatable, as far as the threads' timing allows), in this order:

* ``webhook_loss_probability``: the delivery is never sent; it is recorded at once with ``status``
  None, ``attempt`` 0 and ``error`` "lost" (``redeliver()`` can still send it);
* ``webhook_delay_s`` (low, high): the first attempt waits a time drawn uniformly in that range
  (real seconds); with order kept, later deliveries of the payment wait behind it;
* ``webhook_duplicate_probability`` (and ``webhook_duplicate_deliveries``, which means 1): after the
  delivery succeeded, the same delivery once more (``duplicate: true``), itself delayed by a draw of
  ``webhook_delay_s``;
* ``webhook_keep_order`` False: every delivery has a queue of its own, so the deliveries of one
  payment (one sticker) go at once, side by side; with a delay range they overtake each other.
"""

import dataclasses
import itertools
import json
import logging
import random
import threading
import time
from collections import deque
from dataclasses import dataclass

import requests

from ..signature import sign
from .clock import timestamp7

_logger = logging.getLogger("mobilepay.epayment.emulator.webhooks")
USER_AGENT = "vipps-mobilepay-webhooks-emulator"


@dataclass
class Delivery:
    id: int
    registration_id: str
    url: str
    secret: str
    event: str
    body: dict
    raw: bytes
    order_key: tuple
    attempts: int = 0
    next_at: float = 0.0
    duplicate: bool = False
    twice: bool = False  # sent once more after its success (webhook_duplicate_probability)
    twice_delay: float = 0.0  # the first attempt of that duplicate waits this long


class Deliverer:
    def __init__(self, settings, clock, rng=None):
        self.settings = settings
        self.clock = clock
        self.rng = rng or random.Random()  # the chaos draws
        self._cond = threading.Condition()
        self._queues = {}  # (registration id, order key) -> deque of Delivery
        self._busy = set()  # queue keys with an attempt under way
        self._records = []
        self._generation = 0
        self._ids = itertools.count(1)
        self._thread = None
        self._stopping = False

    # ------------------------------------------------------------------ feeding (under the state lock: no I/O)

    def enqueue(self, registration, event_type, body, order_key) -> Delivery:
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        settings = self.settings
        with self._cond:
            delivery = Delivery(id=next(self._ids), registration_id=registration.id, url=registration.url,
                                secret=registration.secret, event=event_type, body=body, raw=raw,
                                order_key=order_key)
            if not settings.webhook_keep_order:
                delivery.order_key = ("unordered", delivery.id)
            if self._chance(settings.webhook_loss_probability):
                self._record(delivery, None, "lost", {})
                self._cond.notify_all()
                return delivery
            delivery.next_at = time.monotonic() + self._first_delay()
            delivery.twice = self._chance(settings.webhook_duplicate_probability)
            if delivery.twice:
                delivery.twice_delay = self._first_delay()
            self._queues.setdefault((registration.id, delivery.order_key), deque()).append(delivery)
            self._cond.notify_all()
        return delivery

    def _chance(self, probability) -> bool:
        """True with ``probability`` (nothing is drawn when it is 0 or 1)."""
        if probability <= 0:
            return False
        return probability >= 1 or self.rng.random() < probability

    def _first_delay(self) -> float:
        low, high = self.settings.webhook_delay_s
        return self.rng.uniform(low, high) if high > 0 else 0.0

    def drop_registration(self, registration_id) -> None:
        """A deleted registration receives nothing more (an attempt under way still finishes)."""
        with self._cond:
            for key in [k for k in self._queues if k[0] == registration_id]:
                del self._queues[key]
            self._cond.notify_all()

    def redeliver(self, index=-1) -> dict:
        """Send the recorded delivery ``index`` once more (a duplicate, API.md 10.4), after what is queued."""
        with self._cond:
            record = self._records[index]
            original = record["_delivery"]
            copy = dataclasses.replace(original, id=next(self._ids), attempts=0, next_at=0.0, duplicate=True)
            self._queues.setdefault((copy.registration_id, copy.order_key), deque()).append(copy)
            self._cond.notify_all()
            return _public(record)

    def reset(self) -> None:
        with self._cond:
            self._generation += 1
            self._queues.clear()
            self._busy.clear()
            self._records.clear()
            self._cond.notify_all()

    # ------------------------------------------------------------------ looking inside

    @property
    def records(self) -> list:
        with self._cond:
            return [_public(r) for r in self._records]

    def pending(self) -> int:
        with self._cond:
            return sum(len(q) for q in self._queues.values())

    def wait_for(self, count, timeout=5.0) -> list:
        """Block until ``count`` successful (2xx) deliveries were made; returns those deliveries."""
        def successes():
            return [r for r in self._records if r["status"] is not None and 200 <= r["status"] < 300]

        with self._cond:
            if not self._cond.wait_for(lambda: len(successes()) >= count, timeout=timeout):
                made = [(r["event"], r["status"], r["error"]) for r in self._records]
                raise TimeoutError(f"expected {count} successful webhook deliveries within {timeout} s, "
                                   f"got {len(successes())}; attempts so far: {made}")
            return [_public(r) for r in successes()]

    # ------------------------------------------------------------------ the delivery threads

    def start(self) -> None:
        with self._cond:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="epayment-emulator-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            thread, self._thread = self._thread, None
            self._cond.notify_all()
        if thread is not None:
            thread.join(timeout=5)

    def _run(self):
        with self._cond:
            while not self._stopping:
                now = time.monotonic()
                wait = 0.5
                for key, queue in list(self._queues.items()):
                    if not queue:
                        del self._queues[key]
                        continue
                    if key in self._busy:
                        continue
                    head = queue[0]
                    if head.next_at <= now:
                        self._busy.add(key)
                        threading.Thread(target=self._attempt, args=(key, head, self._generation),
                                         name="epayment-emulator-delivery", daemon=True).start()
                    else:
                        wait = min(wait, head.next_at - now)
                self._cond.wait(timeout=max(wait, 0.001))

    def _delay(self, attempts_made):
        delays = self.settings.webhook_retry_delays_s or (1.0,)
        return delays[min(attempts_made - 1, len(delays) - 1)]

    def _attempt(self, key, delivery, generation):
        delivery.attempts += 1
        headers = sign(delivery.secret, delivery.url, delivery.raw)
        headers["Content-Type"] = "application/json"
        headers["User-Agent"] = USER_AGENT
        status = error = None
        try:
            with requests.Session() as session:
                session.trust_env = False  # receivers are local test servers: never through a proxy
                answer = session.post(delivery.url, data=delivery.raw, headers=headers, allow_redirects=False,
                                      timeout=self.settings.webhook_timeout_s)
                status = answer.status_code
        except requests.Timeout:
            error = f"no answer within {self.settings.webhook_timeout_s} s"
        except (requests.RequestException, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        ok = status is not None and 200 <= status < 300
        if not ok:
            _logger.debug("webhook %s to %s failed (attempt %s): %s", delivery.event, delivery.url,
                          delivery.attempts, status or error)
        with self._cond:
            if generation != self._generation:
                return
            self._record(delivery, status, error, headers)
            queue = self._queues.get(key)
            if ok or delivery.attempts >= self.settings.webhook_max_attempts:
                if queue and queue[0] is delivery:
                    queue.popleft()
                twice = delivery.twice or self.settings.webhook_duplicate_deliveries
                if ok and twice and not delivery.duplicate and queue is not None:
                    queue.appendleft(dataclasses.replace(
                        delivery, id=next(self._ids), attempts=0, next_at=time.monotonic() + delivery.twice_delay,
                        duplicate=True, twice=False))
            else:
                delivery.next_at = time.monotonic() + self._delay(delivery.attempts)
            self._busy.discard(key)
            self._cond.notify_all()


    def _record(self, delivery, status, error, headers):
        """One attempt (or a lost delivery) in ``emu.deliveries``; the caller holds ``_cond``."""
        self._records.append({
            "event": delivery.event, "url": delivery.url, "status": status, "attempt": delivery.attempts,
            "body": delivery.body, "registration_id": delivery.registration_id, "at": timestamp7(self.clock.now()),
            "error": error, "delivery_id": delivery.id, "duplicate": delivery.duplicate, "headers": headers,
            "_delivery": delivery,
        })


def _public(record):
    return {k: v for k, v in record.items() if not k.startswith("_")}
