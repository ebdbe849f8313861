"""What the emulators' command lines share: where to listen, and serving until Ctrl-C."""

import logging
import sys
import threading

from .. import argtypes

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_listen_arguments(parser, default_port):
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback only)")
    parser.add_argument("--port", type=argtypes.port, default=default_port,
                        help=f"port (0: any free port; default {default_port})")


def serve(args, make_emulator, banner, stop_event=None, start_errors=()):
    """Start ``make_emulator()`` on ``args.host``/``args.port``, print ``banner(emu)`` (lines) and serve until
    Ctrl-C or ``stop_event``; the exit status. A port in use, and ``start_errors``, are told, not raised."""
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.host not in LOOPBACK:
        print(f"WARNING: listening on {args.host}, not only on loopback: anyone who can reach this machine "
              "can use the emulator.", file=sys.stderr)
    try:
        emu = make_emulator().start(args.host, args.port)
    except OSError as error:
        print(f"The emulator cannot listen on {args.host}:{args.port}: {error.strerror or error}. "
              "Is another program using the port? Choose another one with --port (0: any free port).",
              file=sys.stderr)
        return 1
    except start_errors as error:
        print(f"The emulator cannot start: {error}", file=sys.stderr)
        return 1
    print("\n".join([*banner(emu), "Press Ctrl-C to stop."]), flush=True)
    stop_event = stop_event or threading.Event()
    try:
        while not stop_event.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
    return 0
