"""The JSON API: POST /api/ask (Answer JSON), GET /api/health, and the knowledge base files."""

import json
from typing import TYPE_CHECKING, Any

from rag.errors import InputError, RagError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from .access import Access
    from .service import ChatService

MAX_BODY_BYTES = 64 * 1024
MULTIPART_OVERHEAD_BYTES = 1024 * 1024
ASK_FIELDS = {"question", "mode", "k", "history"}


def _error(status: int, message: str, headers: dict[str, str] | None = None):
    from fastapi.responses import JSONResponse

    from .service import public_message

    return JSONResponse({"error": public_message(message)}, status_code=status, headers=headers)


def _busy(err) -> "object":
    """503 with Retry-After for a ServerBusyError (first index build, or too many questions)."""
    return _error(503, str(err), {"Retry-After": str(err.retry_after)})


def parse_ask(body: bytes) -> dict[str, Any]:
    """The validated fields of an ask request; InputError (-> 400) names what is wrong."""
    from .guard import load_json

    data = load_json(body)  # InputError for bad JSON, deep nesting, lone surrogates
    if not isinstance(data, dict):
        raise InputError('The request body must be a JSON object such as {"question": "..."}.')
    unknown = sorted(set(data) - ASK_FIELDS)
    if unknown:
        raise InputError(f"Unknown field(s) {unknown}: allowed are {sorted(ASK_FIELDS)}.")
    if "question" not in data:
        raise InputError('The field "question" is missing: send {"question": "..."}.')
    question = data["question"]
    if not isinstance(question, str):
        raise InputError(f'"question" must be a string, not {type(question).__name__}.')
    mode = data.get("mode")
    if mode is not None and not isinstance(mode, str):
        raise InputError(f'"mode" must be a string ("extractive" or "llm"), not {type(mode).__name__}.')
    k = data.get("k")
    if k is not None and (isinstance(k, bool) or not isinstance(k, int)):
        raise InputError(f'"k" must be a whole number from 1 to 50, not {k!r}.')
    history = data.get("history") or []
    if not isinstance(history, list) or not all(
        isinstance(turn, list) and len(turn) == 2 and all(isinstance(t, str) for t in turn) for turn in history
    ):
        raise InputError('"history" must be a list of [question, answer] string pairs.')
    return {"question": question, "mode": mode, "k": k, "history": [tuple(t) for t in history]}


class _TooLarge(Exception):
    """The request body passed its limit while being read."""


class ApiGuard:
    """ASGI middleware for /api/: body-size limits (checked while reading) and the admin token on writes.

    Both are decided before a route reads the body, so a refused upload is never spooled to disk.
    """

    def __init__(self, app, access: "Access", upload_bytes: int) -> None:
        self.app = app
        self.access = access
        self.upload_bytes = upload_bytes

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/api/"):
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if path.startswith("/api/files") and method in ("POST", "PUT", "PATCH", "DELETE"):
            from .access import AccessDeniedError

            try:
                self.access.check_header(headers.get("authorization"))
            except AccessDeniedError as err:
                extra = {"www-authenticate": "Bearer"} if err.status == 401 else {}
                await _send_json(send, err.status, str(err), extra)
                return
        limit = self.upload_bytes + MULTIPART_OVERHEAD_BYTES if path.startswith("/api/files") else MAX_BODY_BYTES
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _send_json(send, 413, f"The request body is {int(declared)} bytes; the limit is {limit}.")
            return
        received = 0
        started = False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracked_send(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except _TooLarge:
            if not started:
                await _send_json(send, 413, f"The request body is over the limit of {limit} bytes.")


async def _send_json(send, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"error": message}, ensure_ascii=False).encode("utf-8")
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def create_api(service: "ChatService") -> "FastAPI":
    """A FastAPI app with the JSON routes; the Gradio UI is mounted on it at "/"."""
    from fastapi import FastAPI, Request, UploadFile
    from fastapi.responses import JSONResponse
    from fastapi.concurrency import run_in_threadpool
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from .uploads import MAX_BYTES, validate

    from .service import ServerBusyError

    # No /api/docs: Swagger UI loads its assets from a CDN (blank offline); /api/openapi.json is local.
    app = FastAPI(title="Bilingual news RAG", docs_url=None, openapi_url="/api/openapi.json", redoc_url=None)
    app.add_middleware(ApiGuard, access=service.access, upload_bytes=MAX_BYTES)

    @app.exception_handler(ServerBusyError)
    async def _server_busy(_request: Request, err: ServerBusyError):
        return _busy(err)

    @app.exception_handler(InputError)
    async def _input_error(_request: Request, err: InputError):
        return _error(422, str(err))

    @app.exception_handler(RagError)
    async def _rag_error(_request: Request, err: RagError):
        return _error(503, str(err))

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, err: RequestValidationError):
        return _error(422, "; ".join(str(e.get("msg")) for e in err.errors()) or "Invalid request.")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException):
        if request.url.path.startswith("/api/"):
            return _error(err.status_code, str(err.detail))
        from fastapi.exception_handlers import http_exception_handler

        return await http_exception_handler(request, err)

    @app.post("/api/ask")
    async def ask(request: Request):
        """Answer one question: body {"question", "mode"?, "k"?, "history"?} -> Answer JSON."""
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _error(413, f"The request is {len(body)} bytes; the limit is {MAX_BODY_BYTES}.")
        try:
            fields = parse_ask(body)
        except InputError as err:
            return _error(400, str(err))
        mode, _ = service.check_request(fields["mode"], fields["k"])  # InputError -> 422
        from .service import clarification

        question = service.pipeline.validate_question(fields["question"])  # InputError -> 422
        asked_back = clarification(question, fields["history"], mode)
        if asked_back is not None:  # a bare follow-up as the first question: ask what it refers to
            return {**asked_back.to_dict(), "clarification": True}
        service.check_ready()  # during the first build: 503 + Retry-After at once, never a wait
        with service.ask_slot():  # ServerBusyError -> 503 + Retry-After (shared with the chat UI)
            answer = await run_in_threadpool(
                service.ask, fields["question"], mode=fields["mode"], k=fields["k"], history=fields["history"]
            )
        return answer.to_dict()

    @app.get("/api/health")
    async def health():
        from .service import public_message

        status = service.status
        return {
            "status": "ok" if status.state == "ready" else status.state,
            "index": {**status.to_dict(), "message": public_message(status.message)},
            "embeddings": service.settings.embeddings,
            "mode": service.settings.mode,
            "uploads": service.access.mode,
        }

    @app.get("/api/files")
    async def list_files():
        """Indexed articles (source, title, ordinal, kind, n_chunks, origin) and the upload jobs."""
        articles = await run_in_threadpool(service.articles)
        return {"articles": articles, "jobs": [job.to_dict() for job in service.jobs()]}

    @app.get("/api/files/jobs/{job_id}")
    async def job_status(job_id: str):
        job = service.job(job_id)
        if job is None:
            return _error(404, f"No upload job {job_id[:40]!r}; GET /api/files lists the recent ones.")
        return job.to_dict()

    @app.post("/api/files")
    async def upload(file: UploadFile, replace: bool = False, wait: bool = True):
        """Add one .txt/.md/.html/.pdf/.docx file (multipart field "file").

        Indexed by the background worker (questions are answered meanwhile). ``wait`` (default)
        answers when it is done; ``wait=false`` answers 202 with the job at once
        (progress: GET /api/files/jobs/{id}). ``replace=true`` replaces an earlier upload of the
        same name; a file from another source is never replaced (409).
        """
        from .uploads import NameTakenError, check_namespace

        data = await file.read(MAX_BYTES + 1)
        checked = validate(file.filename, data, max_bytes=MAX_BYTES)  # InputError -> 422
        service.check_ready()
        try:
            await run_in_threadpool(check_namespace, service.pipeline, [checked], replace=replace)
        except NameTakenError as err:
            return _error(409, str(err))
        job = service.submit([checked], replace=replace)
        if not wait:
            return JSONResponse(job.to_dict(), status_code=202)
        job = await run_in_threadpool(service.wait_job, job.id)
        if not job.finished_ok:
            return _error(422 if job.state == "failed" else 503, job.message.removeprefix("❌ ").replace("  \n", " ")
                          or f"{checked.name} was not added.")
        return {
            "added": list(job.added),
            "updated": list(job.updated),
            "unchanged": list(job.unchanged),
            "skipped": list(job.skipped),
            "summary": job.message.splitlines()[0].removeprefix("✅ ").rstrip(),
            "job": job.id,
        }

    @app.delete("/api/files/{name}")
    async def remove(name: str):
        from .uploads import safe_name

        removed = await run_in_threadpool(service.remove, [safe_name(name)])
        return {"removed": removed}

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def unknown(rest: str):
        return _error(404, f"No API route /api/{rest}: use POST /api/ask, GET /api/health, GET/POST /api/files.")

    return app
