"""OCR repair for Chinese newspaper text: strip noise, fix spacing, rejoin wrapped lines.

Pages come in two layouts. *Column* text (narrow lines, most of them wrapped mid-sentence)
is rejoined into paragraphs using punctuation, indentation and line-width changes, so that
titles, headings, bylines and "（据…）" lines stay on lines of their own. *Paragraph* text
(already one paragraph per line, e.g. markdown, HTML, DOCX or text this module produced)
only gets lines joined that were cut inside a long paragraph. Cleaning its own output
changes nothing (idempotent).
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from dataclasses import dataclass

# Sentence ends, optionally followed by closing quotes/brackets.
_TERMINAL = re.compile(r"(?:[。！？!?…]|(?<=[A-Za-z])\.)[”’」』）)》\"']*$")
_COLON_END = re.compile(r"[：:]$")
ORIGIN_RE = re.compile(r"[（(]\s*据\s*([^（）()]{1,40}?)\s*[）)]$")
BYLINE_RE = re.compile(r"^(?:[■□▲◆●]|(?:本报|特约)?(?:记者|通讯员)\s*\S)")
TEASER_RE = re.compile(r"(?<![第\d.])\d{1,2}\s*版(?![权本面])")
MARKDOWN_RE = re.compile(r"^(#{1,6})\s*(\S.*)$")
ENUM_RE = re.compile(
    r"^(?:[一二三四五六七八九十]+是|[一二三四五六七八九十]+、"
    r"|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.．、](?!\d))"
)
_SPACE = re.compile(r"[ ]+")
_DROP = re.compile(r"[\ufffd\u200b\u200c\u200d\u2060\ufeff]")
# Width limits (CJK character = 1, other characters = 0.5).
SHORT_LINE = 40.0
_COLUMN_MEDIAN = 30.0
_WIDER_RATIO = 1.45
_NARROWER_RATIO = 0.7
_LABEL_WIDTH = 8.0
_MAX_PASSES = 8


def is_cjk(ch: str) -> bool:
    """CJK ideographs, kana, hangul, CJK punctuation and full-width forms."""
    code = ord(ch)
    return (
        0x2E80 <= code <= 0x9FFF
        or 0xAC00 <= code <= 0xD7AF
        or 0xF900 <= code <= 0xFAFF
        or 0xFE30 <= code <= 0xFE4F
        or 0xFF00 <= code <= 0xFFEF
        or 0x20000 <= code <= 0x3FFFF
        or ch in "“”‘’"
    )


def width(text: str) -> float:
    """Printed width of a line: CJK characters count 1, others 0.5, spaces 0."""
    return sum(1.0 if is_cjk(ch) else 0.5 for ch in text if not ch.isspace())


def is_terminal(line: str) -> bool:
    """Whether the line ends a sentence."""
    return bool(_TERMINAL.search(line))


def marker_kind(line: str) -> str:
    """"md", "origin", "byline", "teaser" or "" for ordinary text."""
    if MARKDOWN_RE.match(line):
        return "md"
    if ORIGIN_RE.fullmatch(line) or (ORIGIN_RE.search(line) and ORIGIN_RE.search(line).start() == 0):
        return "origin"
    if width(line) <= 30 and BYLINE_RE.match(line):
        return "byline"
    if width(line) <= SHORT_LINE and "。" not in line and TEASER_RE.search(line):
        return "teaser"
    return ""


def _fix_spaces(line: str) -> str:
    """Collapse spaces; drop those next to CJK characters, keep one between Latin words."""
    line = _SPACE.sub(" ", line).strip()
    if " " not in line:
        return line
    out = []
    for i, ch in enumerate(line):
        if ch == " " and (is_cjk(line[i - 1]) or is_cjk(line[i + 1])):
            continue
        out.append(ch)
    return "".join(out)


def _normalise_line(line: str) -> str:
    line = line.strip()
    md = MARKDOWN_RE.match(line)
    if md:
        return f"{md.group(1)} {_fix_spaces(md.group(2))}"
    return _fix_spaces(line)


@dataclass(frozen=True)
class _Line:
    text: str
    indented: bool
    marker: str


def _split_lines(raw: str) -> list[_Line]:
    """Normalise characters and spacing; split trailing "（据…）" off into its own line."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\u2028\u2029\x0b\x0c\x85]", "\n", text)
    text = _DROP.sub("", text)
    text = "".join(
        " " if ch in "\t\u3000\xa0" else ch
        for ch in text
        if ch in "\n\t" or unicodedata.category(ch) != "Cc"
    )
    lines: list[_Line] = []
    for raw_line in text.split("\n"):
        indented = raw_line[:1] == " "
        line = _normalise_line(raw_line)
        if not line:
            continue
        origin = ORIGIN_RE.search(line)
        if origin and origin.start() > 0 and not MARKDOWN_RE.match(line):
            head = line[: origin.start()].rstrip()
            lines.append(_Line(head, indented, marker_kind(head)))
            lines.append(_Line(origin.group(0), False, "origin"))
            continue
        lines.append(_Line(line, indented, marker_kind(line)))
    return lines


def _is_column_layout(lines: list[_Line]) -> bool:
    content = [ln for ln in lines if not ln.marker]
    if len(content) < 4:
        return False
    median = statistics.median(width(ln.text) for ln in content)
    open_ends = sum(1 for ln in content if not is_terminal(ln.text))
    return median <= _COLUMN_MEDIAN and open_ends >= 0.5 * len(content)


def _splits_word(left: str, right: str) -> bool:
    """Whether a jieba word runs across the end of ``left`` into ``right``."""
    import jieba

    jieba.setLogLevel(60)
    head, tail = left[-6:], right[:6]
    pos = 0
    for token in jieba.cut(head + tail, HMM=True):
        if pos < len(head) < pos + len(token):
            return True
        pos += len(token)
    return False


def _joiner(left: str, right: str) -> str:
    return " " if left[-1:].isascii() and left[-1:].isalnum() and right[:1].isascii() and right[:1].isalnum() else ""


def _hard_break(prev: _Line, nxt: _Line) -> bool:
    """Breaks both layouts agree on: sentence ends, colons, markers, indents, list items."""
    return bool(
        is_terminal(prev.text)
        or _COLON_END.search(prev.text)
        or prev.marker
        or nxt.marker
        or nxt.indented
        or ENUM_RE.match(nxt.text)
    )


def _paragraphs(lines: list[_Line]) -> list[str]:
    column = _is_column_layout(lines)
    out: list[str] = []
    current = ""
    block_start = True  # the current paragraph holds a single raw line so far
    after_label = False  # the previous paragraph was a short "label：" line (e.g. "首站昆山市：")
    for i, line in enumerate(lines):
        if i == 0:
            current, block_start = line.text, True
            continue
        prev = lines[i - 1]
        if _hard_break(prev, line):
            brk = True
        elif block_start and after_label and not ENUM_RE.match(prev.text):
            # "label：" + one heading line: the heading ends here unless a word runs on.
            brk = not _splits_word(current, line.text)
        elif column:
            w_prev, w_next = width(prev.text), width(line.text)
            brk = (
                (w_prev >= _WIDER_RATIO * w_next and not is_terminal(line.text))
                or (block_start and w_prev <= _NARROWER_RATIO * w_next)
            ) and not _splits_word(current, line.text)
        else:
            english_wrap = line.text[:1].islower() and line.text[:1].isascii()
            brk = width(prev.text) <= SHORT_LINE and not english_wrap
        if brk:
            out.append(current)
            after_label = bool(_COLON_END.search(current)) and width(current) <= _LABEL_WIDTH
            current, block_start = line.text, True
        else:
            current = current + _joiner(current, line.text) + line.text
            block_start = False
    if lines:
        out.append(current)
    return out


def clean_text(raw: str) -> str:
    """Repair OCR'd text; paragraphs (and title/byline/据 lines) separated by single "\\n"."""
    # Lone surrogates (from a broken PDF text layer, say) cannot be stored or hashed: U+FFFD.
    raw = raw.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = _clean_once(raw)
    # Rejoining can expose new joins (a title line now next to a long paragraph); repeat to a
    # fixed point so cleaning cleaned text changes nothing. Real pages settle after one pass.
    for _ in range(_MAX_PASSES):
        again = _clean_once(text)
        if again == text:
            break
        text = again
    return text


def _clean_once(raw: str) -> str:
    paragraphs = [_normalise_line(p) for p in _paragraphs(_split_lines(raw))]
    return "\n".join(p for p in paragraphs if p)
