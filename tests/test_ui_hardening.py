"""An attacker's probe of `rag serve`, replayed against real servers and shown closed (issue 12).

1. no server file is read through the UI's "Add" event (planted /tmp file, README, /usr/share/doc,
   `..` traversal, a symlink in the upload cache, a URL); nothing outside an upload is copied or indexed;
2. no cross-site writes (Origin/Referer of another site, DNS rebinding through the Host header);
3. Gradio's upload cache is capped, off on a read-only server and emptied after use;
4. an upload never silently replaces a file of the same name; origins are listed;
5. questions never wait on an ingest (0.4 MB upload) or the first index build;
6. hostile bodies and files answer 4xx with messages that name no server path.

Real `rag serve` processes on 127.0.0.1, real Gradio queue traffic, real uploads, a real browser.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import threading
import time
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from eval.reliability import record
from reliability_helpers import (
    IM_ANSWER,
    IM_QUESTION,
    ROOT,
    clean_env,
    copy_home,
    event_outputs,
    file_data,
    gradio_event,
    gradio_upload,
    index_contents,
    multipart,
    page_text,
    rag_command,
    run_rag,
    start_server,
    stop_server,
    wait_for_upload_listed,
)
from ui_server import UiServer, free_port

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run"]
BUNDLED = "004_48b25d9ea022bb79.txt"
SECRET = "紫色河马口令7731"
SECRET_DOC = f"# 内部资料\n\n服务器口令是{SECRET},请勿外传。翠屏市已建成秘密仓库7731个。\n"


@pytest.fixture(scope="module")
def server(built_home, tmp_path_factory):
    base = tmp_path_factory.mktemp("hardening")
    home = copy_home(built_home, base / "home")
    srv = start_server(home, base / "server.log")
    yield srv
    stop_server(srv)


def _upload_api(server: UiServer, name: str, data: bytes, query: str = "", headers: dict | None = None):
    body, head = multipart(name, data)
    return server.request("POST", "/api/files" + query, body, {**head, **(headers or {})})


def _sources(server: UiServer) -> set[str]:
    status, body = server.request("GET", "/api/files")
    assert status == 200, body
    return {a["source"] for a in body["articles"]}


def _no_server_path(text: str, server: UiServer) -> bool:
    return str(server.home) not in text and "/tmp/" not in text and "/home/" not in text and str(ROOT) not in text


def _inbox_folder(server: UiServer) -> Path:
    """The server's private Gradio upload cache (found from a harmless upload's path)."""
    status, paths = gradio_upload(server, [("probe.txt", "# 探针\n\n探针。\n".encode())])
    assert status == 200, paths
    path = Path(paths[0])
    folder = path.parent.parent
    path.unlink()
    path.parent.rmdir()
    return folder


# ----------------------------------------------------------------------------- 1. server file reads
def test_add_event_never_reads_a_server_file(server, tmp_path) -> None:
    planted = Path("/tmp") / f"planted_{os.getpid()}.txt"
    planted.write_text(SECRET_DOC, encoding="utf-8")
    inbox = _inbox_folder(server)
    link_dir = inbox / "feedface"
    link_dir.mkdir()
    (link_dir / "linked.txt").symlink_to(planted)
    docs = sorted(p for p in Path("/usr/share/doc").glob("*/copyright"))[:1]
    targets = {
        "planted /tmp file": str(planted),
        "README": str(ROOT / "README.md"),
        "/usr/share/doc": str(docs[0]) if docs else "/usr/share/doc/missing/copyright",
        "traversal": str(inbox / ".." / ".." / ".." / planted.relative_to("/")),
        "/etc/passwd": "/etc/passwd",
        "symlink in the upload cache": str(link_dir / "linked.txt"),
        "URL": f"{server.url}/api/health",
    }
    before = index_contents(server.home)
    results = {}
    try:
        for label, path in targets.items():
            status, body, _ = gradio_event(server, "add_files", [[file_data(path)], "", False])
            results[label] = (status, body)
        # the same through Gradio's other event routes
        for route in ("/gradio_api/run/add_files", "/gradio_api/call/add_files"):
            status, body = server.post_json(route, {"data": [[file_data(str(planted))], "", False]})
            results[route] = (status, body)
        cached = [p.name for p in inbox.rglob("*") if p.is_file()]
    finally:
        planted.unlink(missing_ok=True)
    refused = {k: s == 400 and "not uploaded to this server" in b.get("error", "") and _no_server_path(b["error"], server)
               for k, (s, b) in results.items()}
    after = index_contents(server.home)
    status, answer = server.post_json("/api/ask", {"question": "翠屏市已建成多少个秘密仓库？"})
    leaked = SECRET in json.dumps(answer, ensure_ascii=False) or "7731" in answer.get("answer", "")
    closed = sum(refused.values()) + (after == before) + (not cached or cached == ["linked.txt"]) + (not leaked)
    record("server_file_reads", closed, len(refused) + 3, "Add event: paths outside this server's uploads")
    assert all(refused.values()), results
    assert after == before, set(after) ^ set(before)
    assert cached in ([], ["linked.txt"]), cached  # Gradio copied nothing into its cache
    assert status == 200 and not leaked, answer


def test_an_upload_the_server_received_is_added_then_deleted_from_the_cache(server) -> None:
    text = "# 翠屏市档案馆建设\n\n翠屏市已建成档案馆63个,覆盖全部街道。\n\n(据翠屏市融媒体中心)\n"
    status, paths = gradio_upload(server, [("archive_halls.txt", text.encode())])
    assert status == 200, paths
    status, _, messages = gradio_event(server, "add_files", [[file_data(paths[0])], "", False])
    outputs = [o[0] for o in event_outputs(messages) if o and o[0]]
    assert status == 200 and any("Added: archive_halls.txt" in o for o in outputs), outputs
    assert not Path(paths[0]).exists()  # deleted from Gradio's cache once used
    # used once: the same path cannot be replayed
    status, body, _ = gradio_event(server, "add_files", [[file_data(paths[0])], "", False])
    assert status == 400, body
    _, answer = server.post_json("/api/ask", {"question": "翠屏市已建成多少个档案馆？"})
    assert "63" in answer["answer"], answer
    record("server_file_reads", 2, 2, "received upload added once, then deleted")


# ----------------------------------------------------------------------------- 2. cross-site writes
def test_cross_site_and_rebinding_writes_are_refused(server) -> None:
    data = "# 注入\n\n翠屏市已建成注入站999个。\n".encode()
    evil = {"Origin": "http://evil.example"}
    here = {"Origin": server.url}
    host = server.url.removeprefix("http://")
    before = _sources(server)
    cases = {
        "API upload, foreign Origin": (_upload_api(server, "inj1.txt", data, headers=evil), 403),
        "API upload, Origin null": (_upload_api(server, "inj2.txt", data, headers={"Origin": "null"}), 403),
        "API upload, foreign Referer": (
            _upload_api(server, "inj3.txt", data, headers={"Referer": "http://evil.example/page"}), 403),
        "API delete, foreign Origin": (server.request("DELETE", f"/api/files/{BUNDLED}", headers=evil), 403),
        "Gradio upload, foreign Origin": (gradio_upload(server, [("inj4.txt", data)], evil), 403),
        "Gradio event, foreign Origin": (gradio_event(server, "add_files", [[], "", False], evil)[:2], 403),
        "rebinding: Host evil.example": (
            _upload_api(server, "inj5.txt", data, headers={"Host": "evil.example", "Origin": "http://evil.example"}), 421),
        "rebinding: GET with Host evil.example": (server.request("GET", "/api/files", headers={"Host": "evil.example"}), 421),
        "same origin allowed": (_upload_api(server, "same_origin.txt", data, headers=here), 200),
        "localhost Host allowed": (
            server.request("GET", "/api/health", headers={"Host": host.replace("127.0.0.1", "localhost")}), 200),
    }
    got = {k: (r[0], w) for k, (r, w) in cases.items()}
    after = _sources(server)
    ok = sum(s == w for s, w in got.values()) + (after - before == {"same_origin.txt"})
    record("cross_site_writes", ok, len(cases) + 1, "Origin/Referer/Host checks")
    assert all(s == w for s, w in got.values()), got
    assert after - before == {"same_origin.txt"}, after - before
    assert all(_no_server_path(r[1].get("error", ""), server) for r, _ in cases.values() if isinstance(r[1], dict))
    server.request("DELETE", "/api/files/same_origin.txt", headers=here)


def test_allow_host_flag_admits_a_named_host(built_home, tmp_path) -> None:
    home = copy_home(built_home, tmp_path / "home")
    port = free_port()
    log = tmp_path / "server.log"
    process = subprocess.Popen(
        rag_command(home, "serve", "--port", str(port), "--allow-host", "rag.internal"),
        cwd=ROOT, env=clean_env(), stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    srv = UiServer(f"http://127.0.0.1:{port}", home, process, log)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if srv.request("GET", "/api/health", timeout=5)[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        named = srv.request("GET", "/api/health", headers={"Host": f"rag.internal:{port}"})[0]
        other = srv.request("GET", "/api/health", headers={"Host": f"other.internal:{port}"})
    finally:
        stop_server(srv)
    assert named == 200 and other[0] == 421 and "--allow-host other.internal" in other[1]["error"], (named, other)
    record("cross_site_writes", 2, 2, "--allow-host")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_a_page_on_another_origin_cannot_upload(server) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    before = _sources(server)
    attack = f"""<!doctype html><html><body><script>
      async function go() {{
        const out = [];
        for (const [url, field] of [["{server.url}/api/files", "file"], ["{server.url}/gradio_api/upload", "files"]]) {{
          const form = new FormData();
          form.append(field, new Blob(["# 注入\\n\\n翠屏市已建成注入站999个。\\n"]), "injected_" + field + ".txt");
          try {{ const r = await fetch(url, {{method: "POST", body: form, mode: "no-cors"}}); out.push(r.type); }}
          catch (e) {{ out.push("error"); }}
        }}
        document.title = "done:" + out.join(",");
      }}
      go();
    </script></body></html>"""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        page = browser.new_page()
        page.route("http://evil.test/**", lambda route: route.fulfill(status=200, content_type="text/html", body=attack))
        page.goto("http://evil.test/attack.html")
        page.wait_for_function("document.title.startsWith('done:')", timeout=30_000)
        browser.close()
    time.sleep(1.0)
    after = _sources(server)
    _, answer = server.post_json("/api/ask", {"question": "翠屏市已建成多少个注入站？"})
    record("cross_site_writes", int(after == before) + int("999" not in answer["answer"]), 2, "browser page on another origin")
    assert after == before, after - before
    assert "999" not in answer["answer"], answer


# ----------------------------------------------------------------------------- 3. disk filling
def _declared_gradio_upload(server: UiServer, size: int) -> int:
    """Status for a Gradio upload that declares ``size`` bytes: refused before any byte is read."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("POST", "/gradio_api/upload")
        conn.putheader("Content-Type", "multipart/form-data; boundary=x")
        conn.putheader("Content-Length", str(size))
        conn.endheaders()
        return conn.getresponse().status
    finally:
        conn.close()


def test_gradio_upload_cache_is_capped_and_removed(built_home, tmp_path) -> None:
    home = copy_home(built_home, tmp_path / "home")
    srv = start_server(home, tmp_path / "server.log")
    try:
        inbox = _inbox_folder(srv)
        def blob(i: int) -> bytes:  # distinct contents: Gradio files uploads by content hash
            return bytes([97 + i]) * (19 * 1024 * 1024)

        statuses = [gradio_upload(srv, [("f1.txt", blob(2 * i)), ("f2.txt", blob(2 * i + 1))])[0] for i in range(5)]
        over = (_declared_gradio_upload(srv, 19 * 1024 * 1024),)  # 190 MB held + 19 MB > the 200 MB cap
        too_big = (_declared_gradio_upload(srv, 57 * 1024 * 1024),)  # over 41 MB in one request
        held = sum(p.stat().st_size for p in inbox.rglob("*") if p.is_file())
    finally:
        stop_server(srv)
    gone = not inbox.exists()
    checks = [statuses == [200] * 5, over[0] == 413, too_big[0] == 413, held <= 200 * 1024 * 1024, gone]
    record("upload_cache", sum(checks), len(checks), "caps per request and in total; cache removed at exit")
    assert all(checks), (statuses, over, too_big[0], held, gone)


def test_read_only_server_takes_no_gradio_uploads(built_home, tmp_path) -> None:
    home = copy_home(built_home, tmp_path / "home")
    srv = start_server(home, tmp_path / "server.log", host="0.0.0.0")
    try:
        status, body = gradio_upload(srv, [("t.txt", b"# t\n\nx\n")])
        ip_host = srv.request("GET", "/api/health")[0]  # 127.0.0.1 on a 0.0.0.0 server: fine
    finally:
        stop_server(srv)
    record("upload_cache", int(status == 403) + int(ip_host == 200), 2, "read-only server")
    assert status == 403 and "read-only" in body["error"], (status, body)
    assert ip_host == 200


# ----------------------------------------------------------------------------- 4. silent replacement
def test_same_name_upload_never_replaces_another_source(server) -> None:
    before = index_contents(server.home)[BUNDLED]
    status, body = _upload_api(server, BUNDLED, "# 替换\n\n被替换的内容。\n".encode())
    bundled_refused = status == 409 and "never replaces" in body["error"] and "remove" in body["error"]
    status_r, body_r = _upload_api(server, BUNDLED, "# 替换\n\n被替换的内容。\n".encode(), "?replace=true")
    still = index_contents(server.home)[BUNDLED] == before
    first = _upload_api(server, "mine.txt", "# 我的\n\n翠屏市已建成图书角21个。\n".encode())
    again = _upload_api(server, "mine.txt", "# 我的\n\n翠屏市已建成图书角22个。\n".encode())
    replaced = _upload_api(server, "mine.txt", "# 我的\n\n翠屏市已建成图书角22个。\n".encode(), "?replace=true")
    status_u, _, messages = gradio_event(server, "add_files", [[], "", False])  # nothing chosen: a message, no crash
    _, files = server.request("GET", "/api/files")
    origins = {a["source"]: a["origin"] for a in files["articles"]}
    listed = json.loads(run_rag(server.home, "list", "--json").stdout)
    cli_origins = {r["source"]: r["origin"] for r in listed}
    checks = [
        bundled_refused,
        status_r == 409,
        still,
        first[0] == 200,
        again[0] == 409 and "replace=true" in again[1]["error"],
        replaced[0] == 200 and replaced[1]["updated"] == ["mine.txt"],
        origins.get(BUNDLED) == "bundled" and origins.get("mine.txt") == "upload",
        cli_origins.get(BUNDLED) == "bundled" and cli_origins.get("mine.txt") == "upload",
        status_u == 200,
    ]
    record("silent_replacement", sum(checks), len(checks), "same-name uploads refused unless replace=true (uploads only)")
    assert all(checks), (checks, body, body_r, again, replaced, origins)
    assert server.request("DELETE", "/api/files/mine.txt")[0] == 200
    assert BUNDLED in _sources(server)


# ----------------------------------------------------------------------------- 5. reads never wait
def _big_page(n_articles: int) -> tuple[str, str, str]:
    """About 0.4 MB of generated articles; (text, a question it answers, the answer)."""
    places = ("栖霞镇", "望江乡", "枫林村", "桃源镇", "鹤鸣乡", "柳塘村", "青石镇", "云溪乡")
    facilities = ("农家书屋", "日间照料中心", "儿童活动室", "老年食堂", "调解室")
    parts = []
    for i in range(n_articles):
        place = places[i % len(places)] + f"{i // len(places) + 1}号片区"
        parts.append(page_text(place, facilities[i % len(facilities)], "民政局", 200 + i, 5 + i % 20))
    target = 137
    question = f"{places[target % len(places)]}{target // len(places) + 1}号片区已建成多少个{facilities[target % len(facilities)]}？"
    return "\n".join(parts), question, str(200 + target)


def test_questions_answer_at_once_while_a_04mb_upload_is_indexed(server) -> None:
    text, new_question, new_answer = _big_page(700)
    data = text.encode("utf-8")
    assert 380_000 <= len(data) <= 450_000, len(data)
    questions = [IM_QUESTION, "How many social work stations are there in Inner Mongolia?", "内蒙古有多少个社工站？",
                 "Inner Mongolia social work stations: how many?"]
    status, job = _upload_api(server, "big_upload.txt", data, "?wait=false")
    assert status == 202, job
    latencies, answers, running_seen = [], [], 0
    i = 0
    while True:
        _, state = server.request("GET", f"/api/files/jobs/{job['id']}")
        if state["state"] in ("done", "failed"):
            break
        running_seen += state["state"] == "running"
        started = time.perf_counter()
        status, answer = server.post_json("/api/ask", {"question": questions[i % len(questions)] if i < 4 else
                                                       f"{questions[i % 2]}{'？' * (i // 2 % 3)}"})
        latencies.append(time.perf_counter() - started)
        answers.append(status == 200 and IM_ANSWER in answer["answer"])
        i += 1
        time.sleep(0.2)
    assert state["state"] == "done", state
    assert state["total"] > 100, state  # progress was reported (chunks embedded / total)
    started = time.perf_counter()
    status, answer = server.post_json("/api/ask", {"question": new_question})
    after_commit = time.perf_counter() - started
    p50 = statistics.median(latencies) if latencies else 0.0
    worst = max(latencies, default=0.0)
    record("ask_during_ingest", sum(t < 1.0 for t in latencies), len(latencies),
           f"0.4 MB upload ({state['total']} chunks): ask p50 {p50 * 1000:.0f} ms, max {worst * 1000:.0f} ms")
    print(f"\nasks during ingest: n={len(latencies)} p50={p50 * 1000:.0f} ms max={worst * 1000:.0f} ms; "
          f"chunks={state['total']}; new page answered in {after_commit * 1000:.0f} ms")
    assert running_seen and len(latencies) >= 5, (running_seen, latencies)
    assert all(answers), answers
    assert worst < 1.0, latencies
    assert status == 200 and new_answer in answer["answer"], answer
    server.request("DELETE", "/api/files/big_upload.txt")


def test_first_index_build_answers_503_with_retry_after_at_once(tmp_path) -> None:
    home = tmp_path / "home"  # empty: the server builds the bundled corpus first
    port = free_port()
    log = tmp_path / "server.log"
    process = subprocess.Popen(rag_command(home, "serve", "--port", str(port)), cwd=ROOT, env=clean_env(),
                               stdout=log.open("wb"), stderr=subprocess.STDOUT)
    srv = UiServer(f"http://127.0.0.1:{port}", home, process, log)
    try:
        deadline = time.monotonic() + 120
        health = None
        while time.monotonic() < deadline:
            try:
                health = srv.request("GET", "/api/health", timeout=5)[1]
                break
            except OSError:
                time.sleep(0.2)
        assert health and health["status"] in ("starting", "building"), health
        req = urllib.request.Request(srv.url + "/api/ask", data=json.dumps({"question": IM_QUESTION}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        started = time.perf_counter()
        try:
            urllib.request.urlopen(req, timeout=30)
            code, retry, message = 200, None, ""
        except urllib.error.HTTPError as err:
            code, retry, message = err.code, err.headers.get("Retry-After"), json.loads(err.read())["error"]
        took = time.perf_counter() - started
        files = srv.request("GET", "/api/files")[0]
    finally:
        stop_server(srv)
    checks = [code == 503, retry is not None and retry.isdigit(), "being built" in message, took < 1.0, files == 503]
    record("ask_during_ingest", sum(checks), len(checks), f"first build: 503 + Retry-After in {took * 1000:.0f} ms")
    assert all(checks), (code, retry, message, took, files)


def test_ui_questions_share_the_in_flight_limit_and_show_busy_retrying(built_home) -> None:
    from contextlib import ExitStack

    from rag.settings import load_settings
    from ui.app import respond
    from ui.service import MAX_INFLIGHT_ASKS, ChatService

    service = ChatService(load_settings({"home": built_home}, environ={}))
    service.start()
    service.wait_ready()
    stack = ExitStack()
    for _ in range(MAX_INFLIGHT_ASKS):
        stack.enter_context(service.ask_slot())
    timer = threading.Timer(1.5, stack.close)
    timer.start()
    states = []
    for chat, _history, _ in respond(service, IM_QUESTION, [], [], "extractive", 5):
        states.append(chat[-1]["content"])
    timer.join()
    busy = [s for s in states if "Busy, retrying" in s]
    assert busy, states
    assert IM_ANSWER in states[-1] and "rag-sources" in states[-1], states[-1][:300]
    record("http_limits", 1, 1, f"UI question waited in 'busy, retrying' ({len(busy)} states), then answered")


# ----------------------------------------------------------------------------- 6. hostile inputs
def _billion_laughs_docx() -> bytes:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10)
    )
    document = (
        f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
        z.writestr("word/document.xml", document)
    return buf.getvalue()


def test_hostile_inputs_answer_4xx_naming_no_server_path(server) -> None:
    deep = ('{"question": ' + "[" * 20_000 + "]" * 20_000 + "}").encode()
    cases = {
        "billion-laughs .docx (API)": _upload_api(server, "laughs.docx", _billion_laughs_docx()),
        "lone surrogate": server.request("POST", "/api/ask", b'{"question": "\\ud800"}', {"Content-Type": "application/json"}),
        "JSON nested 20,000 deep": server.request("POST", "/api/ask", deep, {"Content-Type": "application/json"}),
        "Gradio event nested 20,000 deep": server.request(
            "POST", "/gradio_api/queue/join", deep, {"Content-Type": "application/json"}),
        "Gradio event, lone surrogate": server.request(
            "POST", "/gradio_api/queue/join", b'{"data": ["\\udc00"], "fn_index": 0}', {"Content-Type": "application/json"}),
        "file with no text (loader message)": _upload_api(server, "empty_page.html", b"<html><body><p> </p></body></html>"),
    }
    status_docs = urllib.request.urlopen(server.url + "/api/openapi.json", timeout=30).status
    try:
        urllib.request.urlopen(server.url + "/api/docs", timeout=30)
        docs = 200
    except urllib.error.HTTPError as err:
        docs = err.code
    results = {k: (s, b.get("error", "")) for k, (s, b) in cases.items()}
    good = {k: 400 <= s < 500 and bool(m) and _no_server_path(m, server) for k, (s, m) in results.items()}
    record("hostile_requests", sum(good.values()) + (docs == 404), len(good) + 1,
           "4xx, no server path in messages; /api/docs off (no CDN)")
    assert all(good.values()), results
    assert docs == 404 and status_docs == 200
    assert "laughs.docx" not in _sources(server)


# ----------------------------------------------------------------------------- the real UI, in a browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_browser_upload_through_the_ui_indexes_only_that_file(server, tmp_path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from ui.guard import file_references

    upload = tmp_path / "browser_upload.txt"
    upload.write_text("# 翠屏市驿站建设\n\n翠屏市已建成户外劳动者驿站58个,全年服务4.2万人次。\n\n(据翠屏市融媒体中心)\n",
                      encoding="utf-8")
    before = index_contents(server.home)
    received: list[str] = []
    referenced: list[object] = []
    outside: list[str] = []

    def on_response(response) -> None:
        if response.url.split("?")[0].endswith("/gradio_api/upload") and response.status == 200:
            received.extend(response.json())

    def on_request(request) -> None:
        if request.method == "POST" and "/gradio_api/queue/join" in request.url and request.post_data:
            referenced.extend(file_references(json.loads(request.post_data)))

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        page = browser.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith((server.url, "data:", "blob:"))
                   else (outside.append(route.request.url), route.abort()))
        page.on("response", on_response)
        page.on("request", on_request)
        page.goto(server.url + "/")
        page.get_by_role("tab", name="Knowledge base · 知识库").click()
        page.locator("#rag-files input[type=file]").set_input_files(str(upload))
        wait_for_upload_listed(page, "browser_upload.txt")
        page.wait_for_timeout(500)
        page.locator("#rag-add").click()
        message = page.locator("#rag-kb-message")
        page.wait_for_function(
            "() => !!document.querySelector('#rag-kb-message .rag-notice-ok, #rag-kb-message .rag-notice-error')",
            timeout=120_000,
        )
        shown = message.inner_text()
        page.locator("#rag-articles").get_by_text("upload", exact=True).first.wait_for(timeout=30_000)
        browser.close()
    after = index_contents(server.home)
    new_sources = set(after) - set(before)
    unchanged = all(after.get(k) == v for k, v in before.items())
    inside = bool(referenced) and all(p in received for p in referenced)
    cache_empty = all(not Path(p).exists() for p in received)
    checks = ["Added: browser_upload.txt" in shown, new_sources == {"browser_upload.txt"}, unchanged, inside,
              cache_empty, "58" in "".join(after.get("browser_upload.txt", [])), not outside]
    record("server_file_reads", sum(checks), len(checks), "browser upload through the real UI: only that file indexed")
    assert all(checks), (checks, shown, new_sources, referenced, received, outside)
    server.request("DELETE", "/api/files/browser_upload.txt")


def test_loader_refuses_an_entity_expansion_docx_before_parsing(tmp_path) -> None:
    from rag.errors import InputError
    from rag.loading import load_document

    path = tmp_path / "laughs.docx"
    path.write_bytes(_billion_laughs_docx())
    with pytest.raises(InputError, match="DTD or entities"):
        load_document(path)
