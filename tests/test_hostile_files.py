"""Hostile files: zip bombs, huge or deeply nested HTML, scanned PDFs, symlinks out, `../` names.

Each is refused with a message naming the file and the reason; nothing indexed changes.
Damaged index files are caught at load with the rebuild hint, never a traceback or a wrong answer.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import zipfile
from pathlib import Path

import pytest

from eval.reliability import record
from reliability_helpers import IM_QUESTION, copy_home, index_contents, run_rag

BOMB_MEMBER = 60_000_000


def _docx(extra_xml: bytes = b"") -> bytes:
    from docx import Document

    doc = Document()
    doc.add_paragraph("正常的段落。")
    buf = io.BytesIO()
    doc.save(buf)
    if not extra_xml:
        return buf.getvalue()
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                data = data.replace(b"</w:body>", extra_xml + b"</w:body>")
            z.writestr(info.filename, data)
    return out.getvalue()


def _lying_sizes(data: bytes, member: bytes = b"word/document.xml") -> bytes:
    """The zip with ``member``'s declared uncompressed size set to 1000 bytes (a lying header)."""
    raw = bytearray(data)
    i = raw.find(member)
    while i >= 0:
        if raw[i - 30 : i - 26] == b"PK\x03\x04":
            struct.pack_into("<I", raw, i - 30 + 22, 1000)
        elif raw[i - 46 : i - 42] == b"PK\x01\x02":
            struct.pack_into("<I", raw, i - 46 + 24, 1000)
        i = raw.find(member, i + 1)
    return bytes(raw)


def _blank_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A folder of hostile files; name -> words its refusal message must contain."""
    root = tmp_path_factory.mktemp("hostile")
    folder = root / "inbox"
    folder.mkdir()
    big = b"<w:p><w:r><w:t>" + b" " * BOMB_MEMBER + b"</w:t></w:r></w:p>"
    (folder / "bomb.docx").write_bytes(_docx(big))
    (folder / "liar.docx").write_bytes(_lying_sizes(_docx(b"<w:p><w:r><w:t>" + b"A" * 5_000_000 + b"</w:t></w:r></w:p>")))
    depth = 100_000
    (folder / "deep.html").write_text("<html><body>" + "<div>" * depth + "正文" + "</div>" * depth + "</body></html>")
    (folder / "huge.html").write_text("<html><body>" + "<p>正文内容很长很长。</p>\n" * 400_000 + "</body></html>")
    (folder / "scan.pdf").write_bytes(_blank_pdf())
    outside = root / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("# 机密文件\n\n外部文件不应被索引。\n", encoding="utf-8")
    os.symlink(outside / "secret.txt", folder / "link.txt")
    os.symlink(outside, folder / "linked_dir")
    expect = {
        "bomb.docx": "zip bomb",
        "liar.docx": "unreadable .docx",
        "deep.html": "levels deep",
        "huge.html": "byte limit",
        "scan.pdf": "needs OCR",
        "link.txt": "symlink leads outside",
    }
    return folder, expect


@pytest.mark.slow
def test_hostile_files_are_refused_by_name_and_change_nothing(built_home, tmp_path, hostile_dir) -> None:
    folder, expect = hostile_dir
    home = copy_home(built_home, tmp_path / "home")
    before = index_contents(home)
    generation = (home / "index" / "CURRENT").read_text()
    result = run_rag(home, "ingest", str(folder))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    refused = 0
    for name, words in expect.items():
        lines = [w for w in warnings if name in w]
        if lines and words in lines[0]:
            refused += 1
    assert not any("secret" in w and "outside" not in w for w in warnings)
    assert (home / "index" / "CURRENT").read_text() == generation
    assert index_contents(home) == before
    unchanged = index_contents(home) == before
    record("hostile_files", refused if unchanged else 0, len(expect), "via rag ingest")
    assert refused == len(expect), "\n".join(warnings)


@pytest.mark.parametrize(
    "name", ["../escape.txt", "..\\escape.txt", "a/../../b.txt", "/etc/passwd.txt", "..", ".hidden.txt", "x\x00.txt"]
)
def test_upload_names_with_paths_are_refused(name: str) -> None:
    from rag.errors import InputError
    from ui.uploads import validate

    with pytest.raises(InputError, match="path|dot|control|name"):
        validate(name, "正文。".encode())
    record("hostile_files", 1, 1, "upload name")


# ----------------------------------------------------------------------------- damaged index
def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(0, path.stat().st_size // 2)])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))


DAMAGE = [
    ("vectors.npy", _truncate), ("vectors.npy", _flip), ("faiss.index", _flip), ("chunks.sqlite", _flip),
    ("chunks.sqlite", _truncate), ("manifest.json", _flip), ("manifest.json", _truncate),
    ("vocabulary.json", _flip), ("bm25", _flip), ("segment.json", _flip), ("segment.json", _truncate),
]  # fmt: skip


@pytest.mark.slow
def test_damaged_index_files_are_caught_with_the_rebuild_hint(built_home, tmp_path) -> None:
    clean = copy_home(built_home, tmp_path / "clean")
    detected = 0
    for n, (name, damage) in enumerate(DAMAGE):
        home = tmp_path / f"h{n}"
        shutil.copytree(clean, home)
        gen = home / "index" / (home / "index" / "CURRENT").read_text().strip()
        segment = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))["segments"][0]["name"]
        # the manifest is the generation's; every other file is in a segment of it
        target = gen / name if name == "manifest.json" else home / "index" / "segments" / segment / name
        if target.is_dir():
            target = max((p for p in target.iterdir() if p.is_file()), key=lambda p: p.stat().st_size)
        damage(target)
        ask = run_rag(home, "ask", IM_QUESTION)
        check = run_rag(home, "check")
        ok = all(
            r.returncode == 1 and "rag ingest --rebuild" in r.stderr and "Traceback" not in r.stderr + r.stdout
            for r in (ask, check)
        ) and "850" not in ask.stdout
        detected += ok
        assert ok, (name, damage.__name__, ask.returncode, ask.stderr[-400:], check.stderr[-400:])
    record("corrupt_index", detected, len(DAMAGE))
    # `rag ingest --rebuild` repairs it
    from reliability_helpers import CORPUS

    repaired = run_rag(home, "ingest", "--rebuild", str(CORPUS))
    assert repaired.returncode == 0, repaired.stderr
    assert run_rag(home, "check").returncode == 0
