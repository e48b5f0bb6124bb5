"""`aiscale playground`: the server on 127.0.0.1, its API, Ctrl-C, and what it ships."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from aiscale.cli import main
from aiscale.playground.server import static_files

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "aiscale" / "playground" / "static"


@pytest.fixture(scope="module")
def served():
    """`aiscale playground --no-browser --port 0` in a process of its own."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-m", "aiscale.cli", "playground", "--no-browser", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)  # its own process group, as in a terminal
    line = process.stdout.readline()
    assert line.startswith("aiscale playground: http://127.0.0.1:"), line + process.stderr.read()
    url = line.split()[2]
    yield process, urlsplit(url)
    if process.poll() is None:
        process.kill()
        process.wait()


def request(url, method="GET", path="/", body=None, host=None):
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    headers = {"Host": host or url.netloc}
    if body is not None:
        headers["Content-Type"] = "application/json"
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    return response.status, response.getheader("Content-Type"), response.read().decode()


def test_the_server_serves_the_page_and_its_api_and_stops_on_ctrl_c(served):
    process, url = served
    assert url.hostname == "127.0.0.1"
    status, kind, page = request(url)
    assert status == 200 and kind.startswith("text/html") and "static/app.js" in page
    status, _, script = request(url, path="/static/uPlot.iife.min.js")
    assert status == 200 and "uPlot" in script
    status, _, config = request(url, path="/api/config")
    assert status == 200 and len(json.loads(config)["controls"]) >= 20
    status, _, run = request(url, "POST", "/api/run", {"scenario": "pause", "until": 2040, "values": {"flop_gap": "100"}})
    assert status == 200 and json.loads(run)["phase"] == "preview"
    status, _, bad = request(url, "POST", "/api/run", {"values": {"flop_gap": "abc"}})
    assert status == 400 and json.loads(bad) == {
        "error": "[parameters] flop_gap must be a number, not a string ('abc')", "control": "flop_gap"}
    status, kind, toml = request(url, path="/download/x.toml?scenario=pause&flop_gap=300")
    assert status == 200 and kind.startswith("application/toml") and tomllib.loads(toml)["parameters"]["flop_gap"] == 300
    status, _, text = request(url, path="/download/x.toml?flop_gap=1e9")
    assert status == 400 and text.count("\n") == 0 and "out of range" in text
    assert request(url, path="/static/../session.py")[0] == 404
    assert request(url, path="/api/config", host="evil.example:80")[0] == 403  # DNS rebinding

    status, _, run = request(url, "POST", "/api/run", {"scenario": "pause", "until": 2040, "exact": True})
    assert status == 200 and json.loads(run)["phase"] == "exact"  # from the worker process

    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in a terminal: the server and its worker
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert out.strip().endswith("aiscale playground: stopped") and err == ""
    with pytest.raises(ProcessLookupError):  # the worker is gone too
        for _ in range(50):
            os.killpg(process.pid, 0)
            time.sleep(0.1)


def test_a_busy_port_is_one_line_and_exit_code_2(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["playground", "--no-browser", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err == (f"aiscale playground: error: port {port} on 127.0.0.1 is in use: give another with "
                   "--port N (0: any free port)\n")
    assert main(["playground", "--no-browser", "--port", "70000"]) == 2
    assert main(["playground", "nonesuch", "--no-browser", "--port", "0"]) == 2
    assert "unknown scenario 'nonesuch'" in capsys.readouterr().err


def test_everything_served_ships_in_the_package():
    shipped = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["aiscale"]
    patterns = [p.removeprefix("playground/") for p in shipped if p.startswith("playground/static/")]
    files = sorted(p.name for p in STATIC.iterdir())
    assert all(any(Path("static", f).match(p) for p in patterns) for f in files), (files, patterns)
    assert set(static_files()) == set(files)
    assert "uPlot.LICENSE.txt" in files
    page = (STATIC / "index.html").read_text() + (STATIC / "app.js").read_text() + (STATIC / "style.css").read_text()
    assert "http://" not in page and "https://" not in page and "//cdn" not in page
