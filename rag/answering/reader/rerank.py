"""Which retrieved passages the reader answers from: retrieval's order, corrected by the reader.

Retrieval ranks passages by what a question and a passage share; the reader, reading both
together, knows better whether a passage holds an answer. Its best span score over its "no
answer" score in that passage (``margin``) is evidence retrieval does not have. :class:`Rerank`
reads the first ``passages`` retrieved and orders them by ``rank / retrieval rank + margin *
(best span score - no-answer score)``; the reader then answers from the first ``read_k`` of that
order, which are also the ranks its answers carry. The weights are fitted per question language on
public data by ``python -m eval.rerank_fit`` (see the README) and stored in the reader's
calibration file; ``Rerank()`` (``passages`` 0) keeps retrieval's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence


@dataclass(frozen=True)
class Rerank:
    """How the reader orders the passages it reads (see the module text)."""

    passages: int = 0  # passages read to choose from (0: retrieval's order, only read_k read)
    rank: float = 1.0  # weight of 1 / retrieval rank
    margin: float = 0.0  # weight of the passage's best span score over its no-answer score

    def read(self, read_k: int) -> int:
        """How many retrieved passages are read."""
        return max(read_k, self.passages)

    def order(self, ranks: Sequence[int], best: Sequence[float], null: Sequence[float]) -> list[int]:
        """Indices of the passages, best first, from their retrieval ranks, best span scores and
        no-answer scores (a passage with no span: ``best`` of ``-inf``)."""
        if not self.passages:
            return list(range(len(ranks)))

        def score(i: int) -> float:
            margin = best[i] - null[i] if best[i] > float("-inf") else -1e3
            return self.rank / max(1, ranks[i]) + self.margin * margin

        return sorted(range(len(ranks)), key=lambda i: (-score(i), ranks[i]))

    def to_dict(self) -> dict:
        return {"passages": self.passages, "rank": self.rank, "margin": self.margin}

    @classmethod
    def from_dict(cls, data: Mapping, where: str) -> "Rerank":
        passages = data.get("passages", 0)
        if not isinstance(passages, int) or isinstance(passages, bool) or not 0 <= passages <= 50:
            raise ValueError(f"{where}: rerank passages={passages!r} must be a whole number in 0..50 (0: retrieval's order)")
        weights = {}
        for key, default in (("rank", 1.0), ("margin", 0.0)):
            value = data.get(key, default)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not -100 <= value <= 100:
                raise ValueError(f"{where}: rerank {key}={value!r} must be a number in -100..100")
            weights[key] = float(value)
        return cls(passages, **weights)
