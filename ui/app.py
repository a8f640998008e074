"""The browser chat UI (Gradio) mounted on the JSON API app; ``serve`` runs both."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from rag.errors import InputError, RagError
from rag.models import Answer
from rag.settings import MODES, Settings

from . import render

if TYPE_CHECKING:
    import gradio as gr
    from fastapi import FastAPI

    from .access import Access
    from .service import ChatService

EXAMPLES = (
    "How many social work stations are there in Inner Mongolia?",
    "内蒙古已建成多少个社工站？",
    "How many social workers are there in France?",
    "中国有多少所高校开设了社会工作专业？",
)
MAX_K = 20
ARTICLE_HEADERS = ["Title · 标题", "File · 文件", "From · 来源", "Kind", "Chunks"]
FILE_TYPES = [".txt", ".md", ".html", ".pdf", ".docx"]
ORIGIN_NAMES = {"bundled": "sample corpus", "ingest": "rag ingest", "upload": "upload"}
UI_BUSY_RETRIES = 30  # "busy, retrying" this many times (about Retry-After seconds apart) before giving up
JOB_POLL_S = 0.3


def _quiet_gradio() -> None:
    """No analytics, version checks or telemetry: nothing may wait on an outside host."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def theme() -> "gr.themes.Base":
    """System fonts only (no web-font downloads)."""
    import gradio as gr

    return gr.themes.Soft(
        primary_hue="indigo",
        neutral_hue="slate",
        font=["system-ui", "-apple-system", "Segoe UI", "PingFang SC", "Noto Sans CJK SC", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
    )


# ------------------------------------------------------------------------- handlers
def _status_html(service: "ChatService") -> str:
    status = service.status
    if status.state == "ready":
        return f'<div class="rag-status rag-ok">{render._text(status.message)}</div>'
    if status.state == "failed":
        return f'<div class="rag-error">{render._text(status.message)}</div>'
    if status.total:
        pct = 100 * status.done / max(status.total, 1)
        return (
            f'<div class="rag-status rag-busy">First start: building the index from the sample corpus — '
            f"{render._text(status.message)} {status.done}/{status.total} ({pct:.0f}%)</div>"
        )
    return f'<div class="rag-status rag-busy">{render._text(status.message or "Preparing the index…")}</div>'


def _history_pairs(history: Any) -> list[tuple[str, str]]:
    return [(str(q), str(a)) for q, a in (history or [])]


def respond(
    service: "ChatService", question: str, chat: list, history: list, mode: str, k: float
) -> Iterator[tuple[list, list, str]]:
    """Append the question and stream the answer (with its sources) into the chat."""
    chat = list(chat or [])
    history = list(history or [])
    question = (question or "").strip()
    if not question:
        yield chat, history, ""
        return
    chat.append({"role": "user", "content": render.user_html(question)})
    chat.append({"role": "assistant", "content": render.streaming_html("…")})
    yield chat, history, ""
    from .service import ServerBusyError, public_message

    for attempt in range(UI_BUSY_RETRIES + 1):
        partial = ""
        try:
            with service.ask_slot():  # the same in-flight limit as POST /api/ask
                for item in service.ask_stream(question, mode=mode, k=int(k), history=_history_pairs(history)):
                    if isinstance(item, Answer):
                        chat[-1] = {"role": "assistant", "content": render.answer_html(item, uuid.uuid4().hex[:10])}
                        history.append((question, item.answer))
                    else:
                        partial += item
                        chat[-1] = {"role": "assistant", "content": render.streaming_html(partial)}
                    yield chat, history, ""
            return
        except ServerBusyError as err:
            if attempt == UI_BUSY_RETRIES:
                chat[-1] = {"role": "assistant", "content": render.error_html(public_message(str(err)))}
                yield chat, history, ""
                return
            chat[-1] = {"role": "assistant", "content": busy_html(str(err), attempt + 1)}
            yield chat, history, ""
            time.sleep(err.retry_after)
        except RagError as err:
            chat[-1] = {"role": "assistant", "content": render.error_html(public_message(str(err)))}
            yield chat, history, ""
            return


def busy_html(message: str, attempt: int) -> str:
    """The visible "busy, retrying" state of a question that waits for a free slot."""
    return (
        f'<div class="rag-answer"><div class="rag-busy-retry" role="status">Busy, retrying… '
        f"(try {attempt} of {UI_BUSY_RETRIES}) — {render._text(message)}</div></div>"
    )


def article_rows(service: "ChatService") -> list[list[Any]]:
    if service.status.state != "ready":
        return []
    try:
        articles = service.articles()
    except RagError:
        return []
    return [
        [a.get("title") or "—", a.get("source"), ORIGIN_NAMES.get(a.get("origin"), a.get("origin")), a.get("kind"),
         a.get("n_chunks")]
        for a in articles
    ]


def _kb_summary(service: "ChatService") -> str:
    if service.status.state != "ready":
        return "The index is not ready yet."
    try:
        articles = service.articles()
    except RagError as err:
        return str(err)
    files = {a["source"] for a in articles}
    chunks = sum(int(a.get("n_chunks") or 0) for a in articles)
    return f"Indexed — files: **{len(files)}** · articles: **{len(articles)}** · passages: **{chunks}**"


def upload_files(
    service: "ChatService", paths: list | None, token: str | None = None, replace: bool = False
) -> Iterator[str]:
    """Add files the browser uploaded: Markdown messages, from "queued" to the final report.

    Every path must be a file this server received in Gradio's upload cache (never any other
    server file); all are checked before anything is added, and all are deleted from the cache
    afterwards, whatever the outcome. Indexing runs in the background worker, so questions are
    answered meanwhile; this only reports its progress.
    """
    from .service import public_message
    from .uploads import check_namespace, read_limited, validate

    paths = [p for p in (paths or []) if p]
    try:
        try:
            service.access.check(token)
        except RagError as err:
            yield f"❌ Nothing was added. {err}"
            return
        if not paths:
            yield "Choose one or more files first (.txt, .md, .html, .pdf, .docx)."
            return
        try:
            if service.inbox is None:
                raise InputError("Uploads are turned off on this server.")
            received = [service.inbox.check(str(p)) for p in paths]  # inside the upload cache, received here
            uploads = [validate(path.name, read_limited(path)) for path in received]
            service.check_ready()
            check_namespace(service.pipeline, uploads, replace=replace)
            job = service.submit(uploads, replace=replace)
        except RagError as err:
            yield f"❌ Nothing was added. {public_message(str(err))}"
            return
    finally:
        if service.inbox is not None:
            service.inbox.discard(str(p) for p in paths)
    last = None
    while True:
        current = service.job(job.id)
        if current is None:
            return
        text = current.progress_text()
        if text != last:
            last = text
            yield text
        if current.finished:
            return
        time.sleep(JOB_POLL_S)


def remove_file(service: "ChatService", name: str | None, token: str | None = None) -> str:
    try:
        service.access.check(token)
    except RagError as err:
        return f"❌ {err}"
    if not name:
        return "Choose a file to remove."
    try:
        removed = service.remove([name])
    except RagError as err:
        from .service import public_message

        return f"❌ {public_message(str(err))}"
    return f"🗑️ Removed {', '.join(removed)} from the index."


# ------------------------------------------------------------------------- layout
def build_blocks(service: "ChatService") -> "gr.Blocks":
    """The Gradio UI: Chat tab (with examples and settings) and Knowledge base tab."""
    import gradio as gr

    settings = service.settings
    llm_note = (
        f"LLM: `{settings.llm_model}` at `{settings.llm_base_url}`"
        if service.llm_configured()
        else "LLM: not configured (set `RAG_LLM_BASE_URL` and `RAG_LLM_MODEL`); *llm* mode then falls back to extractive answers."
    )

    with gr.Blocks(title="News archive Q&A · 新闻档案问答") as demo:
        history = gr.State([])
        gr.HTML(
            '<div class="rag-header"><h1>News archive Q&amp;A <span>新闻档案问答</span></h1>'
            "<p>Ask in English or Chinese. Every answer cites the newspaper passages it comes from — "
            "or says honestly that the articles don't say.</p></div>"
        )
        status = gr.HTML(_status_html(service), elem_id="rag-status")
        timer = gr.Timer(1.0)

        with gr.Tabs():
            with gr.Tab("Chat · 问答", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=4):
                        chatbot = gr.Chatbot(
                            elem_id="rag-chat",
                            show_label=False,
                            height=560,
                            sanitize_html=True,
                            render_markdown=True,
                            line_breaks=False,
                            feedback_options=None,
                            buttons=["copy"],
                            placeholder="Ask a question about the archived news pages — 用中文或英文提问。",
                        )
                        with gr.Row():
                            question = gr.Textbox(
                                elem_id="rag-question",
                                show_label=False,
                                placeholder="Ask a question… 请输入问题…",
                                scale=6,
                                max_lines=4,
                                autofocus=True,
                                max_length=settings.max_question_chars,
                            )
                            send = gr.Button("Ask · 提问", variant="primary", scale=1, elem_id="rag-send")
                        with gr.Row(elem_id="rag-examples"):
                            gr.HTML('<span class="rag-examples-label">Try · 试试：</span>', padding=False)
                            example_buttons = [
                                gr.Button(q, size="sm", variant="secondary", elem_classes="rag-example")
                                for q in EXAMPLES
                            ]
                    with gr.Column(scale=1, min_width=240):
                        with gr.Accordion("Settings · 设置", open=True):
                            mode = gr.Radio(
                                list(MODES), value=settings.mode, label="Answer mode",
                                info="extractive: quotes the passages (no LLM). llm: writes an answer with an LLM.",
                            )
                            k = gr.Slider(
                                1, MAX_K, value=min(settings.k, MAX_K), step=1, label="Passages (k)",
                                info="How many passages are retrieved for each question.",
                            )
                            backend = gr.Markdown(f"Embeddings: `{service.describe_backend()}`  \n{llm_note}")

            with gr.Tab("Knowledge base · 知识库", id="kb"):
                kb_summary = gr.Markdown("")
                articles = gr.Dataframe(
                    headers=ARTICLE_HEADERS, value=[], interactive=False, wrap=True, elem_id="rag-articles",
                )
                access = service.access
                gr.Markdown(access.describe(), visible=access.read_only or access.needs_token)
                admin_token = gr.Textbox(
                    label="Admin token (needed to add or remove files)", type="password",
                    visible=access.needs_token, elem_id="rag-admin-token",
                )
                with gr.Row(equal_height=False, visible=not access.read_only):
                    with gr.Column():
                        files = gr.File(
                            label="Add documents (.txt .md .html .pdf .docx)",
                            file_count="multiple",
                            file_types=FILE_TYPES,
                            type="filepath",
                            elem_id="rag-files",
                        )
                        replace = gr.Checkbox(
                            label="Replace uploads of the same name", value=False, elem_id="rag-replace",
                            info="Only earlier uploads are replaced; files of the sample corpus or `rag ingest` never are.",
                        )
                        add = gr.Button("Add to index · 添加", variant="primary", elem_id="rag-add")
                    with gr.Column():
                        to_remove = gr.Dropdown(choices=[], label="Remove a file from the index", interactive=True)
                        remove = gr.Button("Remove · 删除", variant="stop")
                kb_message = gr.Markdown("", elem_id="rag-kb-message")

        # ---- events
        def ask_fn(q, chat, hist, m, kk):
            yield from respond(service, q, chat, hist, m, kk)

        ask_io = dict(inputs=[question, chatbot, history, mode, k], outputs=[chatbot, history, question])
        question.submit(ask_fn, **ask_io)
        send.click(ask_fn, **ask_io)
        for button in example_buttons:
            button.click(lambda text: text, inputs=[button], outputs=[question]).then(ask_fn, **ask_io)
        chatbot.clear(lambda: [], outputs=[history])

        def refresh_kb():
            rows = article_rows(service)
            names = sorted({row[1] for row in rows})
            return _kb_summary(service), rows, gr.Dropdown(choices=names, value=None)

        kb_outputs = [kb_summary, articles, to_remove]

        def tick():
            ready = service.status.state in ("ready", "failed")
            text = f"Embeddings: `{service.describe_backend()}`  \n{llm_note}"
            return _status_html(service), gr.Timer(active=not ready), text

        timer.tick(tick, outputs=[status, timer, backend]).then(refresh_kb, outputs=kb_outputs)

        def add_fn(paths, token, replace_same):
            for message in upload_files(service, paths, token=token, replace=bool(replace_same)):
                yield message, None

        add.click(
            add_fn, inputs=[files, admin_token, replace], outputs=[kb_message, files], api_name="add_files",
            show_progress="minimal",
        ).then(refresh_kb, outputs=kb_outputs)
        remove.click(
            lambda name, token: remove_file(service, name, token=token),
            inputs=[to_remove, admin_token],
            outputs=[kb_message],
        ).then(refresh_kb, outputs=kb_outputs)
        demo.load(refresh_kb, outputs=kb_outputs)
    return demo


CSS = render.CSS + """
.gradio-container { max-width: 1280px !important; margin: 0 auto; }
.rag-header h1 { margin: .2em 0 0; font-size: 1.6em; }
.rag-header h1 span { font-weight: 400; opacity: .6; margin-left: .3em; }
.rag-header p { margin: .2em 0 .4em; opacity: .75; }
#rag-chat .message-content, #rag-chat .prose { font-size: 15px; }
.rag-question { white-space: pre-wrap; }
#rag-examples { gap: 6px; align-items: center; flex-wrap: wrap; }
#rag-examples > * { flex: 0 0 auto !important; min-width: 0 !important; width: auto !important; }
.rag-examples-label { font-size: .85em; opacity: .7; }
button.rag-example { font-weight: 400 !important; border-radius: 999px !important; }
.rag-busy-retry { padding: .6em .9em; border-radius: 10px; background: #fef3c7; border: 1px solid #fcd34d; }
.rag-status { display: inline-flex; align-items: center; gap: .5em; }
.rag-status::before { content: ""; width: .6em; height: .6em; border-radius: 50%; background: #9ca3af; }
.rag-status.rag-ok::before { background: #16a34a; }
.rag-status.rag-busy::before { background: #f59e0b; animation: rag-pulse 1s infinite alternate; }
@keyframes rag-pulse { from { opacity: .3; } to { opacity: 1; } }
"""


def create_app(
    settings: Settings,
    service: "ChatService | None" = None,
    access: "Access | None" = None,
    *,
    host: str = "127.0.0.1",
    allow_hosts: tuple[str, ...] = (),
) -> "FastAPI":
    """The FastAPI app with the JSON API under /api and the Gradio UI at /.

    Gradio's upload cache is a private folder of this server (deleted when it stops); the
    ``RequestGuard`` in front of everything checks Host, Origin and every file reference.
    """
    _quiet_gradio()
    from .guard import HostPolicy, RequestGuard, UploadInbox

    inbox = UploadInbox.create()
    os.environ["GRADIO_TEMP_DIR"] = str(inbox.folder)  # read by Gradio when the Blocks and routes are made
    import gradio as gr

    from .api import create_api
    from .service import ChatService
    from .uploads import MAX_BYTES

    service = service or ChatService(settings, access=access)
    service.inbox = inbox
    app = create_api(service)
    blocks = build_blocks(service)
    blocks.queue(default_concurrency_limit=8)
    app = gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        footer_links=[],
        max_file_size=MAX_BYTES,
        ssr_mode=False,
        mcp_server=False,
        run_history=False,
        theme=theme(),
        css=CSS,
        js=render.JS,
    )
    inbox.received = blocks.upload_file_set  # Gradio's own record of what /gradio_api/upload wrote
    app.router.lifespan_context = _removing_on_shutdown(app.router.lifespan_context, inbox)
    app.add_middleware(RequestGuard, hosts=HostPolicy(host, tuple(allow_hosts)), access=service.access, inbox=inbox)
    app.state.rag_service = service
    service.start()
    return app


def _removing_on_shutdown(lifespan, inbox):
    """``lifespan`` that also deletes the upload cache when the server stops (uvicorn re-raises
    SIGTERM after its shutdown, so code after ``server.run()`` may never run)."""
    import contextlib

    @contextlib.asynccontextmanager
    async def wrapped(app):
        try:
            async with lifespan(app) as state:
                yield state
        finally:
            inbox.close()

    return wrapped


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 7860,
    token: str | None = None,
    allow_hosts: tuple[str, ...] = (),
) -> int:
    """Run the UI and API until interrupted; returns the process exit code.

    ``token`` (default: env RAG_ADMIN_TOKEN) guards uploads and deletions; without one a server
    listening beyond loopback is read-only. Requests must name this server in their Host header:
    127.0.0.1, localhost, ``host`` or one of ``allow_hosts``.
    """
    import sys

    import uvicorn

    from .access import TOKEN_ENV, Access

    try:
        access = Access.for_host(host, token or os.environ.get(TOKEN_ENV))
        app = create_app(settings, access=access, host=host, allow_hosts=tuple(allow_hosts))
    except RagError as err:
        print(f"error: {err}", file=sys.stderr)
        return getattr(err, "exit_code", 1)
    from .addresses import start_line

    print(start_line(host, port), file=sys.stderr)
    print(access.describe(), file=sys.stderr, flush=True)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3)
    server = uvicorn.Server(config)
    try:
        server.run()
    except OSError as err:
        print(f"error: cannot listen on {host}:{port} ({err}); choose another --port.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        app.state.rag_service.inbox.close()
    return 0
