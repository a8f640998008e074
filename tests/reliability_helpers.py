"""Shared by the reliability tests: generated news pages, the `rag` CLI in a subprocess, index contents."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import uuid
from dataclasses import dataclass
from pathlib import Path

from ui_server import UiServer, free_port

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "rag" / "data" / "corpus"
IM_QUESTION = "内蒙古已建成多少个社工站？"
IM_ANSWER = "850"

# Fictional places and facilities: nothing here overlaps the sample corpus.
PLACES = ("翠屏市", "白桦县", "云岭区", "金沙市", "玉泉县", "石门市", "清河县", "梅岭市", "松涛县", "碧湖区", "红枫市", "银杏县")
FACILITIES = ("社区图书馆", "养老服务站", "儿童之家", "便民服务中心", "志愿服务站", "心理咨询室")
ORGS = ("民政局", "文化和旅游局", "卫生健康委员会", "团委")


@dataclass(frozen=True)
class Fact:
    """One generated page and the question it answers."""

    source: str
    question: str
    answer: str


def page_text(place: str, facility: str, org: str, number: int, streets: int) -> str:
    """An OCR'd-news-like page with one article stating one count."""
    return (
        f"# {place}{org}:持续完善{facility}服务网络\n\n"
        f"近日,{place}{org}召开{facility}建设工作推进会。会议通报,截至目前,{place}已建成{facility}{number}个,"
        f"覆盖{streets}个街道和乡镇,全年累计服务居民{number * 37}人次。\n\n"
        f"{org}负责人表示,下一步将继续优化{facility}布局,推动服务向基层延伸,让群众在家门口享受便捷服务。"
        f"各街道要落实主体责任,加强队伍建设,确保{facility}有场地、有人员、有活动。\n\n"
        f"(据{place}融媒体中心)\n"
    )


def write_pages(folder: Path, n: int, *, offset: int = 0, prefix: str = "extra") -> list[Fact]:
    """Write ``n`` generated pages into ``folder``; each states a different count for its place."""
    folder.mkdir(parents=True, exist_ok=True)
    facts = []
    for i in range(offset, offset + n):
        place = PLACES[i % len(PLACES)]
        facility = FACILITIES[(i // len(PLACES) + i) % len(FACILITIES)]
        org = ORGS[i % len(ORGS)]
        number = 100 + 37 * i
        name = f"{prefix}_{i:03d}.txt"
        (folder / name).write_text(page_text(place, facility, org, number, 10 + i), encoding="utf-8")
        facts.append(Fact(name, f"{place}已建成多少个{facility}？", str(number)))
    return facts


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a child `rag` process: no RAG_* settings leak in, nothing goes online."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1", TQDM_DISABLE="1")
    env.update(extra)
    return env


def rag_command(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "rag", *args, "--home", str(home)]


def run_rag(home: Path, *args: str, timeout: float = 180.0, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run one `rag` command to the end; stdout/stderr as text."""
    return subprocess.run(
        rag_command(home, *args), cwd=ROOT, env=env or clean_env(), capture_output=True, text=True, timeout=timeout
    )


def copy_home(src: Path, dest: Path, *, index: bool = True) -> Path:
    """A private RAG_HOME: the embedding cache of ``src`` (warm) and, with ``index``, its index."""
    dest.mkdir(parents=True, exist_ok=True)
    if (src / "cache").is_dir():
        shutil.copytree(src / "cache", dest / "cache", dirs_exist_ok=True)
    if index and (src / "index").is_dir():
        shutil.copytree(src / "index", dest / "index", dirs_exist_ok=True)
    return dest


def index_contents(home: Path) -> dict[str, list[str]]:
    """Source -> chunk texts (index order) of the committed generation, read from disk."""
    from rag.store import IndexStore

    store = IndexStore.open(Path(home) / "index")
    try:
        out: dict[str, list[str]] = {}
        for chunk in store.chunks(range(len(store))):
            out.setdefault(chunk.source, []).append(chunk.text)
        return out
    finally:
        store.close()


def multipart(name: str, data: bytes) -> tuple[bytes, dict]:
    """A multipart/form-data body with one file in field "file", and its headers."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n"
    ).encode("utf-8")
    body = head + data + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def start_server(
    home: Path, log: Path, *, host: str = "127.0.0.1", env: dict | None = None, timeout: float = 300.0
) -> UiServer:
    """A real `rag serve` on ``home``; returns once /api/health says ok. Traffic goes to 127.0.0.1 only."""
    import json

    port = free_port()
    process = subprocess.Popen(
        rag_command(home, "serve", "--host", host, "--port", str(port)),
        cwd=ROOT,
        env=env or clean_env(),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = UiServer(f"http://127.0.0.1:{port}", home, process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"`rag serve` exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            status, body = server.request("GET", "/api/health", timeout=5)
            if status == 200 and body.get("status") == "ok":
                return server
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            pass
        time.sleep(0.25)
    stop_server(server)
    raise RuntimeError(f"`rag serve` was not ready after {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def stop_server(server: UiServer) -> None:
    process = server.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# ----------------------------------------------------------------------------- Gradio's own HTTP API
def gradio_config(server: UiServer) -> dict:
    import json

    with urllib.request.urlopen(server.url + "/config", timeout=30) as resp:
        return json.loads(resp.read().decode("utf-8"))


def gradio_fn(server: UiServer, api_name: str) -> tuple[int, int]:
    """(fn_index, trigger_id) of the event with ``api_name`` in the running UI."""
    for dep in gradio_config(server)["dependencies"]:
        if dep.get("api_name") == api_name:
            return dep["id"], dep["targets"][0][0]
    raise KeyError(api_name)


def gradio_upload(server: UiServer, files: list[tuple[str, bytes]], headers: dict | None = None) -> tuple[int, object]:
    """POST /gradio_api/upload as the browser does: (status, list of server paths or error)."""
    import json

    boundary = uuid.uuid4().hex
    body = b""
    for name, data in files:
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode("utf-8") + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    head = {"Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})}
    req = urllib.request.Request(server.url + "/gradio_api/upload", data=body, method="POST", headers=head)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as err:
        text = err.read().decode("utf-8", "replace")
        try:
            return err.code, json.loads(text)
        except ValueError:
            return err.code, {"error": text}


def file_data(path: str) -> dict:
    """A Gradio FileData value naming ``path`` (what the UI sends for an uploaded file)."""
    return {"path": path, "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}}


def gradio_event(
    server: UiServer, api_name: str, data: list, headers: dict | None = None, timeout: float = 120.0
) -> tuple[int, object, list[dict]]:
    """Run one UI event through Gradio's queue as the browser does.

    Returns (join status, join body, the event's SSE messages up to process_completed).
    """
    import json

    fn_index, trigger = gradio_fn(server, api_name)
    session = uuid.uuid4().hex[:12]
    payload = {"data": data, "fn_index": fn_index, "trigger_id": trigger, "session_hash": session, "event_data": None}
    status, body = server.request(
        "POST", "/gradio_api/queue/join", json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})}
    )
    if status != 200:
        return status, body, []
    messages: list[dict] = []
    req = urllib.request.Request(f"{server.url}/gradio_api/queue/data?session_hash={session}")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        for raw in resp:
            line = raw.decode("utf-8").strip()
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            messages.append(message)
            if message.get("msg") == "process_completed":
                break
    return status, body, messages


def event_outputs(messages: list[dict]) -> list[list]:
    """The output lists of every generating/completed message of one event."""
    return [m["output"].get("data", []) for m in messages if m.get("msg") in ("process_generating", "process_completed")
            and isinstance(m.get("output"), dict)]


# ----------------------------------------------------------------------------- the real UI, in a browser
def wait_for_upload_listed(page, name: str, timeout_ms: int = 30_000) -> None:
    """Wait until the upload box lists ``name`` (its row, not page text: Gradio shows stem and extension
    in two spans, which the page's innerText may break across lines)."""
    page.locator(f'#rag-files td.filename[aria-label="{name}"]').first.wait_for(timeout=timeout_ms)
