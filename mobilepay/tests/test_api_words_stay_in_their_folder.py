"""An API's words stay in its own folder and its own files (issue 18: the Odoo layer names no API).

The shared code (the seam ``mobilepay/provider.py`` and ``mobilepay/errors.py``, the shared kit,
the shared Odoo models, controllers and POS files) speaks in neutral terms: ``PaymentState``,
``RefundState``, a provider's capabilities, an error's type and its neutral ``Reason``. The
words of one API may appear only where that API is implemented:

* PoS API v10 status names (``mobilepay.v10.schemas.PaymentStatus`` / ``RefundStatus`` values)
  and error codes (keys of ``mobilepay.v10.errors.ERROR_CODES`` and ``SIMULATION_REFUSALS``):
  ``mobilepay/v10/``, ``models/*_v10.py``, ``static/src/app/*_v10.js``;
* ePayment state and event names (``mobilepay.epayment.schemas.State`` / ``EventName`` values,
  the webhook event types ``epayments.payment.*`` and ``user.checked-in.v1``) and error codes
  (keys of ``mobilepay.epayment.errors.ERROR_CODES``): ``mobilepay/epayment/``,
  ``models/*_epayment.py``, ``controllers/*epayment*``, ``static/src/app/*_epayment.js``.

Scanned: every ``.py``, ``.js``, ``.xml`` and ``.sh`` file of the addon, except tests (``tests/``
folders, ``static/tests/``), translations (``i18n/``), ``.venv``, ``.git`` and ``tools/``: the tools
are drivers of one API each by nature (benchmarks, fault runs, the money ledger read one API's
answers), like the tests.

Matching rule (case-sensitive):

* a name or code that is a whole string literal (``"Initiated"``, ``'1354'``, ```AUTHORIZED```) always
  counts: it is the API's word used as data. Except a plain word written as a label, an XML or field
  ``string="Captured"`` or the label of a selection pair ``(PaymentState.CAPTURED.value, "Captured")``:
  that is the cashier's word for one of our own neutral states;
* as a word anywhere else (code, comments, docstrings, messages) it counts for the distinctive names
  (the CamelCase compounds such as ``IssuedToUser`` or ``CancelledByClient``, the dotted webhook event
  types) and for the codes not divisible by 1000 (``1301``, ``6040``). Plain English words (``Paired``,
  ``Reserved``, ``Captured``, ``Expired``, ``AUTHORIZED`` in a sentence) and round numbers (``1000``,
  ``2000``) are ordinary words and numbers there;
* an import of an API's error-code catalogue (``mobilepay.v10.errors``, ``mobilepay.epayment.errors``)
  counts too: its constants are its codes under other names.

A failure lists every offender as ``file:line: word (API)``; the fix is to move the code into the
API's folder or file (or to ask the provider), not to widen the allowed places.

``KEPT`` would name a word of another API that one file keeps on purpose; it is empty: each provider
names the status texts stored for our own calls in its own words (``status_name``).
"""

import os
import re
from fnmatch import fnmatch
from pathlib import Path

from mobilepay.epayment import errors as epayment_errors
from mobilepay.epayment.schemas import CHECKED_IN_EVENT, EventName, State
from mobilepay.v10 import errors as v10_errors
from mobilepay.v10.schemas import PaymentStatus, RefundStatus

ADDON = Path(__file__).resolve().parents[2]
SUFFIXES = {".py", ".js", ".xml", ".sh"}
SKIPPED_DIRS = {"tests", "i18n", "tools", ".venv", ".git", "node_modules", "__pycache__"}

# API -> the places (paths relative to the addon, fnmatch patterns) where its words belong.
HOMES = {
    "v10": ("mobilepay/v10/*", "models/*_v10.py", "static/src/app/*_v10.js"),
    "ePayment": (
        "mobilepay/epayment/*",
        "models/*_epayment.py",
        "controllers/*epayment*",
        "static/src/app/*_epayment.js",
    ),
}
# (file, word): a word of another API that this one file keeps on purpose (see above).
KEPT = set()


def _is_distinctive(name):
    """A CamelCase compound (``IssuedToUser``) or a dotted/dashed name (``user.checked-in.v1``)."""
    return bool(re.search(r"[a-z][A-Z]", name)) or "." in name


def _words():
    """API -> {word: counts as a bare word too}."""
    v10 = {status.value for status in PaymentStatus} | {status.value for status in RefundStatus}
    v10_codes = set(v10_errors.ERROR_CODES) | set(v10_errors.SIMULATION_REFUSALS)
    epayment = {state.value for state in State} | {event.value for event in EventName}
    epayment |= {event.webhook_type for event in EventName} | {CHECKED_IN_EVENT}
    epayment_codes = set(epayment_errors.ERROR_CODES)
    words = {"v10": {}, "ePayment": {}}
    for api, names, codes in (("v10", v10, v10_codes), ("ePayment", epayment, epayment_codes)):
        for name in names:
            words[api][name] = _is_distinctive(name)
        for code in codes:
            words[api][code] = int(code) % 1000 != 0
    return words


def _patterns():
    """(api, word, compiled pattern) for every word: its whole-literal form, and its bare form where it counts."""
    patterns = []
    for api, words in _words().items():
        for word, bare in sorted(words.items()):
            quoted = rf"""(["'`]){re.escape(word)}\1"""
            if bare:
                # Not part of a longer word, number, dotted name or UUID group.
                pattern = rf"{quoted}|(?<![\w.#-]){re.escape(word)}(?![\w-]|\.\w)"
            else:
                pattern = rf"(?<!string=)(?<!\.value, ){quoted}"  # a plain word as a label is the cashier's
            patterns.append((api, word, re.compile(pattern)))
    # The family of ePayment's payment events, however it is written (``epayments.payment.*``).
    patterns.append(("ePayment", "epayments.payment.", re.compile(r"(?<![\w.])epayments\.payment\.")))
    return patterns


# API -> an import of its error-code catalogue (by any path, relative or absolute).
CATALOGUE_IMPORTS = {
    api: re.compile(rf"^\s*from\s+\S*\b{folder}(\.errors\b|\s+import\s+.*\berrors\b)")
    for api, folder in (("v10", "v10"), ("ePayment", "epayment"))
}


def _source_files():
    for folder, dirs, files in os.walk(ADDON):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = Path(folder, name)
            if path.suffix in SUFFIXES:
                yield path.relative_to(ADDON).as_posix(), path


def _at_home(relative, api):
    return any(fnmatch(relative, pattern) for pattern in HOMES[api])


def find_offenders():
    patterns = _patterns()
    offenders = []
    for relative, path in _source_files():
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for api, word, pattern in patterns:
            if _at_home(relative, api) or (relative, word) in KEPT:
                continue
            for number, line in enumerate(lines, start=1):
                if pattern.search(line):
                    offenders.append(f"{relative}:{number}: {word} ({api})")
        for api, pattern in CATALOGUE_IMPORTS.items():
            if relative.endswith(".py") and not _at_home(relative, api):
                offenders += [
                    f"{relative}:{number}: its error catalogue ({api})"
                    for number, line in enumerate(lines, start=1)
                    if pattern.search(line)
                ]
    return sorted(set(offenders), key=lambda text: (text.split(":")[0], int(text.split(":")[1]), text))


def test_the_scan_sees_the_addon():
    files = dict(_source_files())
    assert "models/pos_mobilepay_transaction.py" in files
    assert "mobilepay/provider.py" in files
    assert "static/src/app/payment_mobilepay.js" in files and "views/pos_mobilepay_transaction_views.xml" in files
    assert not any(name.startswith(("tools/", "mobilepay/tests/", "tests/", "static/tests/", ".venv/", "i18n/"))
                   or "/tests/" in name for name in files)


def test_the_rule_reads_literals_and_distinctive_words():
    patterns = {(api, word): pattern for api, word, pattern in _patterns()}
    initiated = patterns["v10", "Initiated"]
    assert initiated.search('state = "Initiated"') and not initiated.search("# Initiated by the cashier")
    assert patterns["v10", "CancelledByClient"].search("# ends CancelledByClient")
    assert patterns["v10", "1301"].search("# v10 1301: a payment is active")
    assert not patterns["v10", "1301"].search("x = 11301") and not patterns["v10", "1000"].search("1000 ms")
    assert patterns["v10", "1000"].search("code == '1000'")
    assert patterns["ePayment", "AUTHORIZED"].search('if event == "AUTHORIZED":')
    assert not patterns["ePayment", "AUTHORIZED"].search("# once AUTHORIZED, capture")
    assert patterns["ePayment", "user.checked-in.v1"].search("# a user.checked-in.v1 webhook")
    assert patterns["ePayment", "epayments.payment."].search("# every epayments.payment.* event")
    assert not patterns["ePayment", "6040"].search("id = '6f1f7d52-6040-4a8e'")
    captured = patterns["v10", "Captured"]
    assert captured.search('self._mobilepay_set_state(state, "Captured")')
    assert not captured.search('<filter string="Captured" name="captured"/>')
    assert not captured.search('(PaymentState.CAPTURED.value, "Captured"),')
    v10_catalogue, epayment_catalogue = CATALOGUE_IMPORTS["v10"], CATALOGUE_IMPORTS["ePayment"]
    assert v10_catalogue.search("from ..mobilepay.v10.errors import BEACON_ALREADY_USED")
    assert v10_catalogue.search("from mobilepay.v10 import errors as v10_errors")
    assert epayment_catalogue.search("from ..mobilepay.epayment.errors import NOT_ENOUGH_REFUNDABLE")
    assert not v10_catalogue.search("from ..mobilepay.errors import MobilePayError")
    assert not epayment_catalogue.search("from ..mobilepay.epayment.provider import msisdn")


def test_api_words_stay_in_their_folder():
    offenders = find_offenders()
    assert not offenders, "API words outside their API's places:\n" + "\n".join(offenders)
