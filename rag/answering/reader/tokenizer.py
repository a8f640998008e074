"""The e5 (XLM-R) unigram tokenizer in plain Python, with character offsets.

The reader needs to map every token back to the characters it came from so that a predicted span
is a span of the passage; this is the SentencePiece unigram algorithm (Viterbi over piece log
probabilities) over the model image's own vocabulary and normalisation map."""

from __future__ import annotations

from dataclasses import dataclass

from .encoder_weights import E5Image

_META = "\u2581"
_MAX_PIECE_CHARS = 24


@dataclass(frozen=True)
class Encoding:
    ids: list[int]
    offsets: list[tuple[int, int]]  # (start, end) in the input text, per token


class UnigramTokenizer:
    def __init__(self, image: E5Image) -> None:
        self._norm = image.normalization
        self._vocab = {piece: i for i, piece in enumerate(image.pieces) if piece}
        self._scores = [float(s) for s in image.scores]
        self.unk = image.unk
        self.bos = image.bos
        self.eos = image.eos
        self.pad = image.pad
        self._unk_score = min(self._scores) - 10.0

    def encode(self, text: str) -> Encoding:
        """Content tokens (no <s>/</s>) with the offsets of the characters each covers."""
        chars: list[str] = []
        origin: list[int] = []
        for i, ch in enumerate(text):
            for out in self._norm.get(ch, ch):
                if out == " " and chars and chars[-1] == _META:
                    continue  # runs of spaces collapse
                chars.append(_META if out == " " else out)
                origin.append(i)
        if not chars or chars[0] != _META:
            chars.insert(0, _META)
            origin.insert(0, origin[0] if origin else 0)
        n = len(chars)
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, -1)] * (n + 1)
        best[0] = 0.0
        vocab, scores = self._vocab, self._scores
        for i in range(n):
            base = best[i]
            if base <= -1e29:
                continue
            piece = ""
            for j in range(i, min(n, i + _MAX_PIECE_CHARS)):
                piece += chars[j]
                idx = vocab.get(piece)
                if idx is not None and idx != self.unk:
                    score = base + scores[idx]
                    if score > best[j + 1]:
                        best[j + 1] = score
                        back[j + 1] = (i, idx)
            if base + self._unk_score > best[i + 1]:
                best[i + 1] = base + self._unk_score
                back[i + 1] = (i, self.unk)
        ids: list[int] = []
        offsets: list[tuple[int, int]] = []
        end = n
        while end > 0:
            start, idx = back[end]
            ids.append(idx)
            if chars[start] == _META and end - start == 1:
                offsets.append((origin[start], origin[start]))  # a lone metaspace covers nothing
            else:
                # a leading metaspace belongs to no character of the text
                first = start + 1 if chars[start] == _META else start
                offsets.append((origin[first], origin[end - 1] + 1))
            end = start
        ids.reverse()
        offsets.reverse()
        return Encoding(ids, offsets)
