"""Model inputs and span decoding shared by training and inference (numpy only).

An input is ``<s> question </s> </s> passage-window </s>``; long passages are read in overlapping
windows. The model scores every token as a span start and end; the answer is the best-scoring
(start, end) pair inside the passage with at most ``max_answer_tokens`` tokens, compared against
the score of the ``<s>`` token, which stands for "no answer in this window"."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .tokenizer import Encoding, UnigramTokenizer

# An English question carries the Chinese forms of its terms at its end (the bridge); 48 tokens
# cut them from long questions ("Which elderly-care scheme does Hebei's … want to explore …?" is 72)
MAX_QUESTION_TOKENS = 96


@dataclass(frozen=True)
class Window:
    ids: np.ndarray  # int64 [T]
    context_start: int  # index of the first passage token
    offsets: tuple[tuple[int, int], ...]  # per passage token, character offsets in the passage
    passage_index: int = 0


def build_windows(
    tokenizer: UnigramTokenizer,
    question: str | Encoding,
    passage: str | Encoding,
    *,
    max_len: int = 256,
    stride: int = 128,
    passage_index: int = 0,
) -> list[Window]:
    q = tokenizer.encode(question) if isinstance(question, str) else question
    p = tokenizer.encode(passage) if isinstance(passage, str) else passage
    q_ids = q.ids[:MAX_QUESTION_TOKENS]
    head = [tokenizer.bos, *q_ids, tokenizer.eos, tokenizer.eos]
    room = max(16, max_len - len(head) - 1)
    windows: list[Window] = []
    start = 0
    n = len(p.ids)
    while True:
        end = min(n, start + room)
        ids = np.array(head + p.ids[start:end] + [tokenizer.eos], dtype=np.int64)
        windows.append(Window(ids, len(head), tuple(p.offsets[start:end]), passage_index))
        if end >= n:
            break
        start += min(stride, room)
    return windows


@dataclass(frozen=True)
class SpanChoice:
    score: float  # start + end logit
    null_score: float  # the window's "no answer" logit sum
    start_char: int
    end_char: int
    passage_index: int


def best_spans(
    window: Window,
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    *,
    max_answer_tokens: int = 30,
    top: int = 5,
) -> list[SpanChoice]:
    """The ``top`` best spans of one window (character offsets into the passage)."""
    c0 = window.context_start
    n = len(window.offsets)
    if n == 0:
        return []
    s = start_logits[c0 : c0 + n]
    e = end_logits[c0 : c0 + n]
    # score[i, j] = s[i] + e[j] for i <= j < i + max_answer_tokens
    pair = s[:, None] + e[None, :]
    i, j = np.indices(pair.shape)
    valid = (j >= i) & (j - i < max_answer_tokens)
    # spans must start and end on tokens that cover characters
    covers = np.array([b > a for a, b in window.offsets])
    valid &= covers[:, None] & covers[None, :]
    pair = np.where(valid, pair, -np.inf)
    flat = np.argsort(pair, axis=None)[::-1][:top]
    null = float(start_logits[0] + end_logits[0])
    out = []
    for f in flat:
        a, b = divmod(int(f), n)
        if not np.isfinite(pair[a, b]):
            break
        out.append(SpanChoice(float(pair[a, b]), null, window.offsets[a][0], window.offsets[b][1], window.passage_index))
    return out
