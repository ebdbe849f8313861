"""Money in the emulator's ledger against Odoo's tables: what the fault run and the load benchmark check.

``settle()`` runs the crons until no MobilePay transaction is running; ``money_invariants()``
counts what went wrong with money (each figure should be 0) and describes what happened.
"""

import collections
import json
import subprocess

from odoo_harness import pg_args

QUIET_SCRIPT = r"""
import json
Transaction = env["pos.mobilepay.transaction"].sudo()
Transaction._cron_mobilepay_reconcile()
Transaction._cron_mobilepay_poll(time_budget=20)
env.cr.commit()
print("QUIET", json.dumps({{"running": Transaction.search_count([("is_final", "=", False)])}}))
"""

LEDGER_SQL = {
    "transactions": """
        SELECT t.kind, t.state, t.line_uuid, t.amount, t.provider_payment_id, t.provider_refund_id,
               t.pos_payment_id, t.refunded_transaction_id
          FROM pos_mobilepay_transaction t""",
    "payment_lines": """
        SELECT p.uuid, p.amount, o.state
          FROM pos_payment p
          JOIN pos_payment_method m ON m.id = p.payment_method_id
          JOIN pos_order o ON o.id = p.pos_order_id
         WHERE m.use_payment_terminal = 'mobilepay'""",
}

FINAL = {
    "captured",
    "cancelled_by_customer",
    "cancelled_by_cashier",
    "cancelled_by_provider",
    "expired",
    "failed",
}


def query(setup, sql):
    """Rows of ``sql`` on the set-up's database, as lists of text."""
    out = subprocess.run(
        ["psql", *pg_args(setup.db_args), "-d", setup.db, "-At", "-F", "\t", "-c", sql],
        text=True, capture_output=True, check=True,
    ).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def settle(setup, rounds=30, pause_s=5):
    """Run reconciliation and the poller until nothing runs (or ``rounds`` tries); returns what still runs."""
    import time

    running = None
    for _ in range(rounds):
        out = setup.shell(QUIET_SCRIPT.format())
        running = json.loads(next(line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("QUIET")))[
            "running"
        ]
        if running == 0:
            break
        time.sleep(pause_s)
    return running


def unbacked_lines(lines, captured_by_line, refund_by_line, refunded_by_id):
    """Odoo MobilePay payment lines without that money at MobilePay: a payment line whose line was not
    captured for its amount, a refund line whose refund was not paid out for its amount."""
    unbacked = 0
    for line_uuid, amount, _state in lines:
        amount = float(amount)
        if amount > 0:
            taken = captured_by_line.get(line_uuid)
            unbacked += taken is None or abs(taken - amount) > 0.005
        else:
            refund_id = refund_by_line.get(line_uuid)
            unbacked += refund_id is None or abs(refunded_by_id.get(refund_id, 0) + amount) > 0.005
    return unbacked


def money_invariants(emulator, setup, scans=None):
    """(figures that must be 0, figures that describe the run), from either backend's emulator. ``scans``:
    per sale (line uuid), the phones of the customers who scanned a sticker for it (ePayment)."""
    if "refunds" not in emulator.dump_state():
        return epayment_money_invariants(emulator, setup, scans or {})
    return v10_money_invariants(emulator, setup)


def v10_money_invariants(emulator, setup):
    ledger = emulator.dump_state()
    payments = ledger["payments"]
    refunds = ledger["refunds"]
    rows = query(setup, LEDGER_SQL["transactions"])
    lines = query(setup, LEDGER_SQL["payment_lines"])
    captured_in_odoo = {r[4] for r in rows if r[0] == "payment" and r[1] == "captured"}
    refunded_in_odoo = {r[5] for r in rows if r[0] == "refund" and r[1] == "captured"}
    figures = collections.OrderedDict()

    by_order = collections.Counter(p["orderId"] for p in payments if p["status"] == "Captured")
    figures["double captures"] = sum(n - 1 for n in by_order.values() if n > 1)
    figures["reservations left unsettled (payments)"] = sum(
        1 for p in payments if p["status"] in ("Reserved", "Initiated", "IssuedToUser", "Paired", "Prepared")
    )
    figures["reservations left unsettled (refunds)"] = sum(
        1 for r in refunds if r["status"] in ("Initiated", "Reserved")
    )
    figures["captures Odoo does not know"] = sum(
        1 for p in payments if p["status"] == "Captured" and p["paymentId"] not in captured_in_odoo
    )
    paid_out = ("Captured", "ExpiredAndCaptured")
    money_by_order = {
        p["orderId"]: p["capturedAmount"] or p["amount"] for p in payments if p["status"] == "Captured"
    }
    refund_lines = {r[2]: r[5] for r in rows if r[0] == "refund" and r[1] == "captured"}
    refund_amounts = {r["refundId"]: r["amount"] for r in refunds if r["status"] in paid_out}
    figures["orders paid without a capture"] = unbacked_lines(lines, money_by_order, refund_lines, refund_amounts)
    figures["refunds paid unknown to Odoo"] = sum(
        1 for r in refunds if r["status"] in paid_out and r["refundId"] not in refunded_in_odoo
    )
    refunded = collections.defaultdict(float)
    for r in refunds:
        if r["status"] in ("Captured", "ExpiredAndCaptured", "Initiated", "Reserved"):
            refunded[r["paymentId"]] += r["amount"]
    captured_amounts = {p["paymentId"]: p["capturedAmount"] or p["amount"] for p in payments}
    figures["over-refunds"] = sum(
        1 for pid, total in refunded.items() if total - (captured_amounts.get(pid) or 0) > 0.005
    )
    figures["rows stuck non-final"] = sum(1 for r in rows if r[1] not in FINAL)
    extra = {
        "MobilePay payments": len(payments),
        "of which captured": sum(1 for p in payments if p["status"] == "Captured"),
        "MobilePay refunds": len(refunds),
        "of which paid out": len(refund_amounts),
        "Odoo transactions": len(rows),
        "Odoo MobilePay payment lines": len(lines),
        "captured but not booked on an order": sum(
            1 for r in rows if r[0] == "payment" and r[1] == "captured" and not r[6]
        ),
    }
    return figures, extra


def pushed_to_another_customer(payments, scans):
    """Sticker payments (made with a check-in's customer token) whose customer is not one who scanned for
    that sale: a payment request on the wrong phone. Each is described on standard output."""
    wrong = [
        p
        for p in payments
        if p.get("customerVariant") == "customerToken"
        and p.get("customer") not in scans.get((p.get("metadata") or {}).get("orderId"), ())
    ]
    for p in wrong:
        line = (p.get("metadata") or {}).get("orderId")
        print(f"  pushed to another customer: {p['reference']} (line {line}) reached {p.get('customer')}, "
              f"scanned by {sorted(scans.get(line, ()))}, created {p.get('createdAt')}")
    return len(wrong)


def epayment_money_invariants(emulator, setup, scans):
    """The same figures from the ePayment emulator: payments with their aggregate, refunds as REFUNDED events."""
    payments = emulator.dump_state()["payments"]
    rows = query(setup, LEDGER_SQL["transactions"])
    lines = query(setup, LEDGER_SQL["payment_lines"])
    captured_in_odoo = {r[4] for r in rows if r[0] == "payment" and r[1] == "captured"}
    refunded_in_odoo = {r[5] for r in rows if r[0] == "refund" and r[1] == "captured"}

    def value(payment, name):
        return payment["aggregate"][name]["value"] / 100.0

    def events(payment, name):
        return [e for e in payment["events"] if e["name"] == name and e.get("success", True)]

    figures = collections.OrderedDict()
    by_line = collections.Counter(
        (p.get("metadata") or {}).get("orderId") for p in payments if value(p, "capturedAmount") > 0
    )
    figures["double captures"] = sum(n - 1 for n in by_line.values() if n > 1) + sum(
        len(events(p, "CAPTURED")) - 1 for p in payments if len(events(p, "CAPTURED")) > 1
    )
    figures["reservations left unsettled (payments)"] = sum(
        1
        for p in payments
        if p["state"] == "CREATED"
        or (
            p["state"] == "AUTHORIZED"
            and value(p, "capturedAmount") + value(p, "cancelledAmount") < value(p, "authorizedAmount") - 0.005
        )
    )
    figures["reservations left unsettled (refunds)"] = 0  # an ePayment refund is final when it is made
    figures["captures Odoo does not know"] = sum(
        1 for p in payments if value(p, "capturedAmount") > 0 and p["reference"] not in captured_in_odoo
    )
    money_by_line = {
        (p.get("metadata") or {}).get("orderId"): value(p, "capturedAmount")
        for p in payments
        if value(p, "capturedAmount") > 0
    }
    refund_events = {e["idempotencyKey"]: e["amount"]["value"] / 100.0 for p in payments
                     for e in events(p, "REFUNDED")}
    refund_lines = {r[2]: r[5] for r in rows if r[0] == "refund" and r[1] == "captured"}
    figures["orders paid without a capture"] = unbacked_lines(lines, money_by_line, refund_lines, refund_events)
    figures["refunds paid unknown to Odoo"] = sum(1 for key in refund_events if key not in refunded_in_odoo)
    figures["over-refunds"] = sum(
        1 for p in payments if value(p, "refundedAmount") - value(p, "capturedAmount") > 0.005
    )
    figures["rows stuck non-final"] = sum(1 for r in rows if r[1] not in FINAL)
    figures["payments pushed to a customer other than the one who scanned"] = pushed_to_another_customer(
        payments, scans
    )
    extra = {
        "Vipps MobilePay payments": len(payments),
        "of which by sticker": sum(1 for p in payments if p.get("customerVariant") == "customerToken"),
        "of which captured": sum(1 for p in payments if value(p, "capturedAmount") > 0),
        "refunds paid out": len(refund_events),
        "Odoo transactions": len(rows),
        "Odoo MobilePay payment lines": len(lines),
        "captured but not booked on an order": sum(
            1 for r in rows if r[0] == "payment" and r[1] == "captured" and not r[6]
        ),
    }
    return figures, extra
