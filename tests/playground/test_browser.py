"""The playground in a real browser: Debian's Chromium, headless, driven by
playwright-python (never `playwright install`: the system browser is used).

One walk through the page: it loads, a slider moves, the charts change and draw
exactly what the Python API computes, a policy lever is set, the scenario file
downloads and `aiscale run --scenario FILE` gives the page's milestones, a bad value
gets the command line's message beside its control, the address reopens the same
view, the ensemble fan runs, nothing is requested from anywhere but the server, and a
screenshot is saved. Skips (saying why) only where no browser can be had.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest

from aiscale.cli import main
from aiscale.model import simulate_baseline
from aiscale.playground import start_server
from aiscale.playground.session import PREVIEW
from aiscale.scenarios import load_scenario

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # blow-ups, as the CLI hides them

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IDLE = "() => { const p = window.aiscalePlayground; return p && p.phase === 'exact' && !p.busy; }"
SCREENSHOT = os.environ.get("AISCALE_PLAYGROUND_SCREENSHOT")  # also save the screenshot here


def chromium() -> str:
    path = os.environ.get("AISCALE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("no Chromium browser on this machine (Debian: apt-get install chromium; .ci/run installs it)")
    return path


@pytest.fixture(scope="module")
def server():
    srv = start_server("baseline", port=0)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture()
def browser(tmp_path, server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright-python is not installed "
                                   "(pip install playwright; it is in the test extra)")
    executable = chromium()
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=executable, headless=True, args=FLAGS,
            accept_downloads=True, viewport={"width": 1440, "height": 950})

        def route(r):  # every request the page makes; anything not for our server is refused
            requests.append(r.request.url)
            if r.request.url.startswith(server.url):
                r.continue_()
            else:
                r.abort()

        context.route("**/*", route)
        context.requests = requests
        yield context
        context.close()


def floats(values) -> np.ndarray:
    """JSON numbers as floats; null (a value that is not finite) as NaN."""
    out = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    return np.where(np.isfinite(out), out, np.nan)


def idle(page) -> None:
    page.wait_for_function(IDLE, timeout=30_000)


def drawn(page) -> dict:
    """What each chart draws: role, model output, x and y of every series."""
    return page.evaluate("window.aiscalePlayground.chartData()")


def assert_charts_equal(charts: dict, frame: pd.DataFrame) -> None:
    """Every series of the run drawn in the charts equals ``frame`` at each of its times
    (a log-scale chart leaves out values <= 0), and has no point at any other time."""
    checked = 0
    for chart, series in charts.items():
        for s in series:
            if s["role"] != "run":
                continue
            x = np.array(s["x"], dtype=float)
            y = floats(s["y"])
            ours = np.isin(x, frame.index)
            assert ours.sum() == len(frame), (chart, s["column"])
            assert np.all(np.isnan(y[~ours])), (chart, s["column"])
            expected = frame[s["column"]].reindex(x[ours]).to_numpy()
            drawable = np.isfinite(expected) & ((expected > 0) if s["log"] else True)
            np.testing.assert_array_equal(~np.isnan(y[ours]), drawable, err_msg=f"{chart}: {s['column']}")
            np.testing.assert_allclose(y[ours][drawable], expected[drawable], rtol=1e-12, atol=0,
                                       err_msg=f"{chart}: {s['column']}")
            checked += 1
    assert checked >= 15


def page_milestones(page) -> list[tuple[str, str]]:
    rows = page.locator("#milestones tbody tr").all()
    return [(r.locator("td").nth(0).inner_text(), r.locator("td").nth(1).inner_text()) for r in rows]


def cli_milestones(path: Path, capsys) -> list[tuple[str, str]]:
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["run", "--scenario", str(path), "--until", "2060"]) == 0
    lines = capsys.readouterr().out.splitlines()[2:]
    return [tuple(re.split(r"\s{2,}", line.strip(), maxsplit=1)) for line in lines if line.strip()]


def test_the_playground_in_a_browser(browser, server, tmp_path, capsys):
    page = browser.pages[0] if browser.pages else browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server.url)
    idle(page)
    assert page.locator("#controls .control").count() == len(page.evaluate("aiscalePlayground.config.controls"))
    before = drawn(page)
    model = load_scenario("baseline").apply()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert_charts_equal(before, simulate_baseline(model, stop=2060).frame)

    # a slider moves: the FLOP gap to a tenth of its log range
    page.locator("#r-flop_gap").fill("100")
    idle(page)
    flop_gap = float(page.evaluate("aiscalePlayground.state.values.flop_gap"))
    low, high = model.parameters["flop_gap"].low, model.parameters["flop_gap"].high
    assert flop_gap == pytest.approx(low * (high / low) ** 0.1, rel=0.01)
    after = drawn(page)
    assert after["compute"] != before["compute"]
    moved = model.with_parameters({"flop_gap": flop_gap})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        exact = simulate_baseline(moved, stop=2060)
        preview = simulate_baseline(moved, stop=2060, **PREVIEW)
    assert_charts_equal(after, exact.frame)
    shown = page.evaluate("aiscalePlayground.responses.preview.run")
    for column in ("time", "largest_training_run_flop", "automation_fraction", "max_run_flop_data"):
        expected = preview.frame.index if column == "time" else preview.frame[column]
        np.testing.assert_allclose(floats(shown[column]), floats(expected), rtol=1e-12, atol=0, err_msg=column)

    # a policy lever: a compute tax of 30% from 2030
    page.locator("#s-compute_tax_rate").fill("2030")
    page.locator("#v-compute_tax_rate").fill("0.3")
    page.locator("#v-compute_tax_rate").press("Enter")
    idle(page)
    assert "compute_tax_rate=0.3@2030" in page.url

    # the scenario file reproduces the page's milestones through the command line
    with page.expect_download() as download:
        page.locator("#download-toml").click()
    toml = tmp_path / download.value.suggested_filename
    download.value.save_as(toml)
    assert 'target = "compute_tax_rate"' in toml.read_text()
    shown_milestones = page_milestones(page)
    assert len(shown_milestones) > 30
    assert cli_milestones(toml, capsys) == shown_milestones

    with page.expect_download() as download:
        page.locator("#download-csv").click()
    csv = pd.read_csv(download.value.path(), index_col="time")
    assert {"largest_training_run_flop", "binding_constraint"} <= set(csv.columns)

    # a bad value typed into a box gets the command line's message beside it
    page.locator("#v-fab_construction_years").fill("9")
    page.locator("#v-fab_construction_years").press("Enter")
    message = page.locator("#e-fab_construction_years")
    message.wait_for(state="visible")
    bad = tmp_path / "bad.toml"
    bad.write_text(toml.read_text().replace("[parameters]\n", "[parameters]\nfab_construction_years = 9\n"))
    capsys.readouterr()
    assert main(["run", "--scenario", str(bad)]) == 2
    cli_error = capsys.readouterr().err.strip()
    assert cli_error.endswith(": " + message.inner_text()) and "out of range" in cli_error
    page.locator("#c-fab_construction_years .reset").click()
    idle(page)
    assert message.inner_text() == ""

    # the address reopens the same view
    again = browser.new_page()
    again.goto(page.url)
    idle(again)
    assert drawn(again) == drawn(page)
    assert again.locator("#v-compute_tax_rate").input_value() == "0.3"
    again.close()

    # the ensemble fan, with its progress
    page.locator("#run-ensemble").click()
    page.wait_for_function("() => window.aiscalePlayground.fanResult !== undefined", timeout=60_000)
    fan = page.evaluate("aiscalePlayground.fanResult")
    assert fan["members"] == 1000
    p10, p90 = (np.array(fan["largest_training_run_flop"][k], dtype=float) for k in ("p10", "p90"))
    assert np.all(p10 <= p90) and np.any(p10 < p90)

    page.screenshot(path=str(tmp_path / "playground.png"))
    if SCREENSHOT:
        page.screenshot(path=SCREENSHOT)
    assert (tmp_path / "playground.png").stat().st_size > 50_000
    assert not errors, errors

    outside = [u for u in browser.requests if urlsplit(u).scheme not in ("data", "blob")
               and urlsplit(u).netloc != f"127.0.0.1:{server.server_port}"]
    assert not outside, outside
    assert any("/static/uPlot.iife.min.js" in u for u in browser.requests)
