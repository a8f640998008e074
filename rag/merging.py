"""Size-tiered merge policy: which segments of a generation to compact together.

Segments are put in tiers by size (tier t holds segments of ``min_segment * factor**t`` chunks
and up, live rows counted). When a tier holds ``merge_factor`` segments they are merged into one
of the next tier, so an archive fed one page a day keeps about ``merge_factor * log(n)`` segments
and every chunk is rewritten about ``log_factor(n)`` times over its life (Lucene's
LogMergePolicy). Segments that lost ``max_deleted`` of their rows to deletions are rewritten on
their own. ``rag optimize`` merges everything into one segment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from .errors import InputError


@dataclass(frozen=True)
class MergePolicy:
    merge_factor: int = 10
    min_segment: int = 1_000  # chunks: everything smaller is tier 0
    max_merged: int = 2_000_000  # never merge automatically into a segment bigger than this
    max_deleted: float = 0.5  # share of deleted rows that makes a segment worth rewriting
    auto: bool = True  # merge after each commit (False: only on `rag optimize`)

    def __post_init__(self) -> None:
        if self.merge_factor < 2:
            raise InputError(f"merge_factor={self.merge_factor} must be at least 2 (RAG_MERGE_FACTOR).")
        if self.min_segment < 1 or self.max_merged < 1:
            raise InputError("min_segment and max_merged must be at least 1 chunk.")
        if not 0 < self.max_deleted <= 1:
            raise InputError(f"max_deleted={self.max_deleted} must be in (0, 1].")

    def tier(self, n_live: int) -> int:
        if n_live < self.min_segment:
            return 0
        return 1 + int(math.log(n_live / self.min_segment, self.merge_factor))

    def select(self, segments: Sequence[tuple[str, int, int]]) -> list[list[str]]:
        """Merges to run, given ``(name, n_chunks, n_deleted)`` per segment (oldest first)."""
        if not self.auto:
            return []
        merges: list[list[str]] = []
        tiers: dict[int, list[tuple[str, int]]] = {}
        for name, n, deleted in segments:
            live = n - deleted
            if n and deleted / n >= self.max_deleted and live:
                merges.append([name])  # rewrite alone, dropping its deleted rows
                continue
            tiers.setdefault(self.tier(live), []).append((name, live))
        for tier in sorted(tiers):
            members = tiers[tier]
            while len(members) >= self.merge_factor:
                group, members = members[: self.merge_factor], members[self.merge_factor :]
                if sum(n for _, n in group) <= self.max_merged:
                    merges.append([name for name, _ in group])
        return merges
