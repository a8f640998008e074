"""Find input files and turn each into a ``Document`` (bytes -> decoded text -> cleaned text)."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Iterable

from .cleaning import clean_text
from .errors import InputError
from .models import Document

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
# A .docx whose members would inflate past this many bytes is refused (zip bomb guard).
MAX_DOCX_UNCOMPRESSED = 200_000_000
MAX_DOCX_RATIO = 200
# HTML larger than this is refused (parsing markup costs about 2 s per MB).
MAX_HTML_BYTES = 8_000_000
# HTML nested deeper than this is refused (the parser slows quadratically with depth).
MAX_HTML_DEPTH = 1000
# Tags that are void or whose end tag may be left out: they do not count as nesting.
_FLAT_TAGS = frozenset(
    "area base br col embed hr img input link meta param source track wbr p li dt dd tr td th "
    "option optgroup thead tbody tfoot colgroup caption rp rt".split()
)


def find_files(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """Expand files and folders into supported files; return (files, warnings).

    Folders are walked in sorted order; symlinks that lead outside the folder are skipped
    with a warning. A path that does not exist raises ``InputError``.
    """
    files: list[Path] = []
    warnings: list[str] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            files.append(path)

    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise InputError(f"{path}: no such file or folder; check the path and try again.")
        if path.is_file():
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                add(path)
            else:
                warnings.append(
                    f"{path}: skipped: unsupported file type {path.suffix or '(none)'!r}; "
                    f"supported: {', '.join(SUPPORTED_SUFFIXES)}."
                )
            continue
        root = path.resolve()
        for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                candidate = Path(dirpath) / name
                if candidate.suffix.lower() not in SUPPORTED_SUFFIXES:
                    continue
                if candidate.is_symlink():
                    target = candidate.resolve()
                    if not target.is_relative_to(root):
                        warnings.append(
                            f"{candidate}: skipped: symlink leads outside {path} (to {target})."
                        )
                        continue
                    if not target.is_file():
                        warnings.append(f"{candidate}: skipped: broken symlink.")
                        continue
                add(candidate)
    return files, warnings


def load_document(path: Path, *, max_bytes: int = 50_000_000) -> Document:
    """Read one file, detect its encoding, extract and clean its text."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(
                f"{path}: skipped: file is {size:,} bytes, over the {max_bytes:,}-byte limit; "
                "split it into smaller files."
            )
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: skipped: cannot read it ({err.strerror or err}).") from err
    if not data.strip():
        raise InputError(f"{path}: skipped: the file is empty.")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        raw, encoding = _pdf_text(path, data), "pdf"
    elif suffix == ".docx":
        raw, encoding = _docx_text(path, data), "docx"
    else:
        if suffix in (".html", ".htm") and len(data) > MAX_HTML_BYTES:
            raise InputError(
                f"{path}: skipped: the HTML page is {len(data):,} bytes, over the {MAX_HTML_BYTES:,}-byte limit "
                "for markup; save the article text as .txt (no size limit below 50 MB) and ingest that."
            )
        raw, encoding = decode_bytes(path, data)
        if suffix in (".html", ".htm"):
            raw = _html_text(raw, path)
    text = clean_text(raw)
    if not text.strip():
        raise InputError(f"{path}: skipped: no text left after cleaning.")
    return Document(
        source=path.name,
        path=str(path.resolve()),
        raw_text=raw,
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
    )


def decode_bytes(path: Path, data: bytes) -> tuple[str, str]:
    """Decode text bytes: UTF-8 (with or without BOM), then GB18030, then charset-normalizer."""
    if b"\x00" in data[:65536] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path}: skipped: binary file (contains NUL bytes), not text.")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        if _looks_like_text(text):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and _looks_like_text(str(best)):
        return str(best), best.encoding
    raise InputError(
        f"{path}: skipped: cannot decode the text (not UTF-8 or GBK/GB18030); "
        "save it as UTF-8 and try again."
    )


def _looks_like_text(text: str) -> bool:
    """Reject decodings dominated by control characters or private-use code points."""
    if not text:
        return False
    bad = sum(
        1
        for ch in text
        if (ord(ch) < 32 and ch not in "\t\n\r\f") or 0xE000 <= ord(ch) <= 0xF8FF or ch == "\ufffd"
    )
    return bad / len(text) < 0.02


def html_depth(html: str) -> int:
    """Deepest element nesting in ``html`` (a linear scan of the tags; void/optional-end tags skipped)."""
    import re

    depth = deepest = 0
    for match in re.finditer(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*?(/?)>", html):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if self_closing or name in _FLAT_TAGS:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest


def _html_text(html: str, path: Path | str = "page.html") -> str:
    """Visible text of an HTML page, one block element per line; scripts and styles dropped."""
    import re

    from bs4 import BeautifulSoup

    depth = html_depth(html)
    if depth > MAX_HTML_DEPTH:
        raise InputError(
            f"{path}: skipped: the HTML nests elements {depth} levels deep (limit {MAX_HTML_DEPTH}); "
            "it is not a news page. Save the article text as .txt and ingest that."
        )

    blocks = (
        "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
        "section", "article", "header", "footer", "blockquote", "pre", "td", "th", "title",
    )  # fmt: skip
    # A line break around every block tag, in the markup itself: inserting nodes into the parsed
    # tree costs time quadratic in the number of siblings (minutes for a 1 MB page).
    html = re.sub(rf"(?i)(</?(?:{'|'.join(blocks)})\b[^>]*>)", "\n\\1\n", html)
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    return soup.get_text()


def _pdf_text(path: Path, data: bytes) -> str:
    """Text layer of a PDF; a PDF without one needs OCR first."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise InputError(f"{path}: skipped: the PDF is encrypted; save an unlocked copy.")
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as err:
        raise InputError(f"{path}: skipped: unreadable PDF ({err}).") from err
    text = "\n\n".join(pages)
    if not text.strip():
        raise InputError(
            f"{path}: skipped: the PDF has no text layer (scanned images) and needs OCR; "
            "run OCR on it (e.g. ocrmypdf) and ingest the result."
        )
    return text


def docx_dtd_member(archive) -> str | None:
    """The first XML part of an open .docx zip that declares a DTD or entities (None when clean).

    Word never writes ``<!DOCTYPE``/``<!ENTITY``; refusing them stops entity-expansion
    ("billion laughs") and external-entity tricks before any XML parser sees the part.
    """
    for info in archive.infolist():
        if not info.filename.lower().endswith((".xml", ".rels")):
            continue
        with archive.open(info) as part:
            head = part.read(MAX_DOCX_UNCOMPRESSED).replace(b"\x00", b"").upper()  # UTF-16 parts too
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            return info.filename
    return None


def _docx_text(path: Path, data: bytes) -> str:
    """Paragraphs (and table cells) of a .docx, after checking the zip is not a bomb."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as err:
        raise InputError(f"{path}: skipped: not a valid .docx file ({err}).") from err
    if total > MAX_DOCX_UNCOMPRESSED or total > MAX_DOCX_RATIO * max(len(data), 1):
        raise InputError(
            f"{path}: skipped: the .docx would expand to {total:,} bytes (possible zip bomb)."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            member = docx_dtd_member(archive)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as err:
        raise InputError(f"{path}: skipped: unreadable .docx ({err}).") from err
    if member is not None:
        raise InputError(
            f"{path}: skipped: the .docx part {member} declares a DTD or entities, which Word never writes "
            "(an entity-expansion attack); save the document again from Word or LibreOffice."
        )
    from docx import Document as DocxDocument
    from lxml.etree import LxmlError

    try:
        doc = DocxDocument(io.BytesIO(data))
    except (ValueError, KeyError, zipfile.BadZipFile, LxmlError) as err:
        raise InputError(f"{path}: skipped: unreadable .docx ({err}).") from err
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines.append(" ".join(cell.text for cell in row.cells))
    return "\n".join(lines)
