"""One real `rag serve` per test session (fresh RAG_HOME, bundled corpus built on first start).

Test modules import the ``ui_server`` fixture from here; the running server is kept in the
pytest config stash, so modules that import the fixture share one server.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 600.0


@dataclass
class UiServer:
    url: str
    home: Path
    process: subprocess.Popen
    log: Path

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 120.0) -> tuple[int, dict]:
        """(status, JSON body) of one HTTP request to the server."""
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read().decode("utf-8") or "{}")

    def post_json(self, path: str, payload: object, timeout: float = 120.0) -> tuple[int, dict]:
        return self.request(
            "POST", path, json.dumps(payload).encode("utf-8"), {"Content-Type": "application/json"}, timeout
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(tmp_dir: Path) -> UiServer:
    home = tmp_dir / "home"
    port = free_port()
    log = tmp_dir / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "rag", "serve", "--home", str(home), "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = UiServer(f"http://127.0.0.1:{port}", home, process, log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"`rag serve` exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            status, body = server.request("GET", "/api/health", timeout=5)
            if status == 200 and body.get("status") == "ok":
                return server
            if body.get("status") == "failed":
                raise RuntimeError(f"index build failed: {body}")
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            pass
        time.sleep(0.5)
    process.terminate()
    raise RuntimeError(f"`rag serve` was not ready after {START_TIMEOUT_S:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


_KEY = pytest.StashKey["UiServer"]()


@pytest.fixture(scope="session")
def ui_server(request, tmp_path_factory) -> UiServer:
    """The shared live server (UI at /, JSON API at /api)."""
    stash = request.config.stash
    if _KEY not in stash:
        server = _start(tmp_path_factory.mktemp("ui-server"))
        stash[_KEY] = server
        request.config.add_cleanup(lambda: _stop(server.process))
    return stash[_KEY]
