"""``python -m mobilepay.emulator``: the old command, kept for one release; it runs ``mobilepay.v10.emulator``."""

import sys

from ..v10.emulator.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
