"""The playground: the model live in a browser (``aiscale playground``).

A small web server on 127.0.0.1 (the standard library's ``http.server``) serves one
page that builds itself from :data:`.controls.CONTROLS` and :data:`.controls.CHARTS`:
sliders for the parameters users care most about, charts drawn with uPlot (a 50 kB
MIT-licensed library shipped in ``static/``: nothing is loaded from elsewhere), the
milestones table, an ensemble fan on request, and downloads of the scenario file and
the run. :mod:`.session` says exactly which API calls the page's numbers come from.

    from aiscale.playground import start_server
    server = start_server("pause", port=0)      # bound to 127.0.0.1, any free port
    server.serve_forever()                       # or: aiscale playground pause
"""

from importlib import import_module
from typing import Any

HOST = "127.0.0.1"
DEFAULT_PORT = 8765

# Imported on first use, so that the command line starts fast.
_EXPORTS = {"CONTROLS": "controls", "CHARTS": "controls", "controls": "controls", "serve": "server",
            "start_server": "server", "Playground": "session", "Settings": "session",
            "SettingsError": "session", "PREVIEW": "session", "EXACT": "session"}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["HOST", "DEFAULT_PORT", *_EXPORTS]
