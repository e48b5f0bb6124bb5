"""The playground's web server: the standard library's threading HTTP server on
127.0.0.1 only, serving the page and its static files from the package and a small
JSON API over :class:`.session.Playground`.

    GET  /                      the page
    GET  /static/NAME           its script, style sheet and uPlot (shipped in static/)
    GET  /api/config            controls, charts, scenarios and their values, history
    POST /api/run               {scenario, until, values, starts, exact} -> the run to draw
                                (exact runs in a worker process: see worker.py)
    POST /api/ensemble          {scenario, until, values, starts, n, seed} -> starts the fan
    GET  /api/ensemble          its progress, and its result when done
    GET  /download/FILE.toml?Q  the scenario file of the settings in query Q
    GET  /download/FILE.csv?Q   the exact run of those settings as CSV

Requests whose Host is not this address are refused (a page elsewhere cannot reach
the server through DNS rebinding).
"""

from __future__ import annotations

import errno
import json
import os
import sys
import threading
import webbrowser
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from ..stocks_flows import ModelError
from . import DEFAULT_PORT, HOST
from .session import Playground, Settings, SettingsError
from .worker import ExactWorker, Stale

MAX_BODY = 1 << 16
MAX_MEMBERS = 10_000
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".txt": "text/plain; charset=utf-8"}


def static_files() -> dict[str, bytes]:
    """The page's files, shipped in ``aiscale/playground/static``."""
    folder = resources.files("aiscale.playground").joinpath("static")
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name.rsplit(".", 1)[-1] in ("html", "js", "css",
                                                                                               "txt")}


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, playground: Playground, port: int, log: Callable[[str], None] | None = None):
        self.worker: ExactWorker | None = None  # before binding: a failed bind calls server_close
        super().__init__((HOST, port), Handler)
        self.playground = playground
        self.files = static_files()
        self.log = log
        self.hosts = {f"{HOST}:{self.server_port}", f"localhost:{self.server_port}"}

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_port}/"

    def exact(self, settings: Settings) -> dict[str, Any]:
        """The exact run: in the worker process if there is one (see :mod:`.worker`)."""
        if self.worker is None:
            return self.playground.run(settings, exact=True)
        self.playground.scenario(settings)  # a bad value is reported here, without the worker
        return self.worker.run(settings)

    def csv(self, settings: Settings) -> str:
        return self.playground.csv(settings) if self.worker is None else self.worker.csv(settings)

    def server_close(self) -> None:
        super().server_close()
        if self.worker is not None:
            self.worker.close()


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        if self.server.log:
            self.server.log(format % args)

    # ------------------------------------------------------------------ replies
    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, doc: Any, status: int = HTTPStatus.OK) -> None:
        self._send(status, json.dumps(doc, allow_nan=False).encode(), "application/json")

    def _text(self, text: str, status: int = HTTPStatus.OK, content_type: str = TYPES[".txt"],
              headers: dict[str, str] | None = None) -> None:
        self._send(status, text.encode(), content_type, headers)

    def _allowed(self) -> bool:
        if self.headers.get("Host", "") in self.server.hosts:
            return True
        self._text("aiscale playground: requests must be addressed to " + self.server.url, HTTPStatus.FORBIDDEN)
        return False

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise SettingsError(f"request too large ({length} bytes)")
        try:
            doc = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            raise SettingsError("the request is not JSON") from None
        if not isinstance(doc, dict):
            raise SettingsError("the request must be a JSON object")
        return doc

    # ------------------------------------------------------------------ routes
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if not self._allowed():
            return
        url = urlsplit(self.path)
        path, files, pg = url.path, self.server.files, self.server.playground
        try:
            if path in ("/", "/index.html"):
                self._send(HTTPStatus.OK, files["index.html"], TYPES[".html"])
            elif path.startswith("/static/") and path[8:] in files:
                name = path[8:]
                self._send(HTTPStatus.OK, files[name], TYPES["." + name.rsplit(".", 1)[-1]])
            elif path == "/api/config":
                self._json(pg.config())
            elif path == "/api/ensemble":
                self._json(pg.ensemble.status())
            elif path.startswith("/download/") and path.endswith((".toml", ".csv")):
                settings = Settings.from_query(url.query)
                name = path.rsplit("/", 1)[-1]
                disposition = {"Content-Disposition": f'attachment; filename="{_safe(name)}"'}
                if path.endswith(".toml"):
                    self._text(pg.scenario(settings)[1], headers=disposition,
                               content_type="application/toml; charset=utf-8")
                else:
                    self._text(self.server.csv(settings), headers=disposition,
                               content_type="text/csv; charset=utf-8")
            else:
                self._text(f"not found: {path}", HTTPStatus.NOT_FOUND)
        except (SettingsError, ModelError, ValueError) as err:
            self._text(f"aiscale playground: {err}", HTTPStatus.BAD_REQUEST)

    def do_POST(self) -> None:  # noqa: N802
        if not self._allowed():
            return
        path, pg = urlsplit(self.path).path, self.server.playground
        try:
            doc = self._body()
            settings = Settings.from_json(doc)
            if path == "/api/run":
                exact = bool(doc.get("exact"))
                self._json(self.server.exact(settings) if exact else pg.run(settings, exact=False))
            elif path == "/api/ensemble":
                n, seed = int(doc.get("n", 1000)), int(doc.get("seed", 0))
                if not 1 <= n <= MAX_MEMBERS:
                    raise SettingsError(f"n = {n}: an ensemble in the playground has 1 to {MAX_MEMBERS} members")
                scenario, _ = pg.scenario(settings)
                pg.ensemble.start(scenario, settings.until, n, seed, settings.query(), pg.lock)
                self._json(pg.ensemble.status())
            else:
                self._text(f"not found: {path}", HTTPStatus.NOT_FOUND)
        except SettingsError as err:
            self._json({"error": str(err), "control": err.control}, HTTPStatus.BAD_REQUEST)
        except Stale as err:
            self._json({"error": str(err), "control": None, "stale": True}, HTTPStatus.CONFLICT)
        except (ModelError, ValueError) as err:
            self._json({"error": str(err).splitlines()[0], "control": None}, HTTPStatus.BAD_REQUEST)


def _has_display() -> bool:
    """Whether a graphical browser can open (not a text browser taking over the terminal)."""
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _safe(name: str) -> str:
    return "".join(c for c in name if c.isalnum() or c in "-_.") or "download"


def start_server(scenario: str = "baseline", port: int = DEFAULT_PORT, log: Callable[[str], None] | None = None,
                 worker: bool = True) -> Server:
    """A bound (not yet serving) playground server on 127.0.0.1; ``port=0``: any free port.
    Exact runs go to a worker process unless ``worker=False``. Raises ``OSError`` with
    one line if the port is taken."""
    playground = Playground(scenario)
    try:
        server = Server(playground, port, log)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise OSError(f"port {port} on {HOST} is in use: give another with --port N (0: any free port)") from None
        raise
    if worker:
        server.worker = ExactWorker(scenario)
    return server


def serve(scenario: str = "baseline", port: int = DEFAULT_PORT, open_browser: bool = True,
          say: Callable[[str], None] = print, log: Callable[[str], None] | None = None) -> None:
    """Serve the playground until Ctrl-C, opening the page in the browser unless told not to."""
    server = start_server(scenario, port, log)
    say(f"aiscale playground: {server.url} (scenario {server.playground.first}; Ctrl-C stops it)")
    if open_browser and _has_display():
        threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
    elif open_browser:
        say("aiscale playground: no display here: open the address in a browser")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    say("aiscale playground: stopped")
