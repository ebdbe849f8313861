"""Fault injection: make chosen requests fail the way networks and servers fail.

Kinds:
* ``status``: answer with ``status`` (e.g. 503) without processing the request;
* ``latency``: wait ``latency_ms`` and then process the request normally;
* ``drop_before``: close the connection without processing and without answering;
* ``drop_after``: process the request (state changes!) and close the connection
  without answering, as when the answer is lost on the way back;
* ``body``: process the request (state changes!) and answer ``status`` (200 unless
  given) with ``body`` instead of the real answer, as a broken gateway or an API
  change would (an empty body, HTML, an unknown status).

A subclass may know more kinds (``kinds``): the ePayment emulator's ``problem``
answers as the API itself would, with ``status`` and the error ``code`` of the
fault (see ``mobilepay/epayment/emulator/faults.py``). ``code`` is for such kinds
only (``coded_kinds``).

A fault matches on the HTTP method (None: any) and the path, exactly or as an
``fnmatch`` pattern (``/pos/v10/payments/*/capture``), and fires ``times``
times (None: until cleared), each matching request with ``probability`` (1: always).
The first matching fault that still has shots left and fires, fires. A latency
fault waits ``latency_ms``, or a time drawn uniformly up to ``latency_max_ms``.
"""

import fnmatch
import random
import threading
from dataclasses import dataclass
from typing import Optional

KINDS = ("status", "latency", "drop_before", "drop_after", "body")


@dataclass
class Fault:
    kind: str
    method: Optional[str] = None
    path: str = "*"
    status: int = 503
    latency_ms: int = 0
    times: Optional[int] = 1
    hits: int = 0
    probability: float = 1.0
    latency_max_ms: Optional[int] = None
    body: str = ""
    code: Optional[str] = None  # the API error code a ``problem`` fault answers with

    def delay_ms(self, rng=random):
        """How long a latency fault waits this time."""
        if self.latency_max_ms is None:
            return self.latency_ms
        return rng.uniform(self.latency_ms, self.latency_max_ms)

    def matches(self, method, path):
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.path == path:
            return True
        return any(ch in self.path for ch in "*?[") and fnmatch.fnmatchcase(path, self.path)

    @property
    def exhausted(self):
        return self.times is not None and self.hits >= self.times

    def to_json(self):
        return {"kind": self.kind, "method": self.method, "path": self.path, "status": self.status,
                "latencyMs": self.latency_ms, "latencyMaxMs": self.latency_max_ms, "times": self.times,
                "probability": self.probability, "body": self.body, "code": self.code, "hits": self.hits}


class Faults:
    # The kinds this emulator knows, those of them that take a ``code``, and a code to give as an example.
    kinds = KINDS
    coded_kinds = ()
    example_code = None

    def __init__(self, rng=None):
        self._lock = threading.Lock()
        self._faults = []
        self.rng = rng or random.Random()

    def add(self, method="POST", path="/pos/v10/payments", kind="status", status=None, latency_ms=0, times=1,
            probability=1.0, latency_max_ms=None, body="", code=None) -> Fault:
        if kind not in self.kinds:
            raise ValueError(f"kind must be one of {', '.join(self.kinds)}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for ever)")
        probability = float(probability)
        if not 0 < probability <= 1:
            raise ValueError("probability must be above 0 and at most 1")
        if int(latency_ms) < 0 or (latency_max_ms is not None and int(latency_max_ms) < int(latency_ms)):
            raise ValueError("latency must be 0 or more, and latency_max_ms at least latency_ms")
        if status is None:
            status = 200 if kind == "body" else 503
        if not isinstance(body, str):
            raise ValueError("body must be a string")
        if code is not None:
            if kind not in self.coded_kinds:
                raise ValueError(f"code is only for the kinds {', '.join(self.coded_kinds) or '(none here)'}")
            if isinstance(code, bool) or not isinstance(code, (str, int)) or not str(code).isdigit():
                raise ValueError(f"code must be a number, e.g. \"{self.example_code}\"")
            code = str(code)
        fault = Fault(kind=kind, method=method, path=path, status=int(status), latency_ms=int(latency_ms),
                      times=times, probability=probability,
                      latency_max_ms=None if latency_max_ms is None else int(latency_max_ms), body=body, code=code)
        with self._lock:
            self._faults.append(fault)
        return fault

    def remove(self, fault):
        """Take one fault away (a fault that is gone already is fine)."""
        with self._lock:
            self._faults = [f for f in self._faults if f is not fault]

    def clear(self):
        with self._lock:
            self._faults.clear()

    def take(self, method, path) -> Optional[Fault]:
        """The fault that fires for this request, counted as fired; None if none."""
        with self._lock:
            for fault in self._faults:
                if fault.exhausted or not fault.matches(method, path):
                    continue
                if fault.probability < 1 and self.rng.random() >= fault.probability:
                    continue
                fault.hits += 1
                return fault
        return None

    def __len__(self):
        with self._lock:
            return sum(1 for f in self._faults if not f.exhausted)

    def to_json(self):
        with self._lock:
            return [f.to_json() for f in self._faults]
