"""Checks on uploaded files before anything touches the index: name, size, type by content."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from rag.errors import InputError

if TYPE_CHECKING:
    from rag.pipeline import IngestReport, Pipeline, ProgressFactory

TEXT_TYPES = (".txt", ".md", ".markdown", ".html", ".htm")
BINARY_TYPES = (".pdf", ".docx")
ALLOWED = TEXT_TYPES + BINARY_TYPES
MAX_BYTES = 20 * 1024 * 1024
MAX_NAME_CHARS = 200
UPLOAD_DIR = "uploads"


@dataclass(frozen=True)
class Upload:
    """A checked upload: a safe base name and the file's bytes."""

    name: str
    data: bytes


def safe_name(name: object) -> str:
    """The upload's file name if it is a plain base name; InputError otherwise."""
    if not isinstance(name, str) or not name.strip():
        raise InputError("The uploaded file has no name: give it a name such as 'article.txt'.")
    name = name.strip()
    if "/" in name or "\\" in name or "\x00" in name or name in (".", "..") or ".." in name.split("."):
        raise InputError(
            f"File name {name!r} contains a path (separators or '..'): upload it under a plain name such as 'article.txt'."
        )
    if name.startswith("."):
        raise InputError(f"File name {name!r} starts with a dot: rename it, e.g. 'article.txt'.")
    if len(name) > MAX_NAME_CHARS:
        raise InputError(f"File name {name[:40]!r}… is {len(name)} characters long; the limit is {MAX_NAME_CHARS}.")
    if any(ord(ch) < 32 for ch in name):
        raise InputError(f"File name {name!r} contains control characters: rename it.")
    if Path(name).suffix.lower() not in ALLOWED:
        raise InputError(
            f"{name}: type {Path(name).suffix or '(none)'!r} is not supported; upload one of {', '.join(ALLOWED)}."
        )
    return os.path.basename(name)


def is_decodable_text(data: bytes) -> bool:
    """True for text in a known encoding (UTF-8/16 with BOM, GB18030, ...) with no binary bytes."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return False
        return "\x00" not in text
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return False
    text = str(best)
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    return controls <= max(2, len(text) // 1000)


def check_content(name: str, data: bytes) -> None:
    """The bytes must be what the extension says: PDF magic, a Word zip, or decodable text."""
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":
        if not data.lstrip()[:5] == b"%PDF-":
            raise InputError(f"{name}: this is not a PDF file (no %PDF header); upload the real PDF.")
    elif suffix == ".docx":
        if not data.startswith(b"PK\x03\x04"):
            raise InputError(f"{name}: this is not a Word .docx file (not a zip archive).")
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile as err:
            raise InputError(f"{name}: the .docx archive is damaged ({err}); save it again and retry.") from err
        if "word/document.xml" not in names:
            raise InputError(f"{name}: this zip file is not a Word document (no word/document.xml).")
        from rag.loading import docx_dtd_member

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                member = docx_dtd_member(archive)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as err:
            raise InputError(f"{name}: the .docx archive is damaged ({err}); save it again and retry.") from err
        if member is not None:
            raise InputError(
                f"{name}: the part {member} declares a DTD or entities, which Word never writes "
                "(an entity-expansion attack); save the document again from Word or LibreOffice."
            )
    elif not is_decodable_text(data):
        raise InputError(
            f"{name}: the file is not readable text (binary data or an unknown encoding); "
            f"save it as UTF-8 text and upload it again."
        )


def validate(name: object, data: bytes, *, max_bytes: int = MAX_BYTES) -> Upload:
    """An :class:`Upload` when name, size and content pass; InputError naming the problem otherwise."""
    clean = safe_name(name)
    if not data:
        raise InputError(f"{clean}: the file is empty.")
    if len(data) > max_bytes:
        raise InputError(
            f"{clean}: {len(data) / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB upload limit; split the file."
        )
    check_content(clean, data)
    return Upload(clean, data)


def read_limited(path: Path, max_bytes: int = MAX_BYTES) -> bytes:
    """Read a file, refusing it when it is larger than ``max_bytes``."""
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            f"{path.name}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB upload limit; split the file."
        )
    return path.read_bytes()


ORIGIN_LABELS = {"bundled": "the bundled sample corpus", "ingest": "a `rag ingest` path", "upload": "an earlier upload"}


class NameTakenError(InputError):
    """An upload would replace an indexed file of the same name (HTTP 409)."""


def check_namespace(pipeline: "Pipeline", uploads: Iterable[Upload], *, replace: bool = False) -> None:
    """Uploads live in their own namespace: InputError when one would replace a file from another
    source (never allowed) or an earlier upload (only with ``replace``)."""
    from rag.errors import IndexMissingError

    try:
        store = pipeline.store()
    except IndexMissingError:
        return
    for upload in uploads:
        origin = store.origin(upload.name)
        if origin is None or (origin == "upload" and replace):
            continue
        if origin == "upload" and store.files()[upload.name].get("sha256") == hashlib.sha256(upload.data).hexdigest():
            continue  # the very same upload again: nothing is replaced ("unchanged")
        if origin == "upload":
            raise NameTakenError(
                f"{upload.name} is already uploaded. To replace it, upload it again with 'Replace uploads of "
                f"the same name' ticked (API: POST /api/files?replace=true), or remove it first."
            )
        raise NameTakenError(
            f"{upload.name} is already indexed from {ORIGIN_LABELS[origin]}; an upload never replaces it. "
            f"Rename your file (e.g. 'my_{upload.name}'), or remove {upload.name} from the index first "
            f"(Remove in the Knowledge base tab, DELETE /api/files/{upload.name} or `rag remove {upload.name}`) "
            f"and upload it again."
        )


def add_uploads(
    pipeline: "Pipeline",
    uploads: Iterable[Upload],
    progress: "ProgressFactory | None" = None,
    *,
    replace: bool = False,
    embed_batch: int = 16,
) -> "IngestReport":
    """Save checked uploads under ``$RAG_HOME/uploads`` and ingest them.

    An upload never replaces a file from another source, nor an earlier upload unless
    ``replace`` (see :func:`check_namespace`). A file the loader refuses is taken out again and
    its previous copy restored, so a failed upload leaves the index and the upload folder as they were.
    """
    uploads = list(uploads)
    names = [u.name for u in uploads]
    if len(set(names)) != len(names):
        raise InputError(f"Two uploads have the same name ({', '.join(sorted(names))}); rename one.")
    check_namespace(pipeline, uploads, replace=replace)
    folder = Path(pipeline.settings.home) / UPLOAD_DIR
    folder.mkdir(parents=True, exist_ok=True)
    backups = Path(tempfile.mkdtemp(prefix=".previous-", dir=folder))
    written: list[Path] = []
    try:
        for upload in uploads:
            target = folder / upload.name
            if target.exists():
                shutil.copy2(target, backups / upload.name)
            tmp = target.with_name(f".{upload.name}.part")
            tmp.write_bytes(upload.data)
            os.replace(tmp, target)
            written.append(target)
        try:
            report = pipeline.ingest(written, progress=progress, embed_batch=embed_batch)
        except BaseException:
            _restore(written, backups)
            raise
        accepted = set(report.added) | set(report.updated) | set(report.unchanged)
        _restore([p for p in written if p.name not in accepted], backups)
        return report
    finally:
        shutil.rmtree(backups, ignore_errors=True)


def _restore(paths: Iterable[Path], backups: Path) -> None:
    for path in paths:
        previous = backups / path.name
        if previous.exists():
            os.replace(previous, path)
        else:
            path.unlink(missing_ok=True)


def remove_upload_copy(home: Path, name: str) -> None:
    """Delete the saved copy of an uploaded file (if it was uploaded)."""
    (Path(home) / UPLOAD_DIR / os.path.basename(name)).unlink(missing_ok=True)
