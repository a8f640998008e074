"""Loading files of every supported type and refusing the ones that cannot be read."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from rag.errors import InputError
from rag.loading import SUPPORTED_SUFFIXES, find_files, load_document

TEXT = "中国社会工作联合会召开座谈会。\n会议强调加强社工人才队伍建设。\n"


def test_utf8_file(tmp_path):
    path = tmp_path / "page.txt"
    path.write_bytes(TEXT.encode("utf-8"))
    doc = load_document(path)
    assert doc.source == "page.txt" and doc.path == str(path.resolve())
    assert doc.encoding == "utf-8" and doc.raw_text == TEXT
    assert doc.text == "中国社会工作联合会召开座谈会。\n会议强调加强社工人才队伍建设。"
    assert doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_utf8_with_bom(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    doc = load_document(path)
    assert doc.encoding == "utf-8-sig" and not doc.text.startswith("\ufeff")
    assert doc.text.startswith("中国社会工作联合会")


def test_gbk_bytes(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes(TEXT.encode("gbk"))
    doc = load_document(path)
    assert doc.encoding == "gb18030"
    assert "社工人才队伍建设" in doc.text


def test_markdown(tmp_path):
    path = tmp_path / "page.md"
    path.write_text("# 标题\n\n正文第一段。\n", encoding="utf-8")
    assert load_document(path).text == "# 标题\n正文第一段。"


def test_html_drops_scripts_and_keeps_blocks_apart(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>t</title><style>p{color:red}</style></head><body>"
        "<h1>社区食堂开业</h1><script>alert('x')</script><p>本月起，食堂为老人供餐。</p>"
        "<p>已服务两千余人次。</p></body></html>",
        encoding="utf-8",
    )
    text = load_document(path).text
    assert "alert" not in text and "color" not in text
    assert text.split("\n") == ["社区食堂开业", "本月起，食堂为老人供餐。", "已服务两千余人次。"]


def test_docx_generated_in_test(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("社区食堂开进老旧小区")
    document.add_paragraph("本月起，食堂为六十岁以上老人提供午餐。")
    path = tmp_path / "page.docx"
    document.save(path)
    doc = load_document(path)
    assert doc.encoding == "docx"
    assert doc.text.split("\n") == ["社区食堂开进老旧小区", "本月起，食堂为六十岁以上老人提供午餐。"]


def test_docx_zip_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * 50_000_000)
    with pytest.raises(InputError, match=r"bomb\.docx.*zip bomb"):
        load_document(path)


def _pdf_with_text(text: str) -> bytes:
    """A minimal one-page PDF whose content stream draws ``text`` in Helvetica."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_pdf_with_text_layer(tmp_path):
    path = tmp_path / "page.pdf"
    path.write_bytes(_pdf_with_text("Community canteen opens."))
    doc = load_document(path)
    assert doc.encoding == "pdf" and "Community canteen opens." in doc.text


def test_pdf_without_text_layer_needs_ocr(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    path = tmp_path / "scan.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(InputError, match=r"scan\.pdf.*needs OCR"):
        load_document(path)


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"  \n\n ", "empty"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "binary"),
        ("garbage.txt", bytes(range(128, 256)) * 20, "cannot decode"),
        ("broken.docx", b"this is not a zip file", "not a valid .docx"),
        ("broken.pdf", b"%PDF-1.4 garbage", "PDF"),
    ],
)
def test_unusable_files_raise_input_error_naming_the_file(tmp_path, name, data, why):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        load_document(path)
    message = str(info.value)
    assert name in message and "skipped" in message and why in message
    assert info.value.exit_code == 2


def test_missing_file_and_oversized_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        load_document(tmp_path / "nope.txt")
    big = tmp_path / "big.txt"
    big.write_text("字" * 100, encoding="utf-8")
    with pytest.raises(InputError, match="limit"):
        load_document(big, max_bytes=10)


def test_find_files_walks_folders_sorted_and_skips_unsupported(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("乙。", encoding="utf-8")
    (tmp_path / "a.md").write_text("甲。", encoding="utf-8")
    (tmp_path / "c.csv").write_text("x", encoding="utf-8")
    (tmp_path / "b" / "1.html").write_text("<p>丙。</p>", encoding="utf-8")
    files, warnings = find_files([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in files] == ["a.md", "b/1.html", "b/2.txt"]
    assert all(p.suffix in SUPPORTED_SUFFIXES for p in files)
    single, warn = find_files([tmp_path / "c.csv"])
    assert single == [] and "c.csv" in warn[0]


def test_find_files_does_not_follow_symlinks_out_of_the_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("秘密。", encoding="utf-8")
    root = tmp_path / "root"
    root.mkdir()
    (root / "ok.txt").write_text("正常。", encoding="utf-8")
    (root / "link.txt").symlink_to(outside / "secret.txt")
    (root / "dirlink").symlink_to(outside, target_is_directory=True)
    files, warnings = find_files([root])
    assert files == [root / "ok.txt"]
    assert any("link.txt" in w and "outside" in w for w in warnings)


def test_find_files_names_a_missing_path(tmp_path):
    with pytest.raises(InputError, match="missing-folder"):
        find_files([tmp_path / "missing-folder"])


def test_bundled_corpus_loads(tmp_path):
    corpus = Path(__file__).resolve().parents[1] / "rag" / "data" / "corpus"
    files, warnings = find_files([corpus])
    assert len(files) == 5 and not warnings
    for path in files:
        doc = load_document(path)
        assert doc.encoding == "utf-8" and doc.text
