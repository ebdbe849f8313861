"""Races between real database connections, acted out step by step.

Odoo runs a test in one transaction that never commits, so the poller, the POS's RPCs and the
webhooks of a test all share that one cursor and can never meet on a row lock. The races they run
into in production (a check-in arriving while the poller holds the payment, the cashier's cancel
while the poller captures) are played here instead by *actors*: each a thread of its own with a
real cursor of its own (``Registry.cursor()``), committed, as an HTTP worker or a poller thread has.

* ``Race.start(name, function, ..., env=...)`` runs ``function`` in a thread; with ``env`` (the
  user and context of the RPC) it gets an environment on a cursor of its own, committed when it
  returns (rolled back when it raises). ``hold=gate`` keeps that cursor's transaction, and so its
  row locks, open until the test opens the gate: "the poller, mid-call, holds the row".
* Steps are ordered by gates and by watching the database: ``wait_lock_waiters()`` returns once
  another connection waits for a lock (the webhook now waits for the row the poller holds),
  ``is_locked()`` tells whether another connection holds a row.
* ``share_registry(cls)`` in ``setUpClass``: other threads may make environments (see there).
* Every wait has a timeout. A deadlock, or an actor that never ends, fails the test: the lock
  waits of this database are cancelled, so that no thread outlives the test.

The data such a test works on is committed (other connections must see it): ``CommittedTill``
(committed_till.py) makes a register and removes it (and what its payments left); ``Race.sql()``
reads and writes rows through a connection of its own. Runs only where the registry is not in
test mode (``TransactionCase``, not ``HttpCase``): a test cursor would serialise every actor.
"""

import logging
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from unittest.mock import patch

import psycopg2
from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import DummyRLock, Registry
from odoo.tests.test_cursor import TestCursor

_logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 20.0
POLL_STEP_S = 0.02


class RaceTimeout(AssertionError):
    """A step of a race did not happen in time (a deadlock, a lost event, an actor that hangs)."""


class Gate:
    """A point an actor stops at, its transaction (and the locks it took) still open, until the test
    opens the gate."""

    def __init__(self, name, timeout):
        self.name = name
        self.timeout = timeout
        self._reached = threading.Event()
        self._opened = threading.Event()

    def stop_here(self):
        """In the actor: tell the test it is here, then wait until the gate is opened."""
        self._reached.set()
        if not self._opened.wait(self.timeout):
            raise RaceTimeout(f"the gate {self.name!r} was never opened")

    def wait_reached(self, actor):
        """In the test: wait until ``actor`` stopped at the gate (its failure, if it ended first, is raised)."""
        deadline = time.monotonic() + self.timeout
        while not self._reached.wait(POLL_STEP_S):
            if actor.done:
                actor.join()
                raise RaceTimeout(f"the actor {actor.name!r} ended without reaching the gate {self.name!r}")
            if time.monotonic() > deadline:
                raise RaceTimeout(f"the actor {actor.name!r} did not reach the gate {self.name!r} in {self.timeout} s; "
                                  f"where it is: {actor.where()}")

    def open(self):
        self._opened.set()


class Actor:
    """One actor of a race: a thread, and (with an environment) its own committed cursor."""

    def __init__(self, race, name, function, args, env_options, hold):
        self.race = race
        self.name = name
        self.pid = None  # the backend of its cursor (with an environment), once open
        self._function, self._args = function, args
        self._env_options, self._hold = env_options, hold
        self._result = self._error = None
        self._joined = False
        self._done = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"race-{name}", daemon=True)

    def _run(self):
        thread = threading.current_thread()
        thread.dbname = self.race.dbname
        thread.uid = (self._env_options or {}).get("uid", SUPERUSER_ID)
        try:
            if self._env_options is None:
                self._result = self._function(*self._args)
            else:
                with self.race.env(**self._env_options) as env:
                    self.pid = env.cr.connection.get_backend_pid()
                    self._result = self._function(env, *self._args)
                    if self._hold is not None:
                        self._hold.stop_here()
        except BaseException as error:  # noqa: BLE001 - handed to the test by join()
            _logger.info("Race actor %r ended with %r", self.name, error)
            self._error = error
        finally:
            self._done.set()

    def where(self, depth=6):
        """The innermost frames of the actor's thread (for failure messages)."""
        frame = sys._current_frames().get(self.thread.ident)  # noqa: SLF001 - a diagnostic only
        if frame is None:
            return "ended"
        return " < ".join(f"{entry.name} ({entry.filename.rsplit('/', 1)[-1]}:{entry.lineno})"
                          for entry in reversed(traceback.extract_stack(frame)[-depth:]))

    @property
    def done(self):
        return self._done.is_set()

    def join(self, timeout=None):
        """Wait for the actor; its result, or its exception raised here. A timeout fails the test."""
        timeout = self.race.timeout if timeout is None else timeout
        if not self._done.wait(timeout):
            stuck = f"lock waits: {self.race.lock_report()}; where it is: {self.where()}"
            self.race.unstick()
            raise RaceTimeout(f"the actor {self.name!r} did not end in {timeout} s; {stuck}")
        self._joined = True
        if self._error is not None:
            raise self._error
        return self._result


def share_registry(test_class):
    """Let other threads make environments while the test class runs (call it in ``setUpClass``).

    The thread running Odoo's tests holds the registry lock all along (``ThreadedServer.run`` around
    ``preload_registries``): an actor, a poller thread or an HTTP worker (the emulator's webhooks) making an
    environment would wait for it until the tests end. As ``HttpCase`` does for its requests, the lock is
    a no-op while the class runs; unlike ``HttpCase``, cursors stay real (no registry test mode).
    """
    patcher = patch.object(Registry, "_lock", DummyRLock())
    patcher.start()
    test_class.addClassCleanup(patcher.stop)


class Race:
    """The actors, gates and database observations of one test."""

    def __init__(self, dbname, timeout=DEFAULT_TIMEOUT_S):
        self.dbname = dbname
        self.timeout = timeout
        self.registry = Registry(dbname)
        self.actors = []
        self.gates = []

    # ------------------------------------------------------------------ connections

    @contextmanager
    def cursor(self, read_committed=False):
        """A real cursor of its own: committed at the end of the block, rolled back on an exception.
        REPEATABLE READ (an HTTP request's) by default; ``read_committed`` as the poller and webhooks."""
        with self.registry.cursor() as cr:
            if isinstance(cr, TestCursor):
                raise AssertionError("the registry is in test mode: race tests run in a TransactionCase")
            if read_committed:
                cr.connection.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
            yield cr

    @contextmanager
    def env(self, uid=SUPERUSER_ID, context=None, read_committed=False):
        """An environment on a cursor of its own (see ``cursor``)."""
        with self.cursor(read_committed=read_committed) as cr:
            yield api.Environment(cr, uid, dict(context or {}))

    def sql(self, query, params=None):
        """Run ``query`` in a connection of its own, committed; its rows (None when it returns none)."""
        with self.cursor(read_committed=True) as cr:
            cr.execute(query, params)
            return cr.fetchall() if cr.description else None

    # ------------------------------------------------------------------ actors and gates

    def gate(self, name):
        # Held longer than any wait of the test: a test that fails first opens it (close()), and the
        # actor ends normally.
        gate = Gate(name, 2 * self.timeout)
        self.gates.append(gate)
        return gate

    def start(self, name, function, *args, env=None, hold=None):
        """Run ``function(*args)`` in a thread of its own; with ``env`` (keyword arguments of ``env()``),
        ``function(env, *args)`` in a cursor of its own, held open at the gate ``hold`` once it returned."""
        if hold is not None and env is None:
            raise ValueError("only an actor with a cursor holds anything")
        actor = Actor(self, name, function, args, env, hold)
        self.actors.append(actor)
        actor.thread.start()
        return actor

    def start_together(self, count, name, function, *args, env=None):
        """``count`` actors that call ``function`` at the same moment (a barrier once their cursors are open)."""
        barrier = threading.Barrier(count, timeout=self.timeout)

        def together(*call_args):
            barrier.wait()
            return function(*call_args)

        return [self.start(f"{name} {index + 1}", together, *args, env=env) for index in range(count)]

    # ------------------------------------------------------------------ watching

    def wait_until(self, predicate, what, timeout=None):
        """Wait until ``predicate()`` is true; returns its value. A timeout fails the test, saying ``what``."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise RaceTimeout(f"timed out waiting until {what}; lock waits: {self.lock_report()}")
            time.sleep(POLL_STEP_S)

    def lock_waiters(self, blocked_by=None):
        """Backends of this database waiting for a lock (held by backend ``blocked_by``, if given)."""
        rows = self.sql(
            """SELECT pid, pg_blocking_pids(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"""
        )
        return [pid for pid, blockers in rows if blockers and (blocked_by is None or blocked_by in blockers)]

    def wait_lock_waiters(self, count=1, blocked_by=None, what="another connection waits for the lock"):
        """Wait until ``count`` connections wait for a lock (held by ``blocked_by``); returns their pids."""
        return self.wait_until(
            lambda: (waiters := self.lock_waiters(blocked_by)) and len(waiters) >= count and waiters, what
        )

    def is_locked(self, table, record_id):
        """Whether another connection holds a lock on the row (a poller's claim, an RPC's lock)."""
        with self.cursor(read_committed=True) as cr:
            try:
                cr.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE NOWAIT",  # noqa: S608 - our tables
                           (record_id,), log_exceptions=False)
            except psycopg2.errors.LockNotAvailable:
                return True
            finally:
                cr.rollback()
        return False

    def lock_report(self):
        """What waits for what now (for failure messages)."""
        try:
            return self.sql(
                """SELECT pid, pg_blocking_pids(pid), state, left(query, 120) FROM pg_stat_activity
                    WHERE datname = current_database() AND wait_event_type = 'Lock'"""
            )
        except psycopg2.Error as error:
            return f"unknown ({error})"

    def unstick(self):
        """Cancel every lock wait of this database (this test's connections): no thread outlives the test."""
        for gate in self.gates:
            gate.open()
        try:
            self.sql(
                """SELECT pg_cancel_backend(pid) FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"""
            )
        except psycopg2.Error:
            _logger.warning("Race: could not cancel the lock waits", exc_info=True)

    def close(self):
        """At the end of the test: every gate opened, every actor ended; an actor's failure nobody
        looked at is raised here."""
        for gate in self.gates:
            gate.open()
        unseen = []
        for actor in self.actors:
            if not actor._done.wait(self.timeout):
                self.unstick()
                if not actor._done.wait(10):
                    unseen.append(RaceTimeout(f"the actor {actor.name!r} never ended"))
                    continue
            if actor._error is not None and not actor._joined:
                unseen.append(actor._error)
        if unseen:
            raise unseen[0]

