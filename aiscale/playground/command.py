"""``aiscale playground``: its arguments and handler (``aiscale.cli`` adds them)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from . import DEFAULT_PORT, HOST

HELP = "the model live in a browser: sliders, charts, milestones, downloads (a local web server)"
EXAMPLES = f"""examples:
  aiscale playground                          # the baseline, opens http://{HOST}:{DEFAULT_PORT}/
  aiscale playground pause --port 8800        # start from a built-in scenario (or a .toml file)
  aiscale playground --no-browser             # only print the address

serves on {HOST} only (never on other interfaces); Ctrl-C stops it; nothing is loaded from
the network: the page, its script and its charting library (uPlot) ship with aiscale"""


def add_arguments(add: Callable[[str, str, str | None], argparse.ArgumentParser]) -> None:
    """Add the verb, given the CLI's ``add(name, help, epilog)`` factory."""
    p = add("playground", HELP, EXAMPLES)
    p.add_argument("scenario", nargs="?", default="baseline", metavar="SCENARIO",
                   help="the scenario to start from: a built-in name or a .toml file (default baseline)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"port on {HOST} (default {DEFAULT_PORT}; 0: any free port)")
    p.add_argument("--no-browser", action="store_true", help="do not open the page in a browser")


def run(args: argparse.Namespace, say: Callable[[str], None], user_error: type[Exception]) -> None:
    from .server import serve

    if not 0 <= args.port <= 65535:
        raise user_error(f"--port must lie in [0, 65535], not {args.port}")

    def say_now(text: str) -> None:
        say(text)
        sys.stdout.flush()

    serve(args.scenario, args.port, open_browser=not args.no_browser, say=say_now,
          log=(lambda line: print(line, file=sys.stderr)) if args.debug else None)
