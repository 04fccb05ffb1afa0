"""Start the explorer on this machine: bind, say where, open a browser tab, serve."""

from __future__ import annotations

import logging
import socket
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

from resurgence.explore.app import create_app
from resurgence.scenarios import load_scenario


def free_port(host: str) -> int:
    """A port no one listens on now, as the system hands it out."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def serve(
    scenario: str,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    save_root: Path = Path("runs"),
    open_browser: bool = True,
    say: Callable[[str], None] = print,
) -> None:
    """Serve the page for `scenario` (a builtin name or a scenario file) until stopped."""
    app = create_app(scenario, load_scenario(scenario), save_root)
    port = port or free_port(host)
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    say(f"resurgence explore: {url}  (Ctrl-C to stop; saved runs go to {save_root}/)")
    # The page polls for progress several times a second: no line per request, and no
    # warning meant for servers open to a network.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    app.run(host=host, port=port, debug=False)
