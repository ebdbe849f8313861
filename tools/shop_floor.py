"""The floor under "MobilePay's added CPU per payment" (benchmark_shop.py --floor-calls): what one Odoo
request that does next to nothing costs on this machine, measured like the phases (CPU per process group
net of idle), so that the CPU MobilePay adds to an order can be read in requests.

A payment needs at least: the POS's start RPC; one event from MobilePay (an ePayment webhook, a v10
check-in callback) or one poll; the capture, a call the server makes from its poller. So its floor is
about three requests' worth of an Odoo server's own overhead (routing, session, environment, transaction,
JSON) before any of our work, whatever the addon does.
"""

import threading
import time

from odoo_harness import RpcError
from shop_report import GROUPS

TRIVIAL = ("pos.payment.method", "read", ["name"])


def measure_floor(shop, calls, seconds=20.0):
    """``calls`` trivial authenticated RPCs (a read of one field), spread over the registers and over
    ``seconds``; returns CPU seconds per request by process group, net of idle, and the Odoo log's figures."""
    tills = shop.tills
    per_till = max(1, calls // len(tills))
    gap = seconds / per_till
    model, method, fields_ = TRIVIAL
    shop.wait_quiet()
    before = shop.sampler.snapshot()
    t0 = time.time()
    answered = [[0, 0] for _ in tills]  # per register: done, failed (each thread counts its own)

    def run(index, till, offset):
        time.sleep(offset)
        for _ in range(per_till):
            started = time.time()
            try:
                till.rpc.call(model, method, [[shop.method_ids["v10"]], fields_])
                answered[index][0] += 1
            except (RpcError, ConnectionError):
                answered[index][1] += 1
            time.sleep(max(0.0, gap - (time.time() - started)))

    threads = [threading.Thread(target=run, args=(i, till, i * gap / len(tills))) for i, till in enumerate(tills)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done, errors = (sum(column) for column in zip(*answered, strict=True))
    elapsed = time.time() - t0
    cpu = shop.sampler.groups(before, shop.sampler.snapshot())
    idle = {group: rate_s * elapsed for group, rate_s in shop.idle.items()}
    per_call = {group: (cpu[group] - idle.get(group, 0.0)) / max(done, 1) for group in cpu}
    total = sum(per_call.get(g, 0.0) for g in GROUPS)
    print(f"\nFloor: {done} trivial RPCs ({model}.{method} of one field), {errors} failed, {elapsed:.0f} s; "
          f"CPU ms per request, net of idle: "
          + ", ".join(f"{g} {per_call.get(g, 0) * 1000:.1f}" for g in GROUPS)
          + f"; Odoo+PostgreSQL {total * 1000:.1f}", flush=True)
    return total


def print_floor_reading(results, floor_s, apis):
    """The CPU MobilePay adds per payment, in trivial requests, next to 25 % of a cash order's."""
    if not floor_s or floor_s <= 0:
        return
    cash = {f["rate"]: sum(f["cpu"].get(g, 0) for g in GROUPS) for f in results if f["api"] == "cash"}
    print(f"\nRead against the floor (one trivial request = {floor_s * 1000:.1f} ms of Odoo+PostgreSQL CPU; a "
          "payment needs at least a start RPC, an event or a poll, and a capture: 3 requests):")
    for f in results:
        if f["api"] not in apis or f["rate"] not in cash:
            continue
        added = sum(f["cpu"].get(g, 0) for g in GROUPS) - cash[f["rate"]]
        quarter = 0.25 * cash[f["rate"]]
        print(f"  {f['api']:<18} {f['rate']:>5}/min: adds {added * 1000:.1f} ms = {added / floor_s:.1f} trivial "
              f"requests; 25 % of the cash order = {quarter * 1000:.1f} ms = {quarter / floor_s:.1f} trivial "
              f"requests; 3 trivial requests = {3 * floor_s * 1000:.1f} ms", flush=True)


def one_register(shop, apis, seconds, rate=12):
    """Each API's figures with one register alone, on the same server just before the phases (the reference
    that the p95 at many registers is compared with). Not counted among the phases."""
    tills, phase_seconds = shop.tills, shop.args.phase_seconds
    shop.tills, shop.args.phase_seconds = tills[:1], seconds
    print(f"\nOne register alone, {seconds} s per API at {rate}/min (the reference for the ratios):", flush=True)
    try:
        figures = {api: shop.phase(rate, api) for api in apis}
    finally:
        shop.tills, shop.args.phase_seconds = tills, phase_seconds
        shop.results = [f for f in shop.results if all(f is not g for g in figures.values())]
    return figures


def print_ratios(results, reference):
    """p95 accept -> paid of every phase against one register's, per API."""
    if not reference:
        return
    print("\np95 accept -> paid against one register alone (measured in this run):")
    for f in results:
        one = reference.get(f["api"])
        if one and one["paid p95"] == one["paid p95"] and one["paid p95"]:
            print(f"  {f['api']:<18} {f['rate']:>5}/min x {f['registers']} registers: {f['paid p95']:.0f} ms against "
                  f"{one['paid p95']:.0f} ms, ratio {f['paid p95'] / one['paid p95']:.2f}", flush=True)
