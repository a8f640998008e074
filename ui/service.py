"""What the browser UI and the JSON API share: one pipeline, its first index build, its status."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import queue
import re
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

from rag.errors import InputError, RagError
from rag.language import HAN_CHAR
from rag.models import Answer
from rag.settings import MODES, Settings

if TYPE_CHECKING:
    from rag.pipeline import IngestReport, Pipeline

    from .access import Access
    from .uploads import Upload

READY_TIMEOUT_S = 900.0
MAX_INFLIGHT_ASKS = 32  # questions answered at once (API and UI together); more are told to retry
BUILD_RETRY_AFTER_S = 5
BUSY_RETRY_AFTER_S = 1
UPLOAD_EMBED_BATCH = 4  # background ingests embed in small batches so questions get the model sooner
_PATH_RE = re.compile(r"(?<![\w.:/])(?:/[^\s'\"()\[\]{}<>,;:|*?]+)+/?")
# What a bare follow-up's subject never contains: then it is a whole question ("内蒙古有多少社工站呢？").
_ZH_QUESTION_WORDS = re.compile(r"多少|几|什么|哪|谁|怎|为何|是否|吗|有没有|如何|是不是")
_EN_QUESTION_WORDS = re.compile(r"\b(?:how|what|which|who|whom|when|where|why|is|are|was|were|do|does|did|many|much)\b", re.I)
_CJK = HAN_CHAR
MAX_SUBJECT_CHARS_ZH = 10
MAX_SUBJECT_WORDS_EN = 5


def public_message(text: str) -> str:
    """``text`` with every absolute server path replaced by its last part (no folders shown)."""
    return _PATH_RE.sub(lambda m: Path(m.group(0).rstrip("/")).name or "(server folder)", str(text))


def bare_follow_up(question: str) -> str | None:
    """The subject of a question that only makes sense after another one ("那河北呢？" -> "河北",
    "What about Hebei?" -> "Hebei"); None for a question that stands on its own."""
    from rag.answering.followup import follow_up_subject

    subject = follow_up_subject(question or "")
    if not subject:
        return None
    if _CJK.search(subject):
        whole = len(subject) > MAX_SUBJECT_CHARS_ZH or _ZH_QUESTION_WORDS.search(subject)
    else:
        whole = len(subject.split()) > MAX_SUBJECT_WORDS_EN or _EN_QUESTION_WORDS.search(subject)
    return None if whole else subject


def clarification(question: str, history: Sequence[tuple[str, str]], mode: str) -> Answer | None:
    """For a bare follow-up with no earlier question: an Answer that asks what it refers to (in
    the question's language), instead of answering something arbitrary. None otherwise."""
    if history:
        return None
    subject = bare_follow_up(question)
    if subject is None:
        return None
    from rag.language import detect_language

    language = detect_language(question)
    if language == "zh":
        text = (
            f"您想了解“{subject}”的什么情况？这是本次对话的第一个问题，前面没有可以接着问的内容。"
            f"请把问题问完整，例如：“{subject}已建成多少个……？”"
        )
    else:
        text = (
            f"What would you like to know about “{subject}”? This is the first question of this chat, so there "
            f"is no earlier question it can follow on from. Please ask the whole question, for example "
            f"“How many … are there in {subject}?”"
        )
    return Answer(question=question, answer=text, refused=True, language=language, mode=mode, confidence=0.0)


WARM_UP_QUESTIONS = ("这些文章说了什么？", "What do these articles say?")


class ServerBusyError(RagError):
    """A question cannot be taken right now; ``retry_after`` seconds is a good wait (HTTP 503)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class IngestJob:
    """One upload being indexed by the background worker (shown in the UI and GET /api/files)."""

    id: str
    names: tuple[str, ...]
    state: str = "queued"  # "queued" | "running" | "done" | "failed"
    message: str = ""
    done: int = 0
    total: int = 0
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    submitted: float = 0.0
    finished: float | None = None

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}

    @property
    def finished_ok(self) -> bool:
        return self.state == "done"

    def progress_text(self) -> str:
        names = ", ".join(self.names)
        if self.state == "queued":
            return f"⏳ {names}: waiting for the indexer…"
        if self.state == "running":
            if self.total:
                return f"⏳ {names}: {self.message or 'indexing'} {self.done}/{self.total} ({100 * self.done / self.total:.0f}%)"
            return f"⏳ {names}: {self.message or 'reading the file'}…"
        return self.message


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


class _JobBar:
    """tqdm-like progress bar that mirrors its counts into one ingest job."""

    def __init__(self, service: "ChatService", job_id: str, total: int, desc: str) -> None:
        self._service, self._id, self._total, self._desc, self._done = service, job_id, total, desc, 0
        service._update_job(job_id, message=desc, done=0, total=total)

    def update(self, n: int = 1) -> None:
        self._done += n
        self._service._update_job(self._id, done=self._done, total=self._total, message=self._desc)

    def close(self) -> None:
        pass


class ChatService:
    """Owns the pipeline for a server; builds the index in the background on first start."""

    def __init__(self, settings: Settings, pipeline: "Pipeline | None" = None, access: "Access | None" = None) -> None:
        from rag.pipeline import Pipeline

        from .access import Access

        self.settings = settings
        self.pipeline = pipeline or Pipeline(settings)
        self.pipeline.separate_write_backend = True  # uploads never hold up a question's embedding
        self.access = access or Access()  # who may upload and delete
        self._ready = threading.Event()
        self._status_lock = threading.Lock()
        self._status = BuildStatus("starting", "Opening the index…")
        self._thread: threading.Thread | None = None
        self.inbox = None  # the Gradio upload cache (ui.guard.UploadInbox), set by create_app
        self._inflight = threading.BoundedSemaphore(MAX_INFLIGHT_ASKS)
        self._jobs: dict[str, IngestJob] = {}
        self._jobs_lock = threading.Lock()
        self._job_ids = itertools.count(1)
        self._queue: "queue.Queue[tuple[str, list, bool]]" = queue.Queue()
        self._worker: threading.Thread | None = None

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
            self._warm_up()
            self.pipeline.write_backend()  # loaded now, not while the first upload's questions wait
            message = f"Ready: {len(store)} passages indexed ({time.perf_counter() - started:.0f} s to open)."
            self._set_status(BuildStatus("ready", message))
        except RagError as err:
            self._set_status(BuildStatus("failed", str(err)))
        except Exception as err:  # noqa: BLE001 - reported in the UI and /api/health, not lost in a thread
            self._set_status(BuildStatus("failed", f"Building the index failed: {type(err).__name__}: {err}"))
            raise
        finally:
            self._ready.set()

    def _warm_up(self) -> None:
        """One question in each language before "Ready", so that the first user's question does not
        pay for what the answer path loads on first use (tagger, dictionaries, reader session)."""
        for question in WARM_UP_QUESTIONS:
            try:
                self.pipeline.ask(question, mode="extractive")
            except Exception:  # noqa: BLE001 - a warm-up that fails leaves the first question slower, nothing else
                pass

    def _set_status(self, status: BuildStatus) -> None:
        with self._status_lock:
            self._status = status

    @property
    def status(self) -> BuildStatus:
        with self._status_lock:
            return self._status

    def check_ready(self) -> None:
        """Return at once when the index is usable; ServerBusyError while it is first built."""
        self.start()
        status = self.status
        if status.state == "ready":
            return
        if status.state == "failed":
            raise RagError(public_message(status.message))
        detail = f" ({status.done}/{status.total} passages embedded)" if status.total else ""
        raise ServerBusyError(
            f"The index is being built for the first time{detail}; answers start in a few seconds. "
            f"Retry after {BUILD_RETRY_AFTER_S} s.",
            BUILD_RETRY_AFTER_S,
        )

    @contextlib.contextmanager
    def ask_slot(self) -> Iterator[None]:
        """One of the MAX_INFLIGHT_ASKS question slots (shared by /api/ask and the chat UI)."""
        if not self._inflight.acquire(blocking=False):
            raise ServerBusyError(
                f"The server is busy ({MAX_INFLIGHT_ASKS} questions in progress); retry in a moment.",
                BUSY_RETRY_AFTER_S,
            )
        try:
            yield
        finally:
            self._inflight.release()

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
        asked_back = clarification(question, history, mode)
        if asked_back is not None:
            return asked_back
        self.check_ready()
        return self.pipeline.ask(question, mode=mode, k=k, history=tuple(history))

    def ask_stream(
        self, question: str, *, mode: str | None = None, k: int | None = None, history: Sequence[tuple[str, str]] = ()
    ) -> Iterator["str | Answer"]:
        """Text pieces as an LLM writes them, then the final Answer (just the Answer otherwise)."""
        mode, k = self.check_request(mode, k)
        question = self.pipeline.validate_question(question)
        asked_back = clarification(question, history, mode)
        if asked_back is not None:
            yield asked_back
            return
        self.check_ready()
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
        """Indexed articles with their file's origin; ServerBusyError during the first build."""
        self.check_ready()
        return list(self.pipeline.store().list_articles())

    def files(self) -> list[str]:
        """Indexed file names, sorted."""
        return sorted({a["source"] for a in self.articles()})

    def add(self, uploads: Sequence["Upload"], progress=None, *, replace: bool = False) -> "IngestReport":
        """Index uploads now, in this thread (the background worker calls this)."""
        from .uploads import add_uploads

        if not uploads:
            raise InputError("No file was uploaded: choose a .txt, .md, .html, .pdf or .docx file.")
        self.wait_ready()
        return add_uploads(self.pipeline, uploads, progress=progress, replace=replace, embed_batch=UPLOAD_EMBED_BATCH)

    def submit(self, uploads: Sequence["Upload"], *, replace: bool = False) -> IngestJob:
        """Queue uploads for the background indexer; questions keep being answered meanwhile."""
        if not uploads:
            raise InputError("No file was uploaded: choose a .txt, .md, .html, .pdf or .docx file.")
        self.check_ready()
        job = IngestJob(f"job-{next(self._job_ids)}", tuple(u.name for u in uploads), submitted=time.time())
        with self._jobs_lock:
            self._jobs[job.id] = job
            finished = sorted((j for j in self._jobs.values() if j.finished), key=lambda j: j.finished or 0)
            for old in finished[:-20]:  # keep the last 20 finished jobs
                del self._jobs[old.id]
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="rag-ingest-worker", daemon=True)
                self._worker.start()
        self._queue.put((job.id, list(uploads), replace))
        return job

    def job(self, job_id: str) -> IngestJob | None:
        with self._jobs_lock:
            return self._jobs.get(job_id)

    def jobs(self) -> list[IngestJob]:
        with self._jobs_lock:
            return sorted(self._jobs.values(), key=lambda j: j.submitted)

    def wait_job(self, job_id: str, timeout: float = READY_TIMEOUT_S) -> IngestJob:
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job is None or job.finished or time.monotonic() > deadline:
                return job  # type: ignore[return-value]
            time.sleep(0.1)

    def _update_job(self, job_id: str, **changes) -> None:
        with self._jobs_lock:
            if job_id in self._jobs:
                self._jobs[job_id] = dataclasses.replace(self._jobs[job_id], **changes)

    def _work(self) -> None:
        """The background indexer: one job at a time, at a lower CPU priority than questions."""
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # this thread only (Linux)
        except (AttributeError, OSError):
            pass
        while True:
            job_id, uploads, replace = self._queue.get()
            self._update_job(job_id, state="running", message="reading the file")

            def factory(total: int, desc: str, _id: str = job_id):
                return _JobBar(self, _id, total, desc)

            try:
                report = self.add(uploads, progress=factory, replace=replace)
            except RagError as err:
                self._update_job(job_id, state="failed", message=f"❌ Nothing was added. {public_message(str(err))}",
                                 finished=time.time())
                continue
            except Exception as err:  # noqa: BLE001 - reported to the uploader, the worker lives on
                self._update_job(job_id, state="failed", finished=time.time(),
                                 message=f"❌ Nothing was added: indexing failed ({type(err).__name__}).")
                continue
            accepted = set(report.added) | set(report.updated) | set(report.unchanged)
            lines = [f"✅ {report.summary()}"]
            if report.added:
                lines.append("Added: " + ", ".join(report.added))
            if report.updated:
                lines.append("Updated: " + ", ".join(report.updated))
            if report.skipped:
                lines.append("⚠️ Not added: " + "; ".join(public_message(w) for w in report.skipped))
            if not accepted:
                reasons = "; ".join(public_message(w) for w in report.skipped) or "the loader could not read it"
                lines = [f"❌ Nothing was added: {reasons}"]
            self._update_job(
                job_id,
                state="done" if accepted else "failed",
                message="  \n".join(lines),
                added=tuple(report.added),
                updated=tuple(report.updated),
                unchanged=tuple(report.unchanged),
                skipped=tuple(public_message(w) for w in report.skipped),
                finished=time.time(),
            )

    def remove(self, names: Sequence[str]) -> list[str]:
        from .uploads import remove_upload_copy

        names = [Path(str(n)).name for n in names if str(n).strip()]
        if not names:
            raise InputError("Choose a file to remove.")
        self.wait_ready()
        store = self.pipeline.store()
        uploaded = {n for n in names if store.origin(n) == "upload"}
        removed = self.pipeline.remove(names)
        for name in removed:
            if name in uploaded:  # the saved copy of an upload; files of other origins stay where they are
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
