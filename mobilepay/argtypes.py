"""argparse types of the command lines (emulator, walkthrough, tools): a bad value is a clear usage error."""

import argparse
import math


def whole_number(minimum=0):
    """A whole number, at least ``minimum``."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError("cannot be negative" if minimum == 0 else f"must be at least {minimum}")
        return value

    return parse


def seconds(positive=False):
    """A finite number of seconds (above 0 with ``positive``)."""

    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError("must be a finite number")
        if positive and value <= 0:
            raise argparse.ArgumentTypeError("must be a positive number of seconds")
        return value

    return parse


def port(text):
    """A TCP port, 0 (any free one) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0 to 65535; 0 picks a free one)")
    return value
