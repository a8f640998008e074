"""The browser and the network: inert document text, the admin token, read-only servers, limits, overload.

Real `rag serve` processes; traffic goes to 127.0.0.1 only (one server binds 0.0.0.0 to test
that it starts read-only).
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from eval.reliability import record
from reliability_helpers import IM_ANSWER, IM_QUESTION, clean_env, copy_home, multipart, start_server, stop_server

pytestmark = pytest.mark.slow

TOKEN = "test-admin-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run"]
PAYLOADS = {
    "title script": "<script>window.__xss='title-script';console.log('XSS-FIRED')</script>",
    "title img": "<img src=x onerror=\"window.__xss='title-img';console.log('XSS-FIRED')\">",
    "text script": "<script>window.__xss='text-script';alert('XSS-FIRED')</script>",
    "text img": "<img src=x onerror=\"window.__xss='text-img';alert('XSS-FIRED')\">",
}
HOSTILE_DOC = (
    f"# 翠屏市书屋建设{PAYLOADS['title script']}新进展{PAYLOADS['title img']}\n\n"
    f"近日,翠屏市文化和旅游局通报,翠屏市已建成社区书屋412个{PAYLOADS['text script']},"
    f"覆盖全部街道{PAYLOADS['text img']},全年接待读者9.6万人次。\n\n(据翠屏市融媒体中心)\n"
)
HOSTILE_QUESTION = "翠屏市已建成多少个社区书屋？"


@pytest.fixture(scope="module")
def token_server(built_home, tmp_path_factory):
    """A server on 127.0.0.1 whose uploads and deletions need the admin token."""
    base = tmp_path_factory.mktemp("token-server")
    home = copy_home(built_home, base / "home")
    server = start_server(home, base / "server.log", env=clean_env(RAG_ADMIN_TOKEN=TOKEN))
    yield server
    stop_server(server)


def _upload(server, name: str, data: bytes, headers: dict | None = None):
    body, head = multipart(name, data)
    return server.request("POST", "/api/files", body, {**head, **(headers or {})})


def test_uploads_and_deletions_need_the_token(token_server) -> None:
    data = "# 测试\n\n测试文件正文。\n".encode()
    checks = []
    status, body = _upload(token_server, "t.txt", data)
    checks.append(status == 401 and "token" in body["error"])
    status, body = _upload(token_server, "t.txt", data, {"Authorization": "Bearer wrong-token-wrong-token"})
    checks.append(status == 401)
    status, body = token_server.request("DELETE", "/api/files/t.txt")
    checks.append(status == 401)
    status, body = _upload(token_server, "../t.txt", data, AUTH)
    checks.append(status == 422 and "path" in body["error"])
    status, body = _upload(token_server, "t.txt", data, AUTH)
    checks.append(status == 200 and body["added"] == ["t.txt"])
    status, body = token_server.request("DELETE", "/api/files/t.txt", headers=AUTH)
    checks.append(status == 200 and body["removed"] == ["t.txt"])
    _, health = token_server.request("GET", "/api/health")
    checks.append(health["uploads"] == "token")
    record("http_limits", sum(checks), len(checks), "token")
    assert all(checks), checks


def _declared_upload(server, size: int) -> int:
    """Status for an upload that declares ``size`` bytes and sends none: refused before reading."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("POST", "/api/files")
        conn.putheader("Content-Type", "multipart/form-data; boundary=x")
        conn.putheader("Content-Length", str(size))
        conn.putheader("Authorization", AUTH["Authorization"])
        conn.endheaders()
        return conn.getresponse().status
    finally:
        conn.close()


def test_limits_on_body_question_and_k_answer_4xx(token_server) -> None:
    cases = [
        (lambda: (_declared_upload(token_server, 22 * 1024 * 1024), None), 413),
        (lambda: token_server.post_json("/api/ask", {"question": "x" * 70_000}), 413),
        (lambda: token_server.post_json("/api/ask", {"question": "问" * 3000}), 422),
        (lambda: token_server.post_json("/api/ask", {"question": IM_QUESTION, "k": 0}), 422),
        (lambda: token_server.post_json("/api/ask", {"question": IM_QUESTION, "k": 51}), 422),
        (lambda: token_server.post_json("/api/ask", {"question": IM_QUESTION, "k": "5"}), 400),
    ]
    results = [(call()[0], want) for call, want in cases]
    record("http_limits", sum(got == want for got, want in results), len(results), "limits")
    assert all(got == want for got, want in results), results


def test_overload_answers_503_at_once_instead_of_hanging(token_server) -> None:
    barrier = threading.Barrier(60)

    def ask(_i: int):
        barrier.wait(timeout=30)
        try:
            return token_server.post_json("/api/ask", {"question": IM_QUESTION}, timeout=120)
        except OSError as err:
            return 0, {"error": str(err)}

    with ThreadPoolExecutor(max_workers=60) as pool:
        results = list(pool.map(ask, range(60)))
    statuses = [s for s, _ in results]
    assert set(statuses) <= {200, 503}, statuses
    assert statuses.count(503) >= 1, "60 simultaneous asks never hit the in-flight limit"
    assert all(IM_ANSWER in b["answer"] for s, b in results if s == 200)
    assert all("busy" in b["error"] for s, b in results if s == 503)
    record("http_limits", 1, 1, f"overload: {statuses.count(503)} of 60 answered 503")


def test_server_beyond_loopback_without_token_is_read_only(built_home, tmp_path) -> None:
    home = copy_home(built_home, tmp_path / "home")
    server = start_server(home, tmp_path / "server.log", host="0.0.0.0")
    try:
        status, body = _upload(server, "t.txt", "# 测试\n\n正文。\n".encode())
        checks = [status == 403 and "read-only" in body["error"]]
        status, body = server.request("DELETE", "/api/files/004_48b25d9ea022bb79.txt")
        checks.append(status == 403)
        _, health = server.request("GET", "/api/health")
        checks.append(health["uploads"] == "read-only")
        status, answer = server.post_json("/api/ask", {"question": IM_QUESTION})
        checks.append(status == 200 and IM_ANSWER in answer["answer"])
    finally:
        stop_server(server)
    checks.append("Read-only" in server.log.read_text(errors="replace"))
    record("http_limits", sum(checks), len(checks), "read-only")
    assert all(checks), (checks, server.log.read_text(errors="replace")[-2000:])


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_document_markup_is_shown_as_text_and_runs_nothing(token_server) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    status, reply = _upload(token_server, "hostile_page.txt", HOSTILE_DOC.encode("utf-8"), AUTH)
    assert status == 200, reply
    url = token_server.url
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        page = browser.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url) else route.abort())
        dialogs, console = [], []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: console.append(m.text))
        page.goto(url + "/")
        page.wait_for_selector("#rag-question textarea", timeout=60_000)
        page.fill("#rag-question textarea", HOSTILE_QUESTION)
        page.keyboard.press("Enter")
        answer = page.locator(".rag-answer").last
        page.locator(".rag-answer .rag-sources, .rag-answer .rag-refusal").first.wait_for(timeout=120_000)
        for details in answer.locator("details").all():
            details.evaluate("d => d.open = true")
        page.wait_for_timeout(1000)
        shown = answer.inner_text()
        fired = page.evaluate("window.__xss || null")
        injected = page.evaluate("document.querySelectorAll('#rag-chat script, #rag-chat img[onerror]').length")
        browser.close()
    assert "412" in shown, shown
    inert = sum(
        payload in shown and fired is None and not dialogs and not any("XSS-FIRED" in c for c in console)
        for payload in (PAYLOADS["text script"], PAYLOADS["text img"])
    )
    inert += sum(
        payload in json.dumps(reply, ensure_ascii=False) or fired is None for payload in ()
    )
    title_inert = fired is None and not dialogs and injected == 0
    inert += 2 * title_inert  # the title payloads: nothing injected, nothing fired
    record("browser_payloads", inert, len(PAYLOADS))
    assert fired is None and dialogs == [] and injected == 0, (fired, dialogs, injected)
    assert not any("XSS-FIRED" in c for c in console), console
    assert inert == len(PAYLOADS), shown
