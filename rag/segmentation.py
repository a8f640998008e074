"""Split one cleaned page into articles: titles, bylines, "据" origins, bodies and sections.

The cleaned page has one paragraph per line; titles, headings, bylines and "（据…）" lines are
lines of their own. Lines are classified by shape and markers, never by known titles:

* ``# / ##`` markdown headings are titles and ``###`` are sections (markdown pages);
* otherwise runs of short lines without a sentence end ("heading groups") are titles when
  they sit at the page start/end, next to a byline, or after a "据" line, and sections when
  they sit inside a body. A heading group between two bodies is split where the title/body
  character-bigram overlap says each part belongs;
* bodies left without a title (a lead printed elsewhere on the page) join the article whose
  title they overlap most; teasers, captions and anything else become one ``kind="page"``
  article, so nothing is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .cleaning import (
    BYLINE_RE,
    MARKDOWN_RE,
    ORIGIN_RE,
    SHORT_LINE,
    is_terminal,
    marker_kind,
    width,
)
from .models import Article, Document, Section

_LABEL_END = re.compile(r"[：:]$")
_WORD_CHAR = re.compile(r"[\w]", re.UNICODE)
# A title part must overlap its body at least this much to beat the alternative.
ORPHAN_MIN_OVERLAP = 0.5


@dataclass
class _Draft:
    """An article being assembled."""

    first: int  # line index where it starts on the page (for ordinals)
    title: list[str] = field(default_factory=list)
    byline: str = ""
    origin: str = ""
    paragraphs: list[tuple[str, bool]] = field(default_factory=list)  # (text, is_section_heading)
    closed: bool = False

    def body(self) -> str:
        return "\n".join(text for text, _ in self.paragraphs)


@dataclass
class _Element:
    kind: str  # "run", "group", "byline", "origin", "teaser"
    index: int  # line index of its first line
    lines: list[str]
    sections: list[bool] = field(default_factory=list)  # for runs: which lines are headings


def _bigrams(text: str) -> set[str]:
    chars = [ch for ch in text if _WORD_CHAR.match(ch)]
    return {a + b for a, b in zip(chars, chars[1:])}


def overlap(part: str, body: str) -> float:
    """Share of ``part``'s character bigrams that also occur in ``body`` (0..1)."""
    grams = _bigrams(part)
    return len(grams & _bigrams(body)) / len(grams) if grams else 0.0


def _is_heading_line(line: str) -> bool:
    return not marker_kind(line) and not is_terminal(line) and width(line) <= SHORT_LINE


def _units(lines: list[str]) -> list[str]:
    """Join a short "label：" line with the heading line after it ("首站昆山市：" + "…")."""
    units: list[str] = []
    pending = ""
    for line in lines:
        if pending:
            units.append(pending + line)
            pending = ""
        elif _LABEL_END.search(line) and width(line) <= 8:
            pending = line
        else:
            units.append(line)
    if pending:
        units.append(pending)
    return units


def _is_titleish(unit: str) -> bool:
    return sum(1 for ch in unit if _WORD_CHAR.match(ch)) >= 4


def _format_byline(line: str) -> str:
    text = re.sub(r"^[■□▲◆●]\s*", "", line).strip()
    return re.sub(r"(记者|通讯员)(?=\S)", r"\1 ", text, count=1)


def _origin(line: str) -> str:
    match = ORIGIN_RE.search(line)
    return match.group(1).strip().strip("《》") if match else line


def _to_article(draft: _Draft, source: str, ordinal: int, kind: str) -> Article:
    text_parts: list[str] = []
    sections: list[Section] = []
    offset = 0
    for text, is_heading in draft.paragraphs:
        if is_heading:
            sections.append(Section(heading=text, start=offset))
        text_parts.append(text)
        offset += len(text) + 1
    return Article(
        source=source,
        ordinal=ordinal,
        title="".join(draft.title) if kind == "article" else "",
        text="\n".join(text_parts),
        byline=draft.byline,
        origin=draft.origin,
        kind=kind,
        sections=tuple(sections),
    )


def segment(document: Document) -> list[Article]:
    """Articles of one cleaned page, in page order; leftovers as one ``kind="page"`` article."""
    lines = [line.strip() for line in document.text.split("\n") if line.strip()]
    if not lines:
        return []
    if any(_md_level(line) in (1, 2) for line in lines):
        drafts, leftovers = _segment_markdown(lines)
    else:
        drafts, leftovers = _segment_plain(lines)
    return _finish(document.source, drafts, leftovers)


def _md_level(line: str) -> int:
    match = MARKDOWN_RE.match(line)
    return len(match.group(1)) if match else 0


def _segment_markdown(lines: list[str]) -> tuple[list[_Draft], _Draft]:
    drafts: list[_Draft] = []
    leftovers = _Draft(first=len(lines))
    current: _Draft | None = None
    for i, line in enumerate(lines):
        level = _md_level(line)
        text = MARKDOWN_RE.match(line).group(2).strip() if level else line
        kind = marker_kind(line)
        if level in (1, 2):
            current = _Draft(first=i, title=[text])
            drafts.append(current)
        elif current is None or current.closed:
            leftovers.first = min(leftovers.first, i)
            leftovers.paragraphs.append((text, False))
        elif kind == "origin":
            current.origin, current.closed = _origin(line), True
        elif kind == "byline" and not current.byline:
            current.byline = _format_byline(line)
        else:
            current.paragraphs.append((text, level >= 3))
    return drafts, leftovers


def _elements(lines: list[str]) -> list[_Element]:
    """Group lines into runs of body text, heading groups and markers."""
    raw: list[_Element] = []
    for i, line in enumerate(lines):
        kind = marker_kind(line) or ("group" if _is_heading_line(line) else "body")
        if kind == "md":
            kind = "group"
        if raw and raw[-1].kind == kind and kind in ("group", "body"):
            raw[-1].lines.append(line)
        else:
            raw.append(_Element(kind, i, [line]))
    first_body = next((n for n, el in enumerate(raw) if el.kind == "body"), len(raw))
    last_body = max((n for n, el in enumerate(raw) if el.kind == "body"), default=-1)
    out: list[_Element] = []
    for n, el in enumerate(raw):
        if el.kind == "group":
            prev_kind = raw[n - 1].kind if n else ""
            next_kind = raw[n + 1].kind if n + 1 < len(raw) else ""
            boundary = (
                n < first_body
                or n > last_body
                or prev_kind in ("byline", "origin", "teaser")
                or next_kind in ("byline", "origin", "teaser")
            )
            if not boundary:  # a section heading inside a body
                # "他指出：" before a list is body text; real headings do not end in a colon.
                units = _units(el.lines)
                flags = [not _LABEL_END.search(u) for u in units]
                if out and out[-1].kind == "run":
                    out[-1].lines.extend(units)
                    out[-1].sections.extend(flags)
                else:
                    out.append(_Element("run", el.index, units, flags))
                continue
        if el.kind == "body":
            if out and out[-1].kind == "run":
                out[-1].lines.extend(el.lines)
                out[-1].sections.extend([False] * len(el.lines))
                continue
            el = _Element("run", el.index, el.lines, [False] * len(el.lines))
        out.append(el)
    return out


def _segment_plain(lines: list[str]) -> tuple[list[_Draft], _Draft]:
    elements = _elements(lines)
    drafts: list[_Draft] = []
    leftovers = _Draft(first=len(lines))
    current: _Draft | None = None
    pending_title: list[str] = []
    pending_byline = ""
    pending_sections: list[str] = []

    def leftover(index: int, texts: list[str]) -> None:
        leftovers.first = min(leftovers.first, index)
        leftovers.paragraphs.extend((t, False) for t in texts)

    def next_run(n: int) -> _Element | None:
        for el in elements[n + 1 :]:
            if el.kind == "run":
                return el
            if el.kind in ("group", "origin"):
                return None
        return None

    def is_lead(n: int) -> bool:
        """A run followed by a byline and then a heading group: the lead of that article."""
        return (
            n + 2 < len(elements)
            and elements[n + 1].kind == "byline"
            and elements[n + 2].kind == "group"
        )

    for n, el in enumerate(elements):
        if el.kind == "teaser":
            leftover(el.index, el.lines)
        elif el.kind == "origin":
            if current is not None and not current.closed:
                current.origin, current.closed = _origin(el.lines[0]), True
            else:
                leftover(el.index, el.lines)
        elif el.kind == "byline":
            byline = _format_byline(el.lines[0])
            nxt = elements[n + 1] if n + 1 < len(elements) else None
            if (
                nxt is not None
                and nxt.kind == "group"
                and current is not None
                and not current.closed
                and not current.byline
            ):
                current.byline = byline  # lead, byline, then the title
            elif pending_byline:
                leftover(el.index, el.lines)
            else:
                pending_byline = byline
        elif el.kind == "group":
            units = _units(el.lines)
            prev_byline = n > 0 and elements[n - 1].kind == "byline"
            if prev_byline and current is not None and not current.closed and not current.title:
                # lead + byline + title (+ first section heading): one article continues.
                current.title = [units[0]]
                pending_sections.extend(units[1:])
                continue
            run_n = next((m for m in range(n + 1, len(elements)) if elements[m] is next_run(n)), None)
            run = elements[run_n] if run_n is not None else None
            prev_ok = current is not None and not current.title
            next_ok = run is not None and not is_lead(run_n)
            k = _split(units, current.body() if prev_ok else None, "\n".join(run.lines) if next_ok else None)
            head, tail = units[:k], units[k:]
            if prev_ok and head and any(_is_titleish(u) for u in head):
                current.title = head
            elif head:
                leftover(el.index, head)
            if current is not None:
                current.closed = True
            if next_ok and tail:
                pending_title = tail
            elif tail:
                leftover(el.index, tail)
        elif el.kind == "run":
            paragraphs = [(t, s) for t, s in zip(el.lines, el.sections)]
            if pending_sections:
                paragraphs = [(u, True) for u in pending_sections] + paragraphs
                pending_sections = []
            if current is not None and not current.closed and not pending_title and not pending_byline:
                current.paragraphs.extend(paragraphs)
            else:
                current = _Draft(first=el.index, title=pending_title, byline=pending_byline)
                current.paragraphs.extend(paragraphs)
                drafts.append(current)
                pending_title, pending_byline = [], ""
    if pending_title or pending_byline:
        leftover(len(lines), pending_title + ([pending_byline] if pending_byline else []))
    for text in pending_sections:
        leftover(len(lines), [text])
    return drafts, leftovers


def _split(units: list[str], prev_body: str | None, next_body: str | None) -> int:
    """How many leading units of a heading group title the previous article (rest: the next)."""
    units_ok = [_is_titleish(u) for u in units]
    n = len(units)
    if prev_body is None and next_body is None:
        return n
    if prev_body is None:
        return 0
    if next_body is None:
        return n
    best_k, best_score = None, -1.0
    for k in range(1, n):
        score = sum(overlap(u, prev_body) for u in units[:k]) + sum(
            overlap(u, next_body) for u in units[k:]
        )
        if score > best_score:
            best_k, best_score = k, score
    if best_k is not None:
        return best_k
    # A single unit: it titles whichever body it overlaps more.
    if not units_ok[0]:
        return n
    return n if overlap(units[0], prev_body) >= overlap(units[0], next_body) else 0


def _finish(source: str, drafts: list[_Draft], leftovers: _Draft) -> list[Article]:
    """Attach untitled bodies to the article they overlap most; number everything."""
    titled = [d for d in drafts if d.title and any(_is_titleish(t) for t in d.title)]
    for draft in drafts:
        if draft in titled:
            continue
        text = "\n".join(draft.title + [draft.body()])
        best = max(titled, key=lambda d: overlap("".join(d.title), text), default=None)
        if best is not None and overlap("".join(best.title), text) >= ORPHAN_MIN_OVERLAP:
            best.paragraphs.extend((t, False) for t in draft.title)
            best.paragraphs.extend(draft.paragraphs)
            if best.byline and draft.byline:
                best.paragraphs.append((draft.byline, False))
            best.byline = best.byline or draft.byline
            best.origin = best.origin or draft.origin
        else:
            leftovers.first = min(leftovers.first, draft.first)
            leftovers.paragraphs.extend((t, False) for t in draft.title)
            if draft.byline:
                leftovers.paragraphs.append((draft.byline, False))
            leftovers.paragraphs.extend(draft.paragraphs)
    pieces: list[tuple[int, _Draft, str]] = [(d.first, d, "article") for d in titled]
    if leftovers.paragraphs:
        pieces.append((leftovers.first, leftovers, "page"))
    pieces.sort(key=lambda item: item[0])
    return [_to_article(d, source, i, kind) for i, (_, d, kind) in enumerate(pieces)]
