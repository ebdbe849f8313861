"""The poller: many MobilePay calls in flight at once, each transaction locked and committed on its own.

The poll cron runs a small pool of threads. Each thread claims one transaction that is due
(``FOR UPDATE SKIP LOCKED``, in a READ COMMITTED cursor of its own), brings it forward with
``_mobilepay_process`` (a poll, a capture, a cancel, a re-sent create), commits, and claims the
next. So throughput grows with the work (the work is waiting for MobilePay, not computing),
and several pollers — the threads of one cron, the cron threads of several Odoo servers on
one database — share the transactions without ever acting on the same one. A run is short:
the threads stop when nothing has been due for a moment (or after the run's budget), and
the cron is triggered again for when the next transaction is due, so other crons get their
turn. pollDelayInMs is honoured per transaction: a row is claimable only once its
``next_poll_at`` has passed (or it has a capture or cancel to do right away).

While nothing is due, one thread looks and the others sleep: the run's watcher holds a connection
that LISTENs on ``pos_mobilepay_due`` (NOTIFY-ed, at commit, whenever something makes a transaction
due: a start, a webhook, a check-in, a cancel) and sleeps until the next transaction is due or it
is woken, then hands a claim to one worker; a worker that claimed something wakes one more, so the
threads at work grow with the due work, up to the pool. Idle threads cost no queries.
"""

import logging
import select
import threading
import time
from datetime import timedelta

from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED

from odoo import SUPERUSER_ID, api, models
from odoo.tools import config as odoo_config

from .mobilepay_states import RESERVED, UNSTARTED_STATES, WAITING_FOR_CUSTOMER
from .pos_mobilepay_transaction import in_test, utcnow
from .pos_mobilepay_transaction_processing import CHECKIN_PENDING_FOR, WAKE_CHANNEL

_logger = logging.getLogger(__name__)

THREADS_PARAMETER = "pos_mobilepay.poller_threads"
DEFAULT_THREADS = 12
RUN_BUDGET_S = 20.0
# The run ends when nothing is due within this long and no thread is at work.
IDLE_WAIT_S = 3.0
# The watcher looks again at least this long after finding something due (the workers go on claiming
# by themselves; a due row another worker holds must not make it spin).
BUSY_LOOK_S = 0.2
# A thread that cannot get a working cursor this many times in a row stops (the others go on).
MAX_THREAD_FAILURES = 3

# When a transaction is due to be polled: its next poll time, or sooner for a payment waiting for
# the customer when a customer checked in at its PoS and no payment there has paired since (at
# pollDelayInMs after its last poll; the SQL twin of _mobilepay_checkin_pending).
DUE_AT_SQL = """
  CASE WHEN state = %(waiting)s AND error_count = 0 AND EXISTS (
            SELECT 1 FROM pos_mobilepay_registration r
             WHERE r.id = registration_id
               AND r.checkin_notified_at > %(now)s - %(pending_for)s
               AND NOT EXISTS (SELECT 1 FROM pos_mobilepay_transaction p
                                WHERE p.registration_id = r.id AND p.kind = 'payment'
                                  AND p.paired_at >= r.checkin_notified_at))
       THEN LEAST(next_poll_at, COALESCE(last_poll_at + COALESCE(poll_delay_ms, 0) * interval '1 millisecond',
                                         %(now)s))
       ELSE next_poll_at END
"""
# Due: that time has passed, or it is reserved or to be cancelled with no error to wait out
# (the SQL twin of _mobilepay_needs_step). A sticker payment waiting for its customer's scan is never
# due: nothing is sent before the check-in, which the webhook hands to it (a claim would only hold
# the row the check-in must lock).
DUE_SQL = f"""
      NOT is_final
  AND awaiting_checkin IS NOT TRUE
  AND (next_poll_at IS NULL OR ({DUE_AT_SQL}) <= %(now)s
       OR (error_count = 0 AND state NOT IN %(unstarted)s AND (intent = 'cancel' OR state = %(reserved)s)))
"""


def due_params(now):
    return {
        "now": now,
        "unstarted": tuple(UNSTARTED_STATES),
        "reserved": RESERVED,
        "waiting": WAITING_FOR_CUSTOMER,
        "pending_for": CHECKIN_PENDING_FOR,
    }


def claim_due(cr, now):
    """Lock one due transaction for this cursor's transaction and return its id (None: nothing free is due)."""
    cr.execute(
        f"""SELECT id FROM pos_mobilepay_transaction WHERE {DUE_SQL}
             ORDER BY next_poll_at NULLS FIRST, id LIMIT 1 FOR UPDATE SKIP LOCKED""",  # noqa: S608 - constant SQL
        due_params(now),
    )
    row = cr.fetchone()
    return row[0] if row else None


def next_due_in(cr, now):
    """Seconds until the next active transaction is due (0 when one is due now; None when none is active)."""
    cr.execute(
        f"""SELECT CASE WHEN bool_or({DUE_SQL}) THEN 0
                        ELSE EXTRACT(EPOCH FROM min({DUE_AT_SQL}) - %(now)s) END
              FROM pos_mobilepay_transaction WHERE NOT is_final""",  # noqa: S608 - constant SQL
        due_params(now),
    )
    row = cr.fetchone()
    return None if row is None or row[0] is None else max(float(row[0]), 0.0)


class PosMobilepayTransaction(models.Model):
    _inherit = "pos.mobilepay.transaction"

    @api.model
    def _mobilepay_poller_threads(self):
        try:
            wanted = int(self.env["ir.config_parameter"].sudo().get_param(THREADS_PARAMETER, DEFAULT_THREADS))
        except (TypeError, ValueError):
            wanted = DEFAULT_THREADS
        # Each thread holds a database connection while it works: leave half of the pool to the rest.
        return max(1, min(wanted, int(odoo_config["db_maxconn"]) // 2))

    @api.model
    def _cron_mobilepay_poll(self, time_budget=None):
        """Bring every due transaction forward, several at once, for up to ``time_budget`` seconds (20).

        In tests (no commits allowed) it makes one round through the due transactions in the
        current cursor instead.
        """
        if in_test():
            now = utcnow()
            providers = {}
            for transaction in self.sudo().search(self._mobilepay_active_domain(), order="next_poll_at asc, id"):
                if transaction._mobilepay_needs_step(now):
                    transaction._mobilepay_advance(providers)
            return True
        budget = RUN_BUDGET_S if time_budget is None else time_budget
        run_pool(self.env.registry, budget, self._mobilepay_poller_threads())
        # Come back when the next transaction is due (a trigger due now wakes the cron at once).
        self.env.cr.commit()  # pylint: disable=invalid-commit - a fresh snapshot for the look below
        wait = next_due_in(self.env.cr, utcnow())
        if wait is not None:
            self._mobilepay_trigger_poller(None if wait <= 0 else utcnow() + timedelta(seconds=wait))
        return True


def run_pool(registry, budget, size):
    """One poller run: ``size`` worker threads and their watcher, for up to ``budget`` seconds."""
    run = _PollRun(registry, time.monotonic() + budget)
    threads = [threading.Thread(target=_pool_worker, args=(run,), name=f"mobilepay-poller-{index}")
               for index in range(size)]
    threads.append(threading.Thread(target=_watch, args=(run, size), name="mobilepay-poller-watcher"))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


class _PollRun:
    """What the threads of one poller run share: the deadline, and the claims to make (hints)."""

    def __init__(self, registry, deadline, until_idle=False):
        self.registry = registry
        self.until_idle = until_idle  # no watcher: end once nothing is left to claim
        self.deadline = deadline
        self.cond = threading.Condition()
        self.hints = 0
        self.working = 0
        self.stopped = False

    def over(self):
        return self.stopped or time.monotonic() >= self.deadline

    def wake(self, count=1, most=None):
        """``count`` more claims to try (at most ``most`` waiting at once; never fewer than already wait)."""
        with self.cond:
            self.hints = self.hints + count if most is None else max(self.hints, min(self.hints + count, most))
            self.cond.notify(count)

    def take(self):
        """Wait for a claim to try; False when the run is over."""
        with self.cond:
            if self.until_idle and not self.hints:
                return False
            while not self.hints and not self.over():
                self.cond.wait(max(min(IDLE_WAIT_S, self.deadline - time.monotonic()), 0.01))
            if self.over():
                return False
            self.hints -= 1
            self.working += 1
            return True

    def done(self):
        with self.cond:
            self.working -= 1

    def idle(self):
        with self.cond:
            return not self.working and not self.hints

    def stop(self):
        with self.cond:
            self.stopped = True
            self.cond.notify_all()


def _own_thread(registry):
    thread = threading.current_thread()
    thread.dbname = registry.db_name
    thread.uid = SUPERUSER_ID
    return thread


def _watch(run, size):
    """The run's watcher: sleeps until a transaction is due (or a NOTIFY on WAKE_CHANNEL says one may
    be), hands the workers a claim, and ends the run when nothing is due soon and nobody works."""
    _own_thread(run.registry)
    try:
        with run.registry.cursor() as cr:
            connection = cr._cnx
            cr.execute(f"LISTEN {WAKE_CHANNEL}")
            cr.commit()
            while not run.over():
                wait = next_due_in(cr, utcnow())
                cr.commit()  # idle again: the notifications come through
                if wait == 0:
                    run.wake(1, most=size)
                elif (wait is None or wait > IDLE_WAIT_S) and run.idle():
                    return
                timeout = IDLE_WAIT_S if wait is None else max(wait, BUSY_LOOK_S if wait == 0 else 0)
                timeout = max(min(timeout, run.deadline - time.monotonic()), 0)
                if select.select([connection], [], [], timeout) != ([], [], []):
                    connection.poll()
                    connection.notifies.clear()
            cr.execute("UNLISTEN *")  # the connection goes back to the pool
            cr.commit()
    except Exception:  # noqa: BLE001 - without a watcher the run ends; the cron comes back
        _logger.exception("MobilePay poller watcher stopped")
    finally:
        run.stop()


def _poll_worker(registry, deadline):
    """One poller thread on its own (no watcher): claims what is due now, works it through, ends."""
    run = _PollRun(registry, deadline, until_idle=True)
    run.wake(1)
    _pool_worker(run)


def _pool_worker(run):
    """One thread of a poller run: wait for a claim to try, then claim, process and commit until nothing
    is free."""
    thread = _own_thread(run.registry)
    providers = {}
    failures = 0
    while run.take():
        try:
            _work_while_due(run, providers)
            failures = 0
        except Exception:  # noqa: BLE001 - e.g. the connection pool is full: try again in a moment
            failures += 1
            if failures >= MAX_THREAD_FAILURES:
                _logger.exception("MobilePay poller thread %s stopped", thread.name)
                return
            _logger.warning("MobilePay poller thread %s failed, trying again", thread.name, exc_info=True)
            time.sleep(min(IDLE_WAIT_S, max(run.deadline - time.monotonic(), 0)))
            run.wake(1)
        finally:
            run.done()


def _work_while_due(run, providers):
    """Claim, process and commit one due transaction after another until none is free (or the run ends)."""
    while not run.over():
        with run.registry.cursor() as cr:
            cr.connection.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
            transaction_id = claim_due(cr, utcnow())
            if transaction_id is None:
                cr.rollback()
                return
            run.wake(1, most=1)  # there may be more: one more thread looks
            env = api.Environment(cr, SUPERUSER_ID, {"mobilepay_own_cursor": False})
            transaction = env["pos.mobilepay.transaction"].browse(transaction_id)
            if transaction._mobilepay_awaits_first_send():
                # This cursor is the thread's own: the first send commits its steps itself.
                transaction.with_context(mobilepay_own_cursor=True)._mobilepay_first_send(providers)
            else:
                transaction._mobilepay_process(providers)
            cr.commit()
