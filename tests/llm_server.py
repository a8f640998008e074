"""Start and stop a real local OpenAI-compatible server (llama-cpp-python) for the llm tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ALIAS = "qwen2.5-coder-1.5b-instruct"


def model_path() -> Path:
    """``$RAG_TEST_LLM_GGUF`` or the file ``scripts/setup_llm.sh`` assembles."""
    env = os.environ.get("RAG_TEST_LLM_GGUF")
    if env:
        return Path(env)
    from rag.llm_model import default_model_path

    return default_model_path()


def missing_reason() -> str | None:
    """Why the real server cannot run here (None when it can)."""
    try:
        import llama_cpp.server  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as err:
        return f"llama-cpp-python[server] is not installed ({err}); run scripts/setup_llm.sh"
    path = model_path()
    if not path.is_file():
        return f"no local model at {path}; run scripts/setup_llm.sh (or set RAG_TEST_LLM_GGUF)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LlamaServer:
    """A running ``python -m llama_cpp.server``; use as a context manager."""

    model: Path
    port: int
    threads: int = max(1, min(os.cpu_count() or 1, 4))
    n_ctx: int = 4096
    startup_s: float = 120.0
    process: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> "LlamaServer":
        fd, name = tempfile.mkstemp(prefix="llama-server-", suffix=".log")
        self.log = Path(name)
        command = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model),
            "--model_alias", ALIAS,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.threads),
            "--n_threads_batch", str(self.threads),
            "--verbose", "False",
        ]  # fmt: skip
        with os.fdopen(fd, "wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            self._wait()
            self._first_request()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait(self) -> None:
        deadline = time.monotonic() + self.startup_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {self.process.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.base_url + "/models", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"llama_cpp.server did not answer /v1/models in {self.startup_s:.0f} s:\n{self.tail()}")

    def _first_request(self) -> None:
        """One tiny chat completion: a build that crashes on real prompts fails here, clearly."""
        import json

        body = {"model": ALIAS, "messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 2}
        request = urllib.request.Request(
            self.base_url + "/chat/completions",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.startup_s) as response:
                json.load(response)
        except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
            time.sleep(0.5)
            code = self.process.poll() if self.process is not None else None
            raise RuntimeError(
                f"llama_cpp.server failed its first chat completion ({err}; exit status {code}): "
                f"rerun scripts/setup_llm.sh, which rebuilds a crashing llama-cpp-python:\n{self.tail()}"
            ) from err

    def tail(self, n: int = 2000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log and self.log.exists() else ""

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        if self.log is not None:
            self.log.unlink(missing_ok=True)
