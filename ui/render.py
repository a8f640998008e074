"""HTML for answers and their citations: every piece of document or user text is escaped."""

from __future__ import annotations

import html
import re
from typing import Any, Mapping

from rag.models import Answer

_MARKER = re.compile(r"\[(\d{1,3})\]")
PREVIEW_CHARS = 90

LABELS = {
    "en": {
        "sources": "Sources",
        "refused": "Not found in the articles",
        "refused_hint": "None of the indexed articles answers this. Try rephrasing, or add documents in the Knowledge base tab.",
        "ungrounded": "Check this answer: it could not be fully matched to the cited passages.",
        "open": "Show passage",
        "close": "Hide passage",
        "details": "Details",
        "score": "relevance score (reciprocal-rank fusion, orders this answer's passages)",
        "chars": "characters",
        "file": "file",
        "clarify": "Which question does this follow?",
        "searched": "Searched for: ",
        "short": "Answer",
        "confidence": "confidence",
    },
    "zh": {
        "sources": "来源",
        "refused": "资料中未找到答案",
        "refused_hint": "已索引的文章中没有能回答这个问题的内容。可以换个问法，或在“知识库”页添加文档。",
        "ungrounded": "请核对此回答：它无法与所引段落完全对应。",
        "open": "展开段落",
        "close": "收起段落",
        "details": "详情",
        "score": "相关度分数（倒数排名融合，仅用于本答案内排序）",
        "chars": "字符位置",
        "file": "文件",
        "clarify": "这个问题接着哪个问题？",
        "searched": "按此问题检索：",
        "short": "答案",
        "confidence": "置信度",
    },
}


def _labels(language: str) -> Mapping[str, str]:
    return LABELS.get(language, LABELS["en"])


def _text(value: Any) -> str:
    """Escape text for HTML and keep its line breaks without blank lines (Markdown-safe)."""
    escaped = html.escape(str(value or ""), quote=True)
    return re.sub(r"\s*\n\s*", "<br>", escaped.strip())


def anchor_id(uid: str, n: int) -> str:
    """The element id of citation ``n`` of the answer identified by ``uid``."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "", uid) or "a"
    return f"rag-{safe}-c{n}"


def answer_text_html(text: str, numbers: set[int], uid: str) -> str:
    """The answer with each valid ``[n]`` turned into a link to its passage."""

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n not in numbers:
            return match.group(0)
        return f'<a class="rag-ref" href="#{anchor_id(uid, n)}" data-cite="{anchor_id(uid, n)}">[{n}]</a>'

    return _MARKER.sub(link, _text(text))


def passage_html(text: str, span: Any) -> str:
    """The passage with the answer span wrapped in ``<mark>`` (escaped piece by piece)."""
    text = str(text or "")
    if span and len(span) == 2:
        begin, end = int(span[0]), int(span[1])
        if 0 <= begin < end <= len(text):
            return (
                _text_inline(text[:begin])
                + f'<mark class="rag-span">{_text_inline(text[begin:end])}</mark>'
                + _text_inline(text[end:])
            )
    return _text_inline(text)


def _text_inline(value: str) -> str:
    escaped = html.escape(value, quote=True)
    return re.sub(r"\n\s*", "<br>", escaped)


def preview(text: str, span: Any) -> str:
    """A one-line excerpt: the answer span with a little context, else the passage start."""
    text = str(text or "")
    if span and len(span) == 2 and 0 <= int(span[0]) < int(span[1]) <= len(text):
        begin, end = int(span[0]), int(span[1])
        left = max(0, begin - 24)
        right = min(len(text), max(end + 24, begin + PREVIEW_CHARS))
        body = (
            html.escape(text[left:begin])
            + f'<mark class="rag-span">{html.escape(text[begin:end])}</mark>'
            + html.escape(text[end:right])
        )
        return ("…" if left else "") + _flatten(body) + ("…" if right < len(text) else "")
    cut = text[:PREVIEW_CHARS]
    return _flatten(html.escape(cut)) + ("…" if len(text) > PREVIEW_CHARS else "")


def _flatten(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def citation_html(citation: Mapping[str, Any], uid: str, language: str) -> str:
    """One expandable source: number, article title, file and excerpt; opened, the whole passage
    with the answer span marked, and the retrieval internals (score, offsets) behind "Details"."""
    labels = _labels(language)
    n = int(citation.get("n", 0))
    title = _text(citation.get("title") or citation.get("source") or "")
    source = _text(citation.get("source", ""))
    internals = [f'{labels["file"]}: <code>{source}</code>']
    score = citation.get("score")
    if isinstance(score, (int, float)) and not isinstance(score, bool):
        internals.append(f'{labels["score"]}: {float(score):.3f}')
    start, end = citation.get("start"), citation.get("end")
    if isinstance(start, int) and isinstance(end, int):
        internals.append(f'{labels["chars"]}: {start}–{end}')
    return (
        f'<details class="rag-cite" id="{anchor_id(uid, n)}">'
        f'<summary><span class="rag-n">{n}</span>'
        f'<span class="rag-cite-head"><span class="rag-title">{title}</span>'
        f'<span class="rag-file">{source}</span>'
        f'<span class="rag-open">{labels["open"]}</span><span class="rag-close">{labels["close"]}</span></span>'
        f'<span class="rag-preview">{preview(citation.get("text", ""), citation.get("span"))}</span>'
        f"</summary>"
        f'<div class="rag-passage">{passage_html(citation.get("text", ""), citation.get("span"))}'
        f'<details class="rag-internals"><summary>{labels["details"]}</summary>'
        f'<div>{" · ".join(internals)}</div></details></div>'
        f"</details>"
    )


def answer_html(answer: Answer | Mapping[str, Any], uid: str) -> str:
    """The whole assistant message: answer (or refusal notice), warnings, sources.

    The result holds no newline, so chat Markdown renderers treat it as one HTML block.
    """
    data = answer.to_dict() if isinstance(answer, Answer) else dict(answer)
    language = data.get("language") or "en"
    labels = _labels(language)
    citations = list(data.get("citations") or [])
    numbers = {int(c.get("n", 0)) for c in citations}
    parts: list[str] = [f'<div class="rag-answer" lang="{html.escape(language)}">']
    if data.get("standalone_question"):  # a follow-up, rewritten before retrieval
        parts.append(
            f'<div class="rag-standalone">{labels["searched"]}{_text(data["standalone_question"])}</div>'
        )
    if data.get("refused"):
        parts.append(
            '<div class="rag-refusal" role="note"><span class="rag-refusal-icon">ⓘ</span><div>'
            f'<div class="rag-refusal-title">{labels["refused"]}</div>'
            f'<div class="rag-refusal-text">{_text(data.get("answer", ""))}</div>'
            f'<div class="rag-refusal-hint">{labels["refused_hint"]}</div></div></div>'
        )
    else:
        parts.append(f'<div class="rag-text">{answer_text_html(data.get("answer", ""), numbers, uid)}</div>')
        short, confidence = data.get("short_answer"), data.get("confidence")
        if short or isinstance(confidence, (int, float)):
            level = "high" if (confidence or 0) >= 0.7 else "medium" if (confidence or 0) >= 0.4 else "low"
            shown = f'{labels["short"]}: <b>{_text(short)}</b> · ' if short else ""
            parts.append(
                f'<div class="rag-confidence rag-confidence-{level}">{shown}'
                f'{labels["confidence"]} {round(100 * float(confidence or 0))}%</div>'
            )
    if data.get("grounded") is False and not data.get("refused"):
        parts.append(f'<div class="rag-warning">{labels["ungrounded"]}</div>')
    for warning in data.get("warnings") or []:
        parts.append(f'<div class="rag-warning">{_text(warning)}</div>')
    if citations:
        parts.append(f'<div class="rag-sources"><div class="rag-sources-title">{labels["sources"]}</div>')
        parts.extend(citation_html(c, uid, language) for c in citations)
        parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)


def clarification_html(answer: Answer | Mapping[str, Any]) -> str:
    """A bare follow-up asked first: the question back to the user (not a refusal, no sources)."""
    data = answer.to_dict() if isinstance(answer, Answer) else dict(answer)
    language = data.get("language") or "en"
    return (
        f'<div class="rag-answer" lang="{html.escape(language)}"><div class="rag-clarify" role="note">'
        f'<div class="rag-clarify-title">{_labels(language)["clarify"]}</div>'
        f'<div class="rag-clarify-text">{_text(data.get("answer", ""))}</div></div></div>'
    )


NOTICE_KINDS = {"✅": ("ok", "Done"), "❌": ("error", "Not done"), "⏳": ("busy", "Working"), "🗑️": ("ok", "Removed"),
                "⚠️": ("warn", "Note")}


def notice_html(message: str) -> str:
    """A knowledge-base message as text with a coloured label (no emoji: they render as empty
    boxes without a colour-emoji font). A leading ✅/❌/⏳/🗑️/⚠️ on a line picks its label."""
    lines = [line.strip() for line in re.split(r"\s*\n", str(message or "")) if line.strip()]
    if not lines:
        return ""
    kind, label = "info", ""
    out = []
    for i, line in enumerate(lines):
        mark = next((m for m in NOTICE_KINDS if line.startswith(m)), None)
        body = line[len(mark):].strip() if mark else line
        if i == 0:
            kind, label = NOTICE_KINDS[mark] if mark else ("info", "")
            head = f'<span class="rag-notice-label">{label}</span> ' if label else ""
            out.append(f"<div>{head}{_text(body)}</div>")
        elif mark:
            out.append(f'<div class="rag-notice-line-{NOTICE_KINDS[mark][0]}">{_text(body)}</div>')
        else:
            out.append(f"<div>{_text(body)}</div>")
    return f'<div class="rag-notice rag-notice-{kind}" role="status">{"".join(out)}</div>'


def streaming_html(partial: str) -> str:
    """The answer text while it is being written (markers stay plain until it is checked)."""
    return f'<div class="rag-answer"><div class="rag-text rag-streaming">{_text(partial)}</div></div>'


def error_html(message: str) -> str:
    """A user-facing error inside the chat (bad input, index problem)."""
    return f'<div class="rag-answer"><div class="rag-error" role="alert">{_text(message)}</div></div>'


def user_html(question: str) -> str:
    """The user's question, shown literally."""
    return f'<div class="rag-question">{_text(question)}</div>'


CSS = """
.rag-answer { line-height: 1.6; font-size: 15px; }
.rag-text { white-space: normal; }
.rag-streaming::after { content: "▍"; opacity: .6; }
a.rag-ref { display: inline-block; min-width: 1.4em; padding: 0 .25em; margin: 0 1px; border-radius: 6px;
  background: var(--color-accent-soft); color: var(--color-accent) !important; font-size: .8em;
  font-weight: 600; text-decoration: none !important; vertical-align: super; line-height: 1.3;
  text-align: center; cursor: pointer; }
a.rag-ref:hover { background: var(--color-accent); color: white !important; }
.rag-refusal { display: flex; gap: .6em; padding: .7em .9em; border-radius: 10px;
  background: #fff7e6; border: 1px solid #f3c969; color: #5c4400; }
.dark .rag-refusal { background: #3a2e12; border-color: #8a6d1c; color: #f6e3b0; }
.rag-refusal-icon { font-size: 1.3em; line-height: 1.2; }
.rag-refusal-title { font-weight: 600; }
.rag-refusal-hint { font-size: .85em; opacity: .8; margin-top: .2em; }
.rag-standalone { font-size: .85em; opacity: .75; margin-bottom: .3em; }
.rag-confidence { margin-top: .35em; font-size: .8em; opacity: .85; }
.rag-confidence-high { color: #1e6b34; } .rag-confidence-medium { color: #7a5a00; } .rag-confidence-low { color: #8a2a1c; }
.rag-warning { margin-top: .5em; padding: .4em .7em; border-radius: 8px; font-size: .85em;
  background: #fdecea; border: 1px solid #f5b7b1; color: #7b241c; }
.rag-error { padding: .6em .9em; border-radius: 10px; background: #fdecea; border: 1px solid #f5b7b1;
  color: #7b241c; }
.rag-sources { margin-top: .8em; border-top: 1px solid var(--border-color-primary); padding-top: .5em; }
.rag-sources-title { font-size: .75em; text-transform: uppercase; letter-spacing: .06em; font-weight: 600;
  opacity: .65; margin-bottom: .35em; }
details.rag-cite { margin: .35em 0; border: 1px solid var(--border-color-primary); border-radius: 10px;
  background: var(--background-fill-secondary); overflow: hidden; scroll-margin-top: 80px; }
details.rag-cite.rag-flash { box-shadow: 0 0 0 2px var(--color-accent); }
details.rag-cite > summary { cursor: pointer; padding: .45em .7em; list-style: none; display: grid;
  grid-template-columns: auto 1fr; column-gap: .6em; row-gap: .15em; align-items: baseline; }
details.rag-cite > summary::-webkit-details-marker { display: none; }
.rag-n { grid-row: span 2; display: inline-block; min-width: 1.6em; height: 1.6em; line-height: 1.6em;
  text-align: center; border-radius: 50%; background: var(--color-accent); color: white; font-size: .8em;
  font-weight: 700; }
.rag-cite-head { display: flex; flex-wrap: wrap; gap: .3em .7em; align-items: baseline; }
.rag-title { font-weight: 600; }
.rag-file { font-family: var(--font-mono); font-size: .78em; opacity: .7; }
.rag-open, .rag-close { margin-left: auto; font-size: .78em; color: var(--color-accent); white-space: nowrap; }
.rag-close, details.rag-cite[open] .rag-open { display: none; }
details.rag-cite[open] .rag-close { display: inline; }
details.rag-internals { margin-top: .5em; font-size: .78em; opacity: .75; }
details.rag-internals > summary { cursor: pointer; display: list-item; padding: 0; }
details.rag-internals code { font-size: .95em; }
.rag-clarify { padding: .6em .9em; border-radius: 10px; background: var(--color-accent-soft);
  border: 1px solid var(--border-color-accent, #c7d2fe); }
.rag-clarify-title { font-weight: 600; margin-bottom: .15em; }
.rag-notice { padding: .55em .8em; border-radius: 8px; border: 1px solid #cbd5e1; background: #f8fafc;
  color: #1e293b; line-height: 1.5; }
.rag-notice-label { display: inline-block; font-size: .75em; font-weight: 700; text-transform: uppercase;
  letter-spacing: .05em; padding: 0 .45em; border-radius: 4px; margin-right: .3em; color: white; background: #64748b; }
.rag-notice-ok { background: #ecfdf3; border-color: #86efac; color: #14532d; }
.rag-notice-ok .rag-notice-label { background: #15803d; }
.rag-notice-error { background: #fdecea; border-color: #f5b7b1; color: #7b241c; }
.rag-notice-error .rag-notice-label { background: #b91c1c; }
.rag-notice-busy { background: #fffbeb; border-color: #fcd34d; color: #713f12; }
.rag-notice-busy .rag-notice-label { background: #b45309; }
.rag-notice-warn .rag-notice-label { background: #b45309; }
.rag-notice-line-warn { color: #92400e; }
.rag-preview { font-size: .88em; opacity: .9; }
details.rag-cite[open] .rag-preview { display: none; }
.rag-passage { padding: .2em .9em .7em 2.9em; font-size: .9em; line-height: 1.7; white-space: normal; }
mark.rag-span { background: #fff0a8; color: inherit; padding: 0 .1em; border-radius: 3px; }
.dark mark.rag-span { background: #6b5a00; }
.rag-status { font-size: .9em; opacity: .85; }
footer { display: none !important; }
"""

# Clicking a [n] marker opens and scrolls to its passage (delegated: answers arrive later).
JS = """
() => {
  document.addEventListener('click', (event) => {
    const ref = event.target.closest && event.target.closest('a.rag-ref');
    if (!ref) return;
    const id = ref.getAttribute('data-cite') || (ref.getAttribute('href') || '').slice(1);
    const target = id && document.getElementById(id);
    if (!target) return;
    event.preventDefault();
    event.stopPropagation();
    target.open = true;
    target.scrollIntoView({behavior: 'smooth', block: 'nearest'});
    target.classList.add('rag-flash');
    setTimeout(() => target.classList.remove('rag-flash'), 1400);
  }, true);
}
"""
