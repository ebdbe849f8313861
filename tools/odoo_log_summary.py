"""Read an Odoo test log and say plainly how the pos_mobilepay suite went.

Exit status 1 when no test ran, any failed or errored, any was skipped (a
skipped tour is a tour that did not run), or Odoo logged an ERROR/CRITICAL.
"""

import re
import sys

SUMMARY = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
LEVEL = re.compile(r"^\S+ \S+ \d+ (ERROR|CRITICAL) ")
SKIP = re.compile(r" skipped (\S+) : (.*)$")


def main(path):
    text = open(path, encoding="utf-8", errors="replace").read().splitlines()
    summaries = [SUMMARY.search(line) for line in text]
    summaries = [m for m in summaries if m]
    skips = [m.groups() for m in (SKIP.search(line) for line in text) if m]
    errors = [line for line in text if LEVEL.match(line)]
    problems = []
    if not summaries:
        problems.append("no test summary in the log (did the install fail?)")
        failed = errored = run = 0
    else:
        failed, errored, run = (int(x) for x in summaries[-1].groups())
    if run == 0:
        problems.append("no test ran")
    if failed or errored:
        problems.append(f"{failed} failed, {errored} error(s)")
    for test, reason in skips:
        problems.append(f"skipped {test}: {reason}")
    for line in errors[:20]:
        problems.append(f"logged: {line[:300]}")
    passed = max(run - failed - errored - len(skips), 0)
    print(f"Odoo tests: {run} run, {len(skips)} skipped")
    for problem in problems:
        print(f"  problem: {problem}")
    print(f"odoo: {passed} passed, {failed + errored} failed, {len(skips)} skipped")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
