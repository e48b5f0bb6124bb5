"""Speed of the playground, from releasing a slider to updated charts, in a real browser
(Debian's Chromium, headless, via playwright). Printed, never asserted.

    .venv/bin/python benchmarks/bench_playground.py [--moves 20] [--screenshot docs/playground.png]

The page times each move itself (``performance.now()`` from the slider's ``change``
event until the frame after the charts were given the new data): the **preview**
(RK4, what the charts show first) and the **exact** run that replaces it (RK45, asked
for after 150 ms of quiet, run in a worker process). Then the same moves again with a
release every 0.4 s, while exact runs are still under way. The server's share is timed separately in Python: the
same settings through :meth:`Playground.run`. The target: a median preview of 300 ms
or less on this (shared, 2-core) machine.

``--screenshot PATH`` saves the page afterwards (the README's picture); ``--in-process``
runs the exact runs in the server's process, for comparison.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiscale.playground import start_server  # noqa: E402
from aiscale.playground.session import Settings  # noqa: E402

IDLE = "() => { const p = window.aiscalePlayground; return p && p.phase === 'exact' && !p.busy; }"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SLIDERS = ("flop_gap", "research_returns", "reinvestment_ratio", "fab_construction_years", "power_buildout_years",
           "synthetic_usable_fraction", "full_automation_effective_flop", "price_performance_growth_per_year")
POSITIONS = (300, 700, 450, 600, 200)


def quantiles(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    return f"{statistics.median(values):8.0f} ms  {p90:8.0f} ms  {values[0]:6.0f}-{values[-1]:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=20, help="slider releases to time (default 20)")
    parser.add_argument("--screenshot", type=Path, help="save a screenshot of the page here afterwards")
    parser.add_argument("--in-process", action="store_true", help="exact runs in the server's process (no worker)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    warnings.simplefilter("ignore", RuntimeWarning)
    server = start_server("baseline", port=0, worker=not args.in_process)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    profile = tempfile.mkdtemp(prefix="aiscale-bench-")
    moves = [(SLIDERS[k % len(SLIDERS)], POSITIONS[k % len(POSITIONS)]) for k in range(args.moves)]
    try:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(profile, executable_path=shutil.which("chromium"),
                                                           headless=True, args=FLAGS,
                                                           viewport={"width": 1440, "height": 980})
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(server.url)
            page.wait_for_function(IDLE, timeout=60_000)
            for name, position in moves:
                page.locator(f"#r-{name}").fill(str(position))
                page.wait_for_function(IDLE, timeout=60_000)
            timings = page.evaluate("aiscalePlayground.timings")[2:]  # after the first load
            # quick hands: a release every 0.4 s, so that exact runs are still going when the next comes
            done = len(page.evaluate("aiscalePlayground.timings"))
            for name, position in moves:
                page.locator(f"#r-{name}").fill(str(1000 - position))
                page.wait_for_timeout(400)
            page.wait_for_function(IDLE, timeout=60_000)
            rapid = [t["ms"] for t in page.evaluate("aiscalePlayground.timings")[done:] if t["phase"] == "preview"]
            if args.screenshot:
                page.locator("#reset-all").click()  # then: what if the FLOP gap were 100x, not 10,000x?
                page.wait_for_function(IDLE, timeout=60_000)
                page.locator("#v-flop_gap").fill("100")
                page.locator("#v-flop_gap").press("Enter")
                page.wait_for_function(IDLE, timeout=60_000)
                page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0); "
                              "document.querySelector('aside').scrollTop = 0")
                box = page.locator("#chart-compute .u-over").bounding_box()
                page.mouse.move(box["x"] + box["width"] * 0.62, box["y"] + box["height"] * 0.5)  # shows values
                page.screenshot(path=str(args.screenshot))
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)

    playground = server.playground
    server_times: dict[bool, list[float]] = {False: [], True: []}
    for name, position in moves[:10]:
        control = playground.by_name[name]
        low, high = control["low"], control["high"]
        value = low * (high / low) ** (position / 1000) if control["log"] else low + (high - low) * position / 1000
        settings = Settings(values={name: f"{value:.3g}"})
        for exact in (False, True):
            t = time.perf_counter()
            playground.run(settings, exact)
            server_times[exact].append((time.perf_counter() - t) * 1000)
    server.shutdown()
    server.server_close()

    preview = [t["ms"] for t in timings if t["phase"] == "preview"]
    exact = [t["ms"] for t in timings if t["phase"] == "exact"]
    print(f"{len(preview)} slider releases in headless Chromium          median          p90  range")
    print(f"slider released -> preview charts (RK4)       {quantiles(preview)}")
    print(f"exact run asked -> exact charts (RK45)        {quantiles(exact)}")
    print(f"released every 0.4 s -> preview charts ({len(rapid):2d})  {quantiles(rapid)}")
    print(f"server only: preview (Playground.run)         {quantiles(server_times[False])}")
    print(f"server only: exact (Playground.run)           {quantiles(server_times[True])}")
    if args.screenshot:
        print(f"wrote {args.screenshot}")


if __name__ == "__main__":
    main()
