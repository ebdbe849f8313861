"""What the shop benchmark (benchmark_shop.py) prints: each phase's figures, the capacities, the CPU that
MobilePay adds to an order, and the money check at the end."""

import collections
import math
import os

from money_ledger import query, settle

GROUPS = ("HTTP workers", "cron (poller)", "gevent (bus)", "PostgreSQL", "Odoo other")


def num(value, digits=0):
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def print_phase(f, failed, kinds, requests, counts, n):
    print(f"\n{f['api']} at {f['rate']}/min per register: offered {f['offered']:.2f} payments/s, "
          f"{f['arrivals']} customers, {f['done']} done, {f['failed']} failed, {f['late']} late; "
          f"{f['elapsed']:.0f} s, load {f['load'][0]:.2f} -> {f['load'][1]:.2f} ({os.cpu_count()} cores)")
    print(f"  order sync p50 {num(f['sync p50'])} ms p95 {num(f['sync p95'])} ms; queue at the till p95 "
          f"{num(f['queue p95'])} ms")
    if f["api"] != "cash":
        print(f"  accept -> paid (capture at MobilePay) p50 {num(f['paid p50'])} ms p95 {num(f['paid p95'])} ms; "
              f"accept -> POS push p50 {num(f['push p50'])} ms p95 {num(f['push p95'])} ms; accept -> line paid "
              f"(after the status call) p95 {num(f['line p95'])} ms; start RPC p95 {num(f['start p95'])} ms")
        print(f"  MobilePay calls per payment {f['calls']:.2f} (" + ", ".join(
            f"{kind} {count / n:.2f}" for kind, count in kinds.most_common()) + ")")
        print(f"  poll interval (emulator side) p50 {num(f['intervals'][0])} ms p95 {num(f['intervals'][1])} ms"
              + (f"; webhook deliveries per payment {f['webhooks']:.2f}" if f["webhooks"] else "")
              + "; " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print("  Odoo requests per order (count; SQL queries, SQL ms, other ms per request): " + "; ".join(
        f"{kind} {c / n:.2f} ({q / c:.0f}, {sql / c * 1000:.1f}, {other / c * 1000:.1f})"
        for kind, (c, q, sql, other) in sorted(requests.items(), key=lambda item: -item[1][0])))
    print(f"  PostgreSQL transactions per order: {f['xacts'][0]:.1f} committed, {f['xacts'][1]:.1f} rolled back "
          "(a poller thread's look that finds nothing due ends in a rollback)")
    print("  CPU ms per order, net of idle: " + ", ".join(
        f"{group} {f['cpu'].get(group, 0) * 1000:.1f}" for group in GROUPS + ("load generator + emulators",))
          + f"; Odoo+PostgreSQL {sum(f['cpu'].get(g, 0) for g in GROUPS) * 1000:.1f}"
          + (f"; cron CPU per poller call (poll or capture) {num(f['cron per call'] * 1000, 1)} ms"
             if f["api"] != "cash" else ""), flush=True)
    for reason, count in collections.Counter(failed).most_common(4):
        print(f"    failure: {reason} ({count})")


def capacity(results, api, key):
    """(the highest-rate phase up to which every phase passes, the p95 limit); passing: p95 within 1.3 x the
    lowest rate's and at most 1 % of the customers failed or late."""
    phases = sorted((f for f in results if f["api"] == api), key=lambda f: f["rate"])
    if not phases:
        return None, None
    limit = 1.3 * phases[0][key]
    best = None
    for f in phases:
        if not (f[key] <= limit and (f["failed"] + f["late"]) <= 0.01 * max(f["arrivals"], 1)):
            break
        best = f
    return best, limit


def summary(results, apis):
    print("\nCapacity (highest rate up to which p95 stays within 1.3 x the lowest rate's, <= 1 % failed/late):")
    for api in ("cash", *apis):
        key = "sync p95" if api == "cash" else "paid p95"
        best, limit = capacity(results, api, key)
        if limit is None:
            continue
        top = max(f["rate"] for f in results if f["api"] == api)
        said = ("none (fails at the lowest rate)" if best is None else
                f"{best['rate']}/min per register = {best['offered']:.2f} payments/s"
                + (" (the highest rate tried: at least this)" if best["rate"] == top else ""))
        what = "order sync" if api == "cash" else "accept -> paid"
        print(f"  {api:<18} {said}; p95 {what} limit {num(limit)} ms")
    print("\nCPU ms that MobilePay adds to an order (MobilePay phase minus cash phase at the same rate, net of "
          "idle; measured per process group):")
    print(f"  {'api':<18} {'rate':>5} " + " ".join(f"{g:>14}" for g in GROUPS) + f" {'total':>8}")
    cash = {f["rate"]: f["cpu"] for f in results if f["api"] == "cash"}
    for f in results:
        if f["api"] == "cash" or f["rate"] not in cash:
            continue
        added = [f["cpu"].get(g, 0) - cash[f["rate"]].get(g, 0) for g in GROUPS]
        print(f"  {f['api']:<18} {f['rate']:>5} " + " ".join(f"{a * 1000:>14.1f}" for a in added)
              + f" {sum(added) * 1000:>8.1f}")
    print("  (cash phase CPU per order, Odoo+PostgreSQL: " + "; ".join(
        f"{rate}/min {sum(c.get(g, 0) for g in GROUPS) * 1000:.1f} ms" for rate, c in sorted(cash.items())) + ")")
    print("  By step, measured: counts per payment (Odoo requests and their SQL and other time from Odoo's log, "
          "MobilePay calls and webhooks at the emulators, PostgreSQL transactions). CPU is measured per process "
          "group only: the HTTP workers run start, status, webhooks and the order sync; the cron worker runs the "
          "poller (claims, polls, captures, bus notifications); gevent sends the bus pushes; PostgreSQL serves "
          "them all. 'Cron CPU per poller call' divides the cron's CPU by the poller's calls: an estimate that "
          "includes its claims.")


def money(setup, v10, epayment, results):
    """After the crons settled: captured money at the emulators against what Odoo booked, line by line."""
    running = settle(setup)
    captured = {}
    for p in v10.dump_state()["payments"]:
        if p["status"] == "Captured":
            captured[p["orderId"]] = p["capturedAmount"] or p["amount"]
    for p in epayment.dump_state()["payments"]:
        value = p["aggregate"]["capturedAmount"]["value"] / 100.0
        if value > 0:
            captured[(p.get("metadata") or {}).get("orderId")] = value
    booked = {uuid: float(amount) for uuid, amount in query(setup, """
        SELECT p.uuid, p.amount FROM pos_payment p JOIN pos_payment_method m ON m.id = p.payment_method_id
         WHERE m.use_payment_terminal = 'mobilepay'""")}
    wrong = sum(1 for line, amount in booked.items() if abs(captured.get(line, 0) - amount) > 0.005)
    unbooked = sum(1 for line in captured if line not in booked)
    twice = sum(n - 1 for f in results for n in f["captures"].values() if n > 1)
    print(f"\nMoney: captured at MobilePay {sum(captured.values()):.2f} DKK on {len(captured)} lines, booked in "
          f"Odoo {sum(booked.values()):.2f} DKK on {len(booked)} lines; lines booked without that capture "
          f"{wrong}, captures on no order {unbooked}, references captured more than once {twice}, "
          f"transactions still running after the crons settled {running}")
