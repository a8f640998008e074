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
def _index_counts(service: "ChatService") -> tuple[int, int, int] | None:
    """(files, articles, passages) in the index now; None when it cannot be read."""
    try:
        articles = service.articles()
    except RagError:
        return None
    files = {a["source"] for a in articles}
    return len(files), len(articles), sum(int(a.get("n_chunks") or 0) for a in articles)


def _badge(kind: str, label: str, detail: str) -> str:
    return (
        f'<div class="rag-status rag-status-{kind}" role="status"><span class="rag-status-label">{label}</span>'
        f'<span class="rag-status-detail">{detail}</span></div>'
    )


def _status_html(service: "ChatService") -> str:
    """The header's index status: a coloured text label (no emoji) and the current counts."""
    status = service.status
    if status.state == "ready":
        counts = _index_counts(service)
        if counts is None:
            return _badge("ok", "Ready · 就绪", "")
        files, articles, passages = counts
        return _badge(
            "ok", "Ready · 就绪",
            f"{files} file{'s' * (files != 1)} · {articles} article{'s' * (articles != 1)} · "
            f"{passages} passage{'s' * (passages != 1)} indexed",
        )
    if status.state == "failed":
        from .service import public_message

        return _badge("error", "Error · 出错", render._text(public_message(status.message)))
    if status.total:
        pct = 100 * status.done / max(status.total, 1)
        return _badge(
            "busy", "Building the index · 正在建立索引",
            f"first start, sample corpus: {render._text(status.message)} {status.done}/{status.total} ({pct:.0f}%)",
        )
    return _badge("busy", "Starting · 启动中", render._text(status.message or "Preparing the index…"))


# ------------------------------------------------------------------------- conversations (browser storage)
MAX_CHATS = 30  # conversations kept in the browser, newest first
MAX_CHAT_MESSAGES = 80  # messages kept per conversation
TITLE_CHARS = 42
STORE_KEY = "rag-conversations-v1"


def _message_text(message: Any) -> str:
    """A chat message's content as one string (Gradio hands back a list of content parts)."""
    content = message.get("content") if isinstance(message, dict) else message
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def _plain(html_text: str) -> str:
    import html as html_lib
    import re

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html_text)).split())


def _chat_title(chat: list, history: list) -> str:
    first = str(history[0][0]) if history else next(
        (_plain(_message_text(m)) for m in chat if isinstance(m, dict) and m.get("role") == "user"), ""
    )
    first = " ".join(first.split()) or "Chat"
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1] + "…"


def _chats(store: Any) -> list[dict]:
    chats = store.get("chats") if isinstance(store, dict) else None
    return [c for c in (chats or []) if isinstance(c, dict) and isinstance(c.get("id"), str)]


def chat_choices(store: Any) -> list[tuple[str, str]]:
    """(title, id) of the saved conversations, newest first."""
    return [(str(c.get("title") or "Chat"), c["id"]) for c in _chats(store)]


def save_chat(store: Any, current: str | None, chat: list, history: list) -> tuple[dict, str | None]:
    """The browser store with this conversation saved (as the newest); its id."""
    chats = _chats(store)
    messages = [
        {"role": m.get("role"), "content": _message_text(m)}
        for m in (chat or []) if isinstance(m, dict) and m.get("role") in ("user", "assistant")
    ][-MAX_CHAT_MESSAGES:]
    if not messages:
        return {"current": current, "chats": chats}, current
    current = current or uuid.uuid4().hex[:12]
    entry = {
        "id": current,
        "title": _chat_title(messages, list(history or [])),
        "updated": time.time(),
        "messages": messages,
        "history": [[str(q), str(a)] for q, a in (history or [])][-MAX_CHAT_MESSAGES:],
    }
    chats = [entry] + [c for c in chats if c["id"] != current]
    return {"current": current, "chats": chats[:MAX_CHATS]}, current


def open_chat(store: Any, chat_id: str | None) -> tuple[list, list, str | None]:
    """(chat messages, history, id) of a saved conversation; an empty new one if it is gone."""
    for entry in _chats(store):
        if entry["id"] == chat_id:
            messages = [
                {"role": m.get("role"), "content": str(m.get("content") or "")}
                for m in entry.get("messages") or [] if isinstance(m, dict) and m.get("role") in ("user", "assistant")
            ]
            pairs = [list(map(str, t)) for t in entry.get("history") or [] if isinstance(t, list) and len(t) == 2]
            return messages, pairs, chat_id
    return [], [], None


def delete_chat(store: Any, chat_id: str | None) -> dict:
    return {"current": None, "chats": [c for c in _chats(store) if c["id"] != chat_id]}


def _browser_key(home: Path) -> str | None:
    """The key the browser store is encrypted with, kept in RAG_HOME so saved chats outlive a
    restart of this server (None: a new key each start, when RAG_HOME cannot be written)."""
    import secrets

    path = Path(home) / "ui-browser-key"
    try:
        if path.exists():
            key = path.read_text(encoding="utf-8").strip()
            if key:
                return key
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(24)
        path.write_text(key, encoding="utf-8")
        path.chmod(0o600)
        return key
    except OSError:
        return None


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
    from .service import ServerBusyError, clarification, public_message

    asked_back = clarification(question, _history_pairs(history), mode)
    if asked_back is not None:  # a bare follow-up ("那河北呢？") as the first question
        chat[-1] = {"role": "assistant", "content": render.clarification_html(asked_back)}
        yield chat, history, ""
        return
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
        refused = token_problem(service, token)
        if refused:
            yield f"❌ Nothing was added. {refused}"
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


def token_problem(service: "ChatService", token: str | None) -> str | None:
    """Why a knowledge-base change with ``token`` (typed in the page) is refused; None if allowed."""
    from .access import TOKEN_ENV

    token = (token or "").strip() or None
    if service.access.needs_token and token is None:
        return (
            "Enter the admin token in the box above first: it is the token this server was started with "
            f"(rag serve --token …, or the {TOKEN_ENV} environment variable)."
        )
    try:
        service.access.check(token)
    except RagError as err:
        return str(err)
    return None


def token_note_html(service: "ChatService") -> str:
    """What the Knowledge base tab says about who may change it, in words for a browser user."""
    from .access import TOKEN_ENV

    access = service.access
    if access.read_only:
        return render.notice_html(
            f"⚠️ This server is read-only: it listens on {access.host} without an admin token, so files cannot be "
            f"added or removed here. Whoever runs it can restart it with rag serve --token … (or with {TOKEN_ENV} "
            "set) to allow it."
        )
    if access.needs_token:
        return (
            '<div class="rag-notice rag-notice-info rag-token-note">Adding or removing files needs the '
            "<b>admin token</b>: the token this server was started with — the value given to "
            f"<code>rag serve --token</code>, or the <code>{TOKEN_ENV}</code> environment variable (the server "
            "says at start that uploads and deletions need it). Ask whoever runs the server for it and enter it "
            "below; it is sent only to this server and not saved.</div>"
        )
    return ""


def removable_choices(service: "ChatService") -> list[tuple[str, str]]:
    """(label, file name) of the files the UI may remove: uploads and `rag ingest` files, never
    the bundled sample pages."""
    if service.status.state != "ready":
        return []
    try:
        articles = service.articles()
    except RagError:
        return []
    origins = {a.get("source"): a.get("origin") for a in articles}
    return [
        (f"{name} ({ORIGIN_NAMES.get(origin, origin)})", name)
        for name, origin in sorted(origins.items()) if origin != "bundled"
    ]


def removal_problem(service: "ChatService", name: str | None) -> str | None:
    """Why ``name`` may not be removed from the browser; None if it may (after confirmation)."""
    if not name:
        return "Choose a file to remove."
    try:
        origin = service.pipeline.store().origin(Path(str(name)).name)
    except RagError as err:
        from .service import public_message

        return public_message(str(err))
    if origin is None:
        return f"{name} is not in the index."
    if origin == "bundled":
        return (
            f"{name} is a page of the bundled sample corpus; it cannot be removed from the browser "
            "(on the server: rag remove NAME)."
        )
    return None


def remove_file(service: "ChatService", name: str | None, token: str | None = None) -> str:
    refused = token_problem(service, token)
    if refused:
        return f"❌ Nothing was removed. {refused}"
    problem = removal_problem(service, name)
    if problem:
        return f"❌ {problem}"
    try:
        removed = service.remove([name])
    except RagError as err:
        from .service import public_message

        return f"❌ {public_message(str(err))}"
    if not removed:
        return f"❌ {name} is not in the index."
    return f"🗑️ Removed {', '.join(removed)} from the index."


# ------------------------------------------------------------------------- layout
def build_blocks(service: "ChatService") -> "gr.Blocks":
    """The Gradio UI: Chat tab (saved conversations, examples, settings) and Knowledge base tab."""
    import gradio as gr

    settings = service.settings
    llm_note = (
        f"LLM: `{settings.llm_model}` at `{settings.llm_base_url}`"
        if service.llm_configured()
        else "LLM: not configured (set `RAG_LLM_BASE_URL` and `RAG_LLM_MODEL`); *llm* mode then falls back to extractive answers."
    )

    def details_text() -> str:
        return f"Embeddings: `{service.describe_backend()}`  \n{llm_note}"

    with gr.Blocks(title="News archive Q&A · 新闻档案问答") as demo:
        history = gr.State([])
        current = gr.State(None)  # id of the conversation shown (None: not saved yet)
        store = gr.BrowserState({"current": None, "chats": []}, storage_key=STORE_KEY,
                                secret=_browser_key(settings.home))
        pending_removal = gr.State(None)
        gr.HTML(
            '<div class="rag-header"><h1>News archive Q&amp;A <span>新闻档案问答</span></h1>'
            "<p>Ask in English or Chinese. Every answer cites the newspaper passages it comes from — "
            "or says honestly that the articles don't say.</p></div>"
        )
        status = gr.HTML(_status_html(service), elem_id="rag-status")
        timer = gr.Timer(1.0)

        with gr.Tabs(overflow_behavior="wrap", elem_id="rag-tabs"):
            with gr.Tab("Chat · 问答", id="chat"):
                with gr.Row(equal_height=False, elem_id="rag-chat-row"):
                    with gr.Column(scale=4, min_width=300):
                        chatbot = gr.Chatbot(
                            elem_id="rag-chat",
                            show_label=False,
                            height=520,
                            sanitize_html=True,
                            render_markdown=True,
                            line_breaks=False,
                            feedback_options=None,
                            buttons=["copy"],
                            placeholder="Ask a question about the archived news pages — 用中文或英文提问。",
                        )
                        with gr.Row(elem_id="rag-ask-row"):
                            question = gr.Textbox(
                                elem_id="rag-question",
                                show_label=False,
                                placeholder="Ask a question… 请输入问题…",
                                scale=6,
                                max_lines=4,
                                autofocus=True,
                                max_length=settings.max_question_chars,
                            )
                            send = gr.Button("Ask · 提问", variant="primary", scale=1, min_width=90, elem_id="rag-send")
                        with gr.Row(elem_id="rag-examples"):
                            gr.HTML('<span class="rag-examples-label">Try · 试试：</span>', padding=False)
                            example_buttons = [
                                gr.Button(q, size="sm", variant="secondary", elem_classes="rag-example")
                                for q in EXAMPLES
                            ]
                    with gr.Column(scale=1, min_width=240, elem_id="rag-side"):
                        new_chat = gr.Button("+ New chat · 新对话", variant="secondary", size="sm",
                                             elem_id="rag-new-chat")
                        chats = gr.Radio(
                            choices=[], value=None, label="Chats · 对话", elem_id="rag-chats",
                            info="Saved in this browser only.",
                        )
                        with gr.Accordion("Settings · 设置", open=False, elem_id="rag-settings"):
                            mode = gr.Radio(
                                list(MODES), value=settings.mode, label="Answer mode",
                                info="extractive: quotes the passages (no LLM). llm: writes an answer with an LLM.",
                            )
                            k = gr.Slider(
                                1, MAX_K, value=min(settings.k, MAX_K), step=1, label="Passages (k)",
                                info="How many passages are retrieved for each question.",
                            )
                            with gr.Accordion("Details · 详情", open=False, elem_id="rag-details"):
                                backend = gr.Markdown(details_text())

            with gr.Tab("Knowledge base · 知识库", id="kb"):
                kb_summary = gr.Markdown("")
                articles = gr.Dataframe(
                    headers=ARTICLE_HEADERS, value=[], interactive=False, wrap=True, elem_id="rag-articles",
                )
                access = service.access
                gr.HTML(token_note_html(service), visible=access.read_only or access.needs_token,
                        elem_id="rag-token-note")
                admin_token = gr.Textbox(
                    label="Admin token (needed to add or remove files)", type="password",
                    visible=access.needs_token, elem_id="rag-admin-token",
                    placeholder="the token given to rag serve --token / RAG_ADMIN_TOKEN",
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
                        to_remove = gr.Dropdown(
                            choices=[], label="Remove a file from the index", interactive=True, elem_id="rag-remove-file",
                            info="Uploaded and `rag ingest` files; the bundled sample pages cannot be removed here.",
                        )
                        remove = gr.Button("Remove… · 删除…", variant="stop", elem_id="rag-remove")
                        with gr.Group(visible=False, elem_id="rag-confirm") as confirm_box:
                            confirm_text = gr.HTML("")
                            with gr.Row():
                                confirm = gr.Button("Yes, remove it · 确认删除", variant="stop", size="sm",
                                                    elem_id="rag-confirm-remove")
                                cancel = gr.Button("Cancel · 取消", variant="secondary", size="sm",
                                                   elem_id="rag-cancel-remove")
                kb_message = gr.HTML("", elem_id="rag-kb-message")

        # ---- events: asking, and saving the conversation in the browser
        def ask_fn(q, chat, hist, m, kk):
            yield from respond(service, q, chat, hist, m, kk)

        def save_fn(saved, chat_id, chat, hist):
            saved, chat_id = save_chat(saved, chat_id, chat, hist)
            return saved, chat_id, gr.Radio(choices=chat_choices(saved), value=chat_id)

        ask_io = dict(inputs=[question, chatbot, history, mode, k], outputs=[chatbot, history, question])
        save_io = dict(inputs=[store, current, chatbot, history], outputs=[store, current, chats])
        question.submit(ask_fn, **ask_io).then(save_fn, **save_io)
        send.click(ask_fn, **ask_io).then(save_fn, **save_io)
        for button in example_buttons:
            button.click(lambda text: text, inputs=[button], outputs=[question]).then(ask_fn, **ask_io).then(
                save_fn, **save_io
            )

        def restore_fn(saved):
            chat, hist, chat_id = open_chat(saved, saved.get("current") if isinstance(saved, dict) else None)
            return chat, hist, chat_id, gr.Radio(choices=chat_choices(saved), value=chat_id)

        def open_fn(saved, chat_id):
            chat, hist, chat_id = open_chat(saved, chat_id)
            return chat, hist, chat_id, {"current": chat_id, "chats": _chats(saved)}

        def new_fn(saved):
            fresh = {"current": None, "chats": _chats(saved)}
            return [], [], None, fresh, gr.Radio(choices=chat_choices(fresh), value=None), ""

        def clear_fn(saved, chat_id):
            left = delete_chat(saved, chat_id)
            return [], None, left, gr.Radio(choices=chat_choices(left), value=None)

        chats.input(open_fn, inputs=[store, chats], outputs=[chatbot, history, current, store])
        new_chat.click(new_fn, inputs=[store], outputs=[chatbot, history, current, store, chats, question])
        chatbot.clear(clear_fn, inputs=[store, current], outputs=[history, current, store, chats])
        demo.load(restore_fn, inputs=[store], outputs=[chatbot, history, current, chats])

        # ---- events: status and knowledge base
        def refresh_kb():
            rows = article_rows(service)
            return (_kb_summary(service), rows, gr.Dropdown(choices=removable_choices(service), value=None),
                    _status_html(service))

        kb_outputs = [kb_summary, articles, to_remove, status]

        def tick():
            ready = service.status.state in ("ready", "failed")
            return _status_html(service), gr.Timer(active=not ready), details_text()

        timer.tick(tick, outputs=[status, timer, backend]).then(refresh_kb, outputs=kb_outputs)

        def add_fn(paths, token, replace_same):
            for message in upload_files(service, paths, token=token, replace=bool(replace_same)):
                yield render.notice_html(message), None

        add.click(
            add_fn, inputs=[files, admin_token, replace], outputs=[kb_message, files], api_name="add_files",
            show_progress="minimal",
        ).then(refresh_kb, outputs=kb_outputs)

        def ask_removal(name, token):
            refused = token_problem(service, token)
            problem = f"Nothing was removed. {refused}" if refused else removal_problem(service, name)
            if problem:
                return render.notice_html(f"❌ {problem}"), gr.Group(visible=False), None, ""
            passages = sum(int(a.get("n_chunks") or 0) for a in service.articles() if a.get("source") == name)
            prompt = (
                f'<div class="rag-confirm-text">Remove <b>{render._text(name)}</b> ({passages} passages) from '
                "the index? Questions will no longer find it. 确认从索引中删除？</div>"
            )
            return "", gr.Group(visible=True), name, prompt

        def confirm_fn(name, token):
            return render.notice_html(remove_file(service, name, token=token)), gr.Group(visible=False), None

        remove.click(ask_removal, inputs=[to_remove, admin_token],
                     outputs=[kb_message, confirm_box, pending_removal, confirm_text])
        confirm.click(confirm_fn, inputs=[pending_removal, admin_token],
                      outputs=[kb_message, confirm_box, pending_removal]).then(refresh_kb, outputs=kb_outputs)
        cancel.click(lambda: (render.notice_html("Nothing was removed."), gr.Group(visible=False), None),
                     outputs=[kb_message, confirm_box, pending_removal])
        demo.load(refresh_kb, outputs=kb_outputs)
    return demo


CSS = render.CSS + """
.gradio-container { max-width: min(1280px, 100vw) !important; min-width: 0 !important; margin: 0 auto; }
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
.rag-status { display: flex; flex-wrap: wrap; align-items: center; gap: .3em .6em; font-size: .88em; opacity: 1; }
.rag-status-label { font-weight: 700; font-size: .85em; padding: .1em .6em; border-radius: 999px; color: white;
  background: #64748b; white-space: nowrap; }
.rag-status-ok .rag-status-label { background: #15803d; }
.rag-status-busy .rag-status-label { background: #b45309; animation: rag-pulse 1s infinite alternate; }
.rag-status-error .rag-status-label { background: #b91c1c; }
.rag-status-detail { color: var(--body-text-color-subdued); }
.rag-status-error .rag-status-detail { color: #7b241c; }
#rag-status { margin-top: calc(4px - var(--layout-gap, 16px)); }
.rag-header p { margin-bottom: 0 !important; }
button.rag-example { white-space: normal !important; text-align: left !important; max-width: 100%;
  height: auto !important; line-height: 1.35 !important; }
#rag-new-chat { width: 100%; }
#rag-chats .wrap { flex-direction: column; gap: 4px; }
#rag-chats label { width: 100%; max-width: 100%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#rag-chats label span { overflow: hidden; text-overflow: ellipsis; }
.rag-confirm-text { padding: .5em .7em; }
.rag-token-note code { font-size: .9em; }
@media (max-width: 640px) {
  .rag-header h1 { font-size: 1.3em; }
  .rag-header h1 span { display: inline-block; margin-left: 0; }
  .rag-header p { font-size: .88em; }
  #rag-tabs button[role="tab"] { padding: 6px 8px !important; font-size: 14px !important; flex: 0 1 auto; }
  #rag-examples { gap: 4px; }
  #rag-examples > * { max-width: 100% !important; }
  button.rag-example { font-size: 13px !important; }
  #rag-chat { height: 62vh !important; }
  #rag-send { min-width: 96px !important; padding-left: 8px; padding-right: 8px; white-space: nowrap;
    font-size: 15px !important; }
  .rag-passage { padding-left: .9em; }
  #rag-articles { max-width: calc(100vw - 16px); min-width: 0 !important; overflow-x: auto; }
  #rag-articles table { min-width: 640px; }
}
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
