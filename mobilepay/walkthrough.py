"""``python -m mobilepay.walkthrough``: the old command, kept for one release; it runs ``mobilepay.v10.walkthrough``."""

import sys

from .v10.walkthrough import main

if __name__ == "__main__":
    sys.exit(main())
