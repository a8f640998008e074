"""The JSON API and the UI's building blocks: answer HTML, upload checks, the live server."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rag.errors import InputError
from rag.models import Answer, Citation
from ui import render
from ui.api import parse_ask
from ui.uploads import validate

from ui_server import ui_server  # noqa: F401  (shared session fixture)

ZH_QUESTION = "内蒙古已建成多少个社工站？"
EN_QUESTION = "How many social work stations are there in Inner Mongolia?"
ANSWER_KEYS = {"question", "answer", "refused", "language", "mode", "citations", "timings_ms", "grounded", "warnings",
               "short_answer", "confidence"}
CITATION_KEYS = {"n", "source", "title", "text", "start", "end", "score", "span"}


# ----------------------------------------------------------------------------- answer HTML
def _hostile_answer() -> Answer:
    text = "前文<script>alert(1)</script>全区已建成850个社工站<img src=x onerror=alert(2)>后文"
    begin = text.index("全区")
    return Answer(
        question="q",
        answer="已建成850个社工站[1]，另见[2]，无效标记[7]。<b>bold</b>",
        refused=False,
        language="zh",
        mode="extractive",
        citations=(
            Citation(1, "a<x>.txt", "标题<script>alert(3)</script>", text, 0, len(text), 0.5, (begin, begin + 12)),
            Citation(2, "b.txt", "第二篇", "第一行\n\n第二行", 0, 8, 0.4, None),
        ),
    )


def test_document_text_is_escaped_so_nothing_runs() -> None:
    html = render.answer_html(_hostile_answer(), "u1")
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "\n" not in html  # one HTML block for the chat's Markdown renderer


def test_answer_span_is_marked_and_markers_link_to_their_passages() -> None:
    html = render.answer_html(_hostile_answer(), "u1")
    assert '<mark class="rag-span">全区已建成850个社工站</mark>' in html
    assert f'href="#{render.anchor_id("u1", 1)}"' in html and f'id="{render.anchor_id("u1", 1)}"' in html
    assert f'href="#{render.anchor_id("u1", 2)}"' in html
    assert "[7]" in html and render.anchor_id("u1", 7) not in html  # unknown marker stays plain
    assert html.count('<details class="rag-cite"') == 2 and "来源" in html


def test_refusal_looks_different_from_an_answer() -> None:
    refusal = Answer(question="q", answer="The articles don't say.", refused=True, language="en", mode="extractive")
    html = render.answer_html(refusal, "u2")
    assert 'class="rag-refusal"' in html and "Not found in the articles" in html
    assert 'class="rag-text"' not in html and "<details" not in html


def test_answer_html_accepts_the_api_json() -> None:
    answer = _hostile_answer()
    assert render.answer_html(answer.to_dict(), "u3") == render.answer_html(answer, "u3")


# ----------------------------------------------------------------------------- upload checks
def _docx_bytes(with_document: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        if with_document:
            archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name",
    ["../evil.txt", "..\\evil.txt", "a/b.txt", "/etc/passwd.txt", "..", ".hidden.txt", "", "x.exe", "noext", "a\x00.txt"],
)
def test_upload_names_with_paths_or_bad_types_are_refused(name: str) -> None:
    with pytest.raises(InputError):
        validate(name, "正文".encode("utf-8"))


@pytest.mark.parametrize(
    "name,data",
    [
        ("fake.pdf", b"just text pretending to be a pdf"),
        ("fake.docx", b"not a zip at all"),
        ("empty-zip.docx", _docx_bytes(with_document=False)),
        ("binary.txt", bytes(range(256)) * 20),
        ("image.md", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
        ("empty.txt", b""),
    ],
)
def test_upload_content_must_match_its_type(name: str, data: bytes) -> None:
    with pytest.raises(InputError) as err:
        validate(name, data)
    assert name in str(err.value)


def test_upload_size_limit_and_good_files() -> None:
    with pytest.raises(InputError, match="limit"):
        validate("big.txt", b"a" * 101, max_bytes=100)
    assert validate("新闻.txt", "内蒙古新闻".encode("gb18030")).name == "新闻.txt"
    assert validate("page.html", b"<html><body>text</body></html>").name == "page.html"
    assert validate("doc.docx", _docx_bytes()).name == "doc.docx"
    assert validate("doc.pdf", b"%PDF-1.7\n...").name == "doc.pdf"
    assert validate("utf16.md", "# 标题\n正文".encode("utf-16")).name == "utf16.md"


# ----------------------------------------------------------------------------- request parsing
@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"q": "x"}', b'{"question": 5}', b'{"question": "x", "k": "3"}',
     b'{"question": "x", "k": true}', b'{"question": "x", "mode": 1}', b'{"question": "x", "history": "h"}',
     b"\xff\xfe"],
)
def test_malformed_ask_requests_are_refused(body: bytes) -> None:
    with pytest.raises(InputError):
        parse_ask(body)


def test_ask_request_fields() -> None:
    fields = parse_ask(json.dumps({"question": "问", "k": 3, "history": [["a", "b"]]}).encode())
    assert fields == {"question": "问", "mode": None, "k": 3, "history": [("a", "b")]}


# ----------------------------------------------------------------------------- live server
@pytest.mark.slow
def test_health_reports_ready(ui_server) -> None:
    status, body = ui_server.request("GET", "/api/health")
    assert status == 200 and body["status"] == "ok" and body["embeddings"]


@pytest.mark.slow
@pytest.mark.parametrize("question,language", [(ZH_QUESTION, "zh"), (EN_QUESTION, "en")])
def test_ask_returns_the_answer_json(ui_server, question: str, language: str) -> None:
    status, body = ui_server.post_json("/api/ask", {"question": question})
    assert status == 200, body
    assert set(body) == ANSWER_KEYS
    assert body["question"] == question and body["language"] == language and not body["refused"]
    assert "850" in body["answer"]
    assert body["citations"] and all(set(c) == CITATION_KEYS for c in body["citations"])
    assert any("内蒙古" in c["title"] for c in body["citations"])
    for n in {int(x) for x in re.findall(r"\[(\d+)\]", body["answer"])}:
        assert n in {c["n"] for c in body["citations"]}


@pytest.mark.slow
def test_api_answer_is_exactly_the_pipeline_answer(ui_server) -> None:
    from rag.pipeline import Pipeline
    from rag.settings import load_settings

    status, body = ui_server.post_json("/api/ask", {"question": ZH_QUESTION, "k": 4})
    assert status == 200
    direct = Pipeline(load_settings({"home": ui_server.home}, environ={})).ask(ZH_QUESTION, k=4).to_dict()
    body.pop("timings_ms"), direct.pop("timings_ms")
    assert body == direct


@pytest.mark.slow
def test_twenty_concurrent_requests_are_all_answered(ui_server) -> None:
    questions = [ZH_QUESTION if i % 2 else EN_QUESTION for i in range(20)]
    expected = {q: ui_server.post_json("/api/ask", {"question": q})[1]["answer"] for q in set(questions)}
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda q: ui_server.post_json("/api/ask", {"question": q}, timeout=300), questions))
    assert len(results) == 20
    for question, (status, body) in zip(questions, results):
        assert status == 200, body
        assert body["question"] == question and body["answer"] == expected[question]  # none lost or mixed up
        if question == ZH_QUESTION:
            assert "850" in body["answer"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "payload,status",
    [
        (b"{broken", 400),
        (b'"just a string"', 400),
        (b"{}", 400),
        (b'{"question": 42}', 400),
        (b'{"question": "x", "k": "five"}', 400),
        (b'{"question": "x", "extra": 1}', 400),
        (b'{"question": ""}', 422),
        (b'{"question": "   "}', 422),
        (json.dumps({"question": "长" * 5000}).encode(), 422),
        (b'{"question": "x", "mode": "magic"}', 422),
        (b'{"question": "x", "k": 0}', 422),
        (b'{"question": "x", "k": 500}', 422),
        (json.dumps({"question": "x" * 70000}).encode(), 413),
    ],
)
def test_bad_requests_get_4xx_with_an_error_message(ui_server, payload: bytes, status: int) -> None:
    got, body = ui_server.request("POST", "/api/ask", payload, {"Content-Type": "application/json"})
    assert got == status, body
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]


@pytest.mark.slow
def test_unknown_api_route_is_a_json_404(ui_server) -> None:
    status, body = ui_server.request("GET", "/api/nothing-here")
    assert status == 404 and "error" in body


def _multipart(name: str, data: bytes) -> tuple[bytes, dict]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n"
    ).encode("utf-8")
    body = head + data + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


NEW_ARTICLE = """青松县图书馆新馆正式开放

本报讯（记者 林晓）9月18日，青松县图书馆新馆正式向公众开放。新馆建筑面积1.2万平方米，
馆藏图书共计47600册，设有少儿阅览区、古籍修复室和数字阅读体验区。

青松县文化和旅游局局长王立新介绍，新馆每周开放70小时，全年免费向市民提供借阅服务。
"""


@pytest.mark.slow
def test_upload_adds_an_answerable_file_and_bad_files_change_nothing(ui_server) -> None:
    _, before = ui_server.request("GET", "/api/files")

    for name, data in [
        ("../escape.txt", NEW_ARTICLE.encode()),
        ("fake.pdf", b"hello, not a pdf"),
        ("binary.txt", bytes(range(256)) * 40),
        ("broken.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj garbage without any pages\n"),
    ]:
        body, headers = _multipart(name, data)
        status, reply = ui_server.request("POST", "/api/files", body, headers)
        assert 400 <= status < 500 and reply.get("error"), (name, status, reply)
    _, after_bad = ui_server.request("GET", "/api/files")
    assert after_bad["articles"] == before["articles"]
    assert not (ui_server.home / "uploads" / "broken.pdf").exists()
    assert not (ui_server.home.parent / "escape.txt").exists()

    body, headers = _multipart("qingsong_library.txt", NEW_ARTICLE.encode("utf-8"))
    status, reply = ui_server.request("POST", "/api/files", body, headers)
    assert status == 200, reply
    assert reply["added"] == ["qingsong_library.txt"]
    _, after = ui_server.request("GET", "/api/files")
    assert "qingsong_library.txt" in {a["source"] for a in after["articles"]}

    status, answer = ui_server.post_json("/api/ask", {"question": "青松县图书馆新馆馆藏图书有多少册？"})
    assert status == 200 and not answer["refused"], answer
    assert "47600" in answer["answer"]
    assert any(c["source"] == "qingsong_library.txt" for c in answer["citations"])

    status, reply = ui_server.request("DELETE", "/api/files/qingsong_library.txt")
    assert status == 200 and reply["removed"] == ["qingsong_library.txt"]
    _, final = ui_server.request("GET", "/api/files")
    assert final["articles"] == before["articles"]
    assert any(job["names"] == ["qingsong_library.txt"] and job["state"] == "done" for job in final["jobs"])


# ----------------------------------------------------------------------------- UI handlers
@pytest.mark.slow
def test_ui_upload_refuses_the_whole_batch_when_one_file_is_bad(home_copy, tmp_path) -> None:
    from rag.settings import load_settings
    from ui.app import upload_files
    from ui.guard import UploadInbox
    from ui.service import ChatService

    service = ChatService(load_settings({"home": home_copy}, environ={}))
    service.inbox = inbox = UploadInbox.create(tmp_path)
    service.wait_ready()
    before = service.articles()

    def received(name: str, data: bytes) -> str:
        """A file as Gradio's /gradio_api/upload leaves it: in the cache folder, in its record."""
        folder = inbox.folder / uuid.uuid4().hex
        folder.mkdir()
        (folder / name).write_bytes(data)
        inbox.received.add(str(folder / name))
        return str(folder / name)

    good, bad = received("good.txt", NEW_ARTICLE.encode("utf-8")), received("bad.docx", b"not a word file")
    message = "\n".join(upload_files(service, [good, bad]))
    assert "Nothing was added" in message and "bad.docx" in message
    assert service.articles() == before
    assert not Path(good).exists() and not Path(bad).exists()  # both deleted from the cache once used

    outside = tmp_path / "good.txt"  # the same file, but not received by the server
    outside.write_text(NEW_ARTICLE, encoding="utf-8")
    message = "\n".join(upload_files(service, [str(outside)]))
    assert "not uploaded to this server" in message and str(tmp_path) not in message
    assert service.articles() == before and outside.exists()

    messages = list(upload_files(service, [received("good.txt", NEW_ARTICLE.encode("utf-8"))]))
    assert "Added: good.txt" in messages[-1], messages
    assert "good.txt" in {a["source"] for a in service.articles()}
    assert (Path(home_copy) / "uploads" / "good.txt").exists()
    assert {a["origin"] for a in service.articles() if a["source"] == "good.txt"} == {"upload"}


@pytest.mark.slow
def test_llm_mode_streams_the_answer_into_the_chat(home_copy) -> None:
    from llm_server import ALIAS, LlamaServer, free_port, missing_reason, model_path

    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    from rag.settings import load_settings
    from ui.app import respond
    from ui.service import ChatService

    with LlamaServer(model_path(), free_port()) as llm:
        settings = load_settings(
            {"home": home_copy, "llm_base_url": llm.base_url, "llm_model": ALIAS, "llm_api_key": "none"}, environ={}
        )
        service = ChatService(settings)
        states = [chat[-1]["content"] for chat, _, _ in respond(service, ZH_QUESTION, [], [], "llm", 4)]
    streamed = [s for s in states if "rag-streaming" in s]
    assert len(streamed) >= 3  # the placeholder, then pieces as the model writes them
    assert "rag-sources" in states[-1] or "rag-refusal" in states[-1]
    assert "rag-streaming" not in states[-1]
