"""What the browser UI and the JSON API share: one pipeline, its first index build, its status."""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

from rag.errors import InputError, RagError
from rag.models import Answer
from rag.settings import MODES, Settings

if TYPE_CHECKING:
    from rag.pipeline import IngestReport, Pipeline

    from .access import Access
    from .uploads import Upload

READY_TIMEOUT_S = 900.0


@dataclass(frozen=True)
class BuildStatus:
    """Where the first index build stands (shown in the UI, returned by /api/health)."""

    state: str  # "starting" | "building" | "ready" | "failed"
    message: str = ""
    done: int = 0
    total: int = 0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class _Bar:
    """tqdm-like progress bar that mirrors its counts into the service status."""

    def __init__(self, service: "ChatService", total: int, desc: str) -> None:
        from tqdm import tqdm

        self._service = service
        self._desc = desc
        self._total = total
        self._done = 0
        self._tqdm = tqdm(total=total, desc=desc, file=sys.stderr, leave=False)
        service._set_status(BuildStatus("building", desc, 0, total))

    def update(self, n: int = 1) -> None:
        self._done += n
        self._tqdm.update(n)
        self._service._set_status(BuildStatus("building", self._desc, self._done, self._total))

    def close(self) -> None:
        self._tqdm.close()


class ChatService:
    """Owns the pipeline for a server; builds the index in the background on first start."""

    def __init__(self, settings: Settings, pipeline: "Pipeline | None" = None, access: "Access | None" = None) -> None:
        from rag.pipeline import Pipeline

        from .access import Access

        self.settings = settings
        self.pipeline = pipeline or Pipeline(settings)
        self.access = access or Access()  # who may upload and delete
        self._ready = threading.Event()
        self._status_lock = threading.Lock()
        self._status = BuildStatus("starting", "Opening the index…")
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- index readiness
    def start(self) -> None:
        """Open (or, the first time, build) the index in a background thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._prepare, name="rag-index-build", daemon=True)
            self._thread.start()

    def _prepare(self) -> None:
        started = time.perf_counter()
        try:
            store = self.pipeline.ensure_index(progress=lambda total, desc: _Bar(self, total, desc))
            self.pipeline.answerer("extractive")
            message = f"Ready: {len(store)} passages indexed ({time.perf_counter() - started:.0f} s to open)."
            self._set_status(BuildStatus("ready", message))
        except RagError as err:
            self._set_status(BuildStatus("failed", str(err)))
        except Exception as err:  # noqa: BLE001 - reported in the UI and /api/health, not lost in a thread
            self._set_status(BuildStatus("failed", f"Building the index failed: {type(err).__name__}: {err}"))
            raise
        finally:
            self._ready.set()

    def _set_status(self, status: BuildStatus) -> None:
        with self._status_lock:
            self._status = status

    @property
    def status(self) -> BuildStatus:
        with self._status_lock:
            return self._status

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Block until the index is usable; RagError if its build failed or took too long."""
        self.start()
        if not self._ready.wait(timeout):
            raise RagError(f"The index is still being built after {timeout:.0f} s; try again shortly.")
        status = self.status
        if status.state == "failed":
            raise RagError(status.message)

    # ---------------------------------------------------------------- asking
    def check_request(self, mode: str | None, k: int | None) -> tuple[str, int]:
        mode = mode or self.settings.mode
        if mode not in MODES:
            raise InputError(f"Unknown answer mode {mode!r}: use one of {', '.join(MODES)}.")
        k = self.settings.k if k is None else k
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 50:
            raise InputError(f"k={k!r} is out of range: use a whole number from 1 to 50.")
        return mode, k

    def ask(
        self, question: str, *, mode: str | None = None, k: int | None = None, history: Sequence[tuple[str, str]] = ()
    ) -> Answer:
        mode, k = self.check_request(mode, k)
        self.pipeline.validate_question(question)
        self.wait_ready()
        return self.pipeline.ask(question, mode=mode, k=k, history=tuple(history))

    def ask_stream(
        self, question: str, *, mode: str | None = None, k: int | None = None, history: Sequence[tuple[str, str]] = ()
    ) -> Iterator["str | Answer"]:
        """Text pieces as an LLM writes them, then the final Answer (just the Answer otherwise)."""
        mode, k = self.check_request(mode, k)
        question = self.pipeline.validate_question(question)
        self.wait_ready()
        core_stream = getattr(self.pipeline, "ask_stream", None)
        if core_stream is not None:
            yield from core_stream(question, mode=mode, k=k, history=tuple(history))
            return
        answerer = self.pipeline.answerer(mode)
        if not hasattr(answerer, "stream"):
            yield self.pipeline.ask(question, mode=mode, k=k, history=tuple(history))
            return
        started = time.perf_counter()
        query = self.pipeline.analyze(question)
        passages = self.pipeline.hybrid().retrieve(query, k)
        retrieved = time.perf_counter()
        for item in answerer.stream(question, passages, language=query.language, history=tuple(history)):
            if isinstance(item, Answer):
                done = time.perf_counter()
                timings = {
                    **item.timings_ms,
                    "retrieve": (retrieved - started) * 1000,
                    "answer": (done - retrieved) * 1000,
                    "total": (done - started) * 1000,
                }
                item = dataclasses.replace(item, timings_ms=timings)
            yield item

    # ---------------------------------------------------------------- knowledge base
    def articles(self) -> list[dict]:
        self.wait_ready()
        return list(self.pipeline.store().list_articles())

    def files(self) -> list[str]:
        """Indexed file names, sorted."""
        return sorted({a["source"] for a in self.articles()})

    def add(self, uploads: Sequence["Upload"], progress=None) -> "IngestReport":
        from .uploads import add_uploads

        if not uploads:
            raise InputError("No file was uploaded: choose a .txt, .md, .html, .pdf or .docx file.")
        self.wait_ready()
        return add_uploads(self.pipeline, uploads, progress=progress)

    def remove(self, names: Sequence[str]) -> list[str]:
        from .uploads import remove_upload_copy

        names = [Path(str(n)).name for n in names if str(n).strip()]
        if not names:
            raise InputError("Choose a file to remove.")
        self.wait_ready()
        removed = self.pipeline.remove(names)
        for name in removed:
            remove_upload_copy(self.settings.home, name)
        return removed

    def describe_backend(self) -> str:
        """The embedding backend string and, once loaded, its model id and dimension."""
        text = self.settings.embeddings
        if self._ready.is_set() and self.status.state == "ready":
            try:
                backend = self.pipeline.backend
                text += f" — {backend.model_id}, {backend.dim} dimensions"
            except (RagError, AttributeError):
                pass
        return text

    def llm_configured(self) -> bool:
        return bool(self.settings.llm_base_url and self.settings.llm_model)
