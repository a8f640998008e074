"""Start and stop a genuine local Milvus server (PyPI ``milvus``: ``milvus-server``) for tests and benchmarks.

``milvus-server`` is a launcher that runs ``milvus run standalone`` (etcd embedded, local storage);
both live in a new process group so that stopping it ends the child too. Every port is picked
free on 127.0.0.1 and every component registers on loopback, so several servers can run at once.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

COMPONENTS = ("rootCoord", "proxy", "queryCoord", "queryNode", "indexNode", "dataCoord", "dataNode")
PORT_FLAGS = (
    "etcd-port", "root-coord-port", "proxy-internal-port", "query-coord-port", "query-node-port",
    "index-coord-port", "index-node-port", "data-coord-port", "data-node-port",
)


class MilvusServerError(RuntimeError):
    """The server could not be started (not installed, or not healthy in time)."""


def launcher() -> str | None:
    """Path of the ``milvus-server`` launcher beside this Python, or on PATH; None if not installed."""
    beside = Path(sys.executable).with_name("milvus-server")
    return str(beside) if beside.is_file() else shutil.which("milvus-server")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MilvusServer:
    """``with MilvusServer(data_dir) as server: MilvusClient(uri=server.uri)``."""

    def __init__(self, data_dir: Path, *, timeout: float = 120.0) -> None:
        self.data_dir = Path(data_dir)
        self.timeout = timeout
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = self.data_dir / "milvus-server.log"

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "MilvusServer":
        exe = launcher()
        if exe is None:
            raise MilvusServerError("milvus-server is not installed: pip install milvus==2.3.5")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [exe, "--data", str(self.data_dir / "data"), "--proxy-port", str(self.port)]
        used = {self.port}
        for flag in PORT_FLAGS:
            port = free_port()
            while port in used:
                port = free_port()
            used.add(port)
            args += [f"--{flag}", str(port)]
        for component in COMPONENTS:
            args += ["--extra-config", f"{component}.ip=127.0.0.1"]
        log = open(self.log_path, "ab")
        try:
            self.process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        finally:
            log.close()
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        from pymilvus import MilvusClient

        deadline = time.monotonic() + self.timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise MilvusServerError(f"milvus-server exited with {self.process.returncode}; see {self.log_path}")
            try:
                client = MilvusClient(uri=self.uri, timeout=5)
                client.list_collections()
                client.close()
                return
            except Exception as err:  # not up yet: connection refused, not ready, ...
                last = err
                time.sleep(1.0)
        self.stop()
        raise MilvusServerError(f"Milvus at {self.uri} not healthy after {self.timeout:g} s ({last}); see {self.log_path}")

    def stop(self) -> None:
        """TERM the whole process group (launcher and ``milvus run standalone``), KILL if it lingers."""
        proc, self.process = self.process, None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:  # the standalone child may outlive the launcher briefly
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.5)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)

    def __enter__(self) -> "MilvusServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
