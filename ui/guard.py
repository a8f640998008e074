"""What the whole server checks before any route runs: the Host it was started for, same-origin
writes, and files that enter only through an upload this server itself received.

``RequestGuard`` wraps the FastAPI app (JSON API and the Gradio UI mounted on it):

- every request: the ``Host`` header must name this server (127.0.0.1, localhost, ::1, the
  ``--host`` it listens on, any ``--allow-host``); stops DNS rebinding;
- every write (POST/PUT/PATCH/DELETE): a browser's ``Origin`` (or ``Referer``) must be this
  server; clients that send neither (curl, scripts) are not browsers and are let through to the
  token checks;
- ``/gradio_api/upload``: off on a read-only server, capped per request and in total, old files
  swept; every other Gradio event body is read first (bounded size and depth), and any file
  reference in it must be a file this server received through that upload route — anything
  else (``/etc/passwd``, ``../../..``, a symlink, a URL) is refused before Gradio copies it.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable
from urllib.parse import urlsplit

from rag.errors import InputError

if TYPE_CHECKING:
    from .access import Access

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
GRADIO_PREFIX = "/gradio_api/"
GRADIO_UPLOAD = "/gradio_api/upload"
MAX_EVENT_BYTES = 4 * 1024 * 1024  # a Gradio event body (question, chat history, file references)
MAX_JSON_DEPTH = 64
UPLOAD_REQUEST_BYTES = 41 * 1024 * 1024  # one /gradio_api/upload request: two 20 MB files and multipart overhead
UPLOAD_CACHE_BYTES = 200 * 1024 * 1024  # all pending Gradio uploads together
UPLOAD_TTL_S = 15 * 60  # a received file nobody added within this time is deleted


class GuardError(InputError):
    """A request refused before any route ran; ``status`` is the HTTP code to answer."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


# ----------------------------------------------------------------------------- JSON shape
def check_json_text(body: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """InputError when a JSON text nests deeper than ``max_depth`` (checked without parsing)."""
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > max_depth:
                raise InputError(f"The JSON body nests deeper than {max_depth} levels; send a flat object.")
        elif byte in (0x5D, 0x7D):
            depth -= 1


def check_json_strings(value: Any) -> None:
    """InputError when a parsed JSON value holds a lone surrogate (e.g. "\\ud800"): not text."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as err:
                raise InputError(
                    "The JSON body contains a lone surrogate escape (such as \\ud800), which is not text; "
                    "send valid UTF-8."
                ) from err
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def load_json(body: bytes) -> Any:
    """Parse a request body; InputError for invalid JSON, deep nesting or lone surrogates."""
    check_json_text(body)
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise InputError("The request body is not valid UTF-8; send JSON text in UTF-8.") from err
    except (json.JSONDecodeError, RecursionError) as err:
        raise InputError(f"The request body is not valid JSON ({err}); send e.g. {{\"question\": \"...\"}}.") from err
    check_json_strings(data)
    return data


# ----------------------------------------------------------------------------- hosts
def _host_name(value: str) -> str:
    """"[::1]:7860" -> "::1", "Example.org:80" -> "example.org"."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


@dataclass(frozen=True)
class HostPolicy:
    """The Host values this server answers: loopback names, its --host and any --allow-host.

    A server on a wildcard address (0.0.0.0, ::) also answers any IP address: a DNS-rebinding
    page always arrives under a domain name, never an IP literal.
    """

    host: str = "127.0.0.1"
    allow_hosts: tuple[str, ...] = ()

    @property
    def names(self) -> frozenset[str]:
        names = {*LOCAL_HOSTS, *(_host_name(h) for h in self.allow_hosts)}
        if self.host.strip() not in WILDCARD_HOSTS:
            names.add(_host_name(self.host) if not _is_ip(self.host.strip("[]")) else self.host.strip("[]").lower())
        return frozenset(names)

    def allows(self, host_header: str | None) -> bool:
        if host_header is None:
            return True  # HTTP/1.0 clients: not a browser, so not a rebinding page
        name = _host_name(host_header)
        if name in self.names:
            return True
        return self.host.strip() in WILDCARD_HOSTS and _is_ip(name)

    def host_error(self, host_header: str) -> GuardError:
        shown = host_header[:80]
        return GuardError(
            f"This server does not answer for Host {shown!r}: it was started for "
            f"{', '.join(sorted(self.names))}. If that is a name of this machine, restart it with "
            f"`rag serve --allow-host {_host_name(shown) or 'NAME'}`.",
            421,
        )

    def check_origin(self, headers: dict[str, str]) -> None:
        """GuardError unless a browser's write comes from a page of this server."""
        origin = headers.get("origin")
        source = "Origin"
        if origin is None and headers.get("referer"):
            origin, source = headers["referer"], "Referer"
        if origin is None:
            return  # not sent by a browser page (curl, scripts): the token rules still apply
        host = headers.get("host", "")
        parts = urlsplit(origin.strip())
        if origin.strip() == "null" or parts.scheme not in ("http", "https") or not parts.netloc:
            raise GuardError(
                f"Cross-site request refused: {source} {origin[:80]!r} is not a page of this server. "
                "Change the knowledge base from this server's own page or with a script (no Origin header).",
                403,
            )
        if parts.netloc.lower() != host.lower() or not self.allows(parts.netloc):
            raise GuardError(
                f"Cross-site request refused: {source} {parts.scheme}://{parts.netloc[:80]} is not this server "
                f"({host[:80]}). Change the knowledge base from this server's own page.",
                403,
            )


# ----------------------------------------------------------------------------- the upload cache
@dataclass
class UploadInbox:
    """Gradio's upload cache for this server: a private folder, and the files it received.

    ``received`` is Gradio's own record of what ``/gradio_api/upload`` wrote (the set is shared
    with the Blocks, so it is filled as uploads arrive). A handler accepts a path only when it is
    in that record, lies inside the folder once resolved and is a plain file (no symlink).
    """

    folder: Path
    received: set = field(default_factory=set)
    ttl_s: float = UPLOAD_TTL_S
    cache_bytes: int = UPLOAD_CACHE_BYTES
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def create(cls, parent: Path | None = None) -> "UploadInbox":
        folder = Path(tempfile.mkdtemp(prefix="rag-uploads-", dir=parent))  # mode 0700
        return cls(folder=folder.resolve())

    def is_received(self, path: object) -> bool:
        if not isinstance(path, str) or not path or "\x00" in path:
            return False
        candidate = Path(path)
        if not candidate.is_absolute():
            return False
        try:
            resolved = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            return False
        if resolved != candidate or candidate.is_symlink() or not resolved.is_file():
            return False  # ".." or a symlink somewhere on the way
        if not resolved.is_relative_to(self.folder) or resolved == self.folder:
            return False
        return path in self.received or str(resolved) in self.received

    def check(self, path: object) -> Path:
        """The path of a file this server received; InputError (naming no server path) otherwise."""
        if not self.is_received(path):
            name = Path(str(path)).name if isinstance(path, str) else "the file"
            raise InputError(
                f"{name!r} was not uploaded to this server: only files sent through this page's upload "
                "box can be added. Choose the file again and press Add."
            )
        return Path(str(path))

    def discard(self, paths: Iterable[object]) -> None:
        """Delete received files once used (added or refused) and forget them."""
        for path in paths:
            if not self.is_received(path):
                continue
            target = Path(str(path))
            with self._lock:
                self.received.discard(str(path))
            target.unlink(missing_ok=True)
            self._drop_empty(target.parent)

    def _drop_empty(self, folder: Path) -> None:
        while folder != self.folder and folder.is_relative_to(self.folder):
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent

    def sweep(self, now: float | None = None) -> int:
        """Delete received files older than the TTL (and anything else left in the folder); bytes kept."""
        now = time.time() if now is None else now
        kept = 0
        for root, dirs, files in os.walk(self.folder, topdown=False):
            for name in files:
                path = Path(root) / name
                try:
                    stat = path.lstat()
                except OSError:
                    continue
                if now - stat.st_mtime > self.ttl_s:
                    path.unlink(missing_ok=True)
                    with self._lock:
                        self.received.discard(str(path))
                else:
                    kept += stat.st_size
            for name in dirs:
                try:
                    (Path(root) / name).rmdir()
                except OSError:
                    pass
        return kept

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def file_references(value: Any) -> list[object]:
    """Every ``path`` of a file object (a dict with a "path" key) anywhere in an event payload."""
    found: list[object] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "path" in item:
                found.append(item["path"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


# ----------------------------------------------------------------------------- middleware
class _TooLarge(Exception):
    pass


class RequestGuard:
    """ASGI middleware applying the checks in this module's docstring to every HTTP request."""

    def __init__(self, app, hosts: HostPolicy, access: "Access", inbox: UploadInbox | None) -> None:
        self.app = app
        self.hosts = hosts
        self.access = access
        self.inbox = inbox

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        path = scope.get("path", "")
        method = scope.get("method", "GET") if scope["type"] == "http" else "POST"
        try:
            if not self.hosts.allows(headers.get("host")):
                raise self.hosts.host_error(headers.get("host", ""))
            if method in UNSAFE_METHODS or scope["type"] == "websocket":
                self.hosts.check_origin(headers)
            if scope["type"] == "http" and method == "POST" and path.rstrip("/") == GRADIO_UPLOAD:
                self._check_upload(headers)
                await _run_limited(self.app, scope, receive, send, UPLOAD_REQUEST_BYTES)
                return
            if scope["type"] == "http" and method in UNSAFE_METHODS and path.startswith(GRADIO_PREFIX):
                body = await _read_body(receive, MAX_EVENT_BYTES)
                self._check_event(headers, body)
                await self.app(scope, _replay(body, receive), send)
                return
        except GuardError as err:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await send_json(send, err.status, str(err))
            return
        except _TooLarge:
            await send_json(send, 413, f"The request body is over the limit of {MAX_EVENT_BYTES} bytes.")
            return
        await self.app(scope, receive, send)

    def _check_upload(self, headers: dict[str, str]) -> None:
        from .access import AccessDeniedError

        try:
            self.access.check_upload_allowed()
        except AccessDeniedError as err:
            raise GuardError(str(err), err.status) from err
        if self.inbox is None:
            raise GuardError("Uploads are turned off on this server.", 403)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > UPLOAD_REQUEST_BYTES:
            raise GuardError(
                f"The upload is {int(declared) / 1e6:.1f} MB; one request may carry at most "
                f"{UPLOAD_REQUEST_BYTES / 1e6:.0f} MB. Add fewer or smaller files at a time.",
                413,
            )
        pending = self.inbox.sweep()
        if pending + (int(declared) if declared.isdigit() else 0) > self.inbox.cache_bytes:
            raise GuardError(
                f"The server holds {pending / 1e6:.0f} MB of uploads not yet added (limit "
                f"{self.inbox.cache_bytes / 1e6:.0f} MB); add or clear them, or retry in a few minutes.",
                413,
            )

    def _check_event(self, headers: dict[str, str], body: bytes) -> None:
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if not body.strip():
            return
        if content_type not in ("application/json", "text/plain", ""):
            raise GuardError(
                f"Gradio events are JSON; a {content_type} body is refused (files go to {GRADIO_UPLOAD}).", 415
            )
        try:
            data = load_json(body)
        except InputError as err:
            raise GuardError(str(err), 400) from err
        for path in file_references(data):
            if self.inbox is None or not self.inbox.is_received(path):
                name = Path(path).name if isinstance(path, str) else "a file"
                raise GuardError(
                    f"The request refers to {name!r}, which was not uploaded to this server; only files sent "
                    "through this page's upload box can be used.",
                    400,
                )


async def _run_limited(app, scope, receive: Callable, send: Callable, limit: int) -> None:
    """Run ``app`` with the request body cut off at ``limit`` bytes (413 when it passes it)."""
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
        await app(scope, limited_receive, tracked_send)
    except _TooLarge:
        if not started:
            await send_json(send, 413, f"The upload is over the limit of {limit / 1e6:.0f} MB per request.")


async def _read_body(receive: Callable, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Callable) -> Callable:
    """A receive that hands over the body already read, then waits on the client as usual."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def send_json(send, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"error": message}, ensure_ascii=False).encode("utf-8")
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
