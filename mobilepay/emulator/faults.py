"""Fault injection: make chosen requests fail the way networks and servers fail.

Kinds:
* ``status``: answer with ``status`` (e.g. 503) without processing the request;
* ``latency``: wait ``latency_ms`` and then process the request normally;
* ``drop_before``: close the connection without processing and without answering;
* ``drop_after``: process the request (state changes!) and close the connection
  without answering, as when the answer is lost on the way back.

A fault matches on the HTTP method (None: any) and the path, exactly or as an
``fnmatch`` pattern (``/pos/v10/payments/*/capture``), and fires ``times``
times (None: until cleared). The first matching fault that still has shots left
fires.
"""

import fnmatch
import threading
from dataclasses import dataclass
from typing import Optional

KINDS = ("status", "latency", "drop_before", "drop_after")


@dataclass
class Fault:
    kind: str
    method: Optional[str] = None
    path: str = "*"
    status: int = 503
    latency_ms: int = 0
    times: Optional[int] = 1
    hits: int = 0

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
                "latencyMs": self.latency_ms, "times": self.times, "hits": self.hits}


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []

    def add(self, method="POST", path="/pos/v10/payments", kind="status", status=503, latency_ms=0, times=1) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for ever)")
        fault = Fault(kind=kind, method=method, path=path, status=int(status), latency_ms=int(latency_ms),
                      times=times)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self):
        with self._lock:
            self._faults.clear()

    def take(self, method, path) -> Optional[Fault]:
        """The fault that fires for this request, counted as fired; None if none."""
        with self._lock:
            for fault in self._faults:
                if not fault.exhausted and fault.matches(method, path):
                    fault.hits += 1
                    return fault
        return None

    def __len__(self):
        with self._lock:
            return sum(1 for f in self._faults if not f.exhausted)

    def to_json(self):
        with self._lock:
            return [f.to_json() for f in self._faults]
