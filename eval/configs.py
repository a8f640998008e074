"""Named configurations that ``rag eval --config NAME`` compares side by side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from rag.answering.reader.calibration import CALIBRATION
from rag.errors import InputError
from rag.settings import Settings

# the reader's own score ranking its candidates, fitted like the shipped file (README, "The reader")
PLAIN_CALIBRATION = CALIBRATION.with_name("calibration-plain.json")
DEFAULT_SET: tuple[str, ...] = ("naive", "dense", "bm25", "default")


@dataclass(frozen=True)
class EvalConfig:
    """One system to evaluate: the product with some settings changed, or the naive baseline."""

    name: str
    description: str
    changes: tuple[tuple[str, Any], ...] = ()
    naive: bool = False  # the plain LangChain baseline (eval/naive.py) instead of the product
    needs_llm: bool = False
    keep_mode: bool = False  # answer in the configured mode (others answer extractively)

    def settings(self, base: Settings) -> Settings:
        """``base`` with this configuration's changes applied."""
        changes = dict(self.changes)
        if not self.keep_mode and "mode" not in changes:
            changes["mode"] = "extractive"
        return base.replace(**changes)

    def skip_reason(self, base: Settings) -> str | None:
        """Why this configuration cannot run here (None when it can)."""
        if self.needs_llm and not (base.llm_base_url and base.llm_model):
            return "skipped: set RAG_LLM_BASE_URL and RAG_LLM_MODEL to evaluate the LLM answer mode"
        return None


CONFIGS: tuple[EvalConfig, ...] = (
    EvalConfig("default", "the product as configured", keep_mode=True),
    EvalConfig("rules", "the first reader: hand-written span rules", (("mode", "rules"),)),
    EvalConfig(
        "no-threshold",
        "learned reader answering everything (min_confidence 0): the coverage-accuracy curve",
        (("mode", "extractive"), ("min_confidence", 0.0)),
    ),
    EvalConfig(
        "plain-scorer",
        "learned reader ranked by its own score only (weights/calibration-plain.json: no feature ranker)",
        (("mode", "extractive"), ("calibration", str(PLAIN_CALIBRATION))),
    ),
    EvalConfig("dense", "dense (e5) retrieval only", (("retrieval", "dense"),)),
    EvalConfig("bm25", "lexical (jieba + BM25) retrieval only", (("retrieval", "lexical"),)),
    EvalConfig("hybrid", "hybrid retrieval (dense + BM25, RRF)", (("retrieval", "hybrid"),)),
    EvalConfig("chunks-120", "chunks of at most 120 tokens", (("chunk_tokens", 120),)),
    EvalConfig("chunks-400", "chunks of at most 400 tokens", (("chunk_tokens", 400),)),
    EvalConfig(
        "naive",
        "plain LangChain RAG: raw text, 250-char splits, dense only, same extractive answerer",
        naive=True,
    ),
    EvalConfig("llm", "answers written by the configured LLM", (("mode", "llm"),), needs_llm=True),
)


def config_names() -> list[str]:
    return [c.name for c in CONFIGS]


def resolve_configs(names: Sequence[str] | None) -> list[EvalConfig]:
    """Configurations by name, in the order given (DEFAULT_SET when none); duplicates dropped."""
    by_name = {c.name: c for c in CONFIGS}
    wanted = list(dict.fromkeys(n.strip() for n in (names or DEFAULT_SET)))
    unknown = [n for n in wanted if n not in by_name]
    if unknown:
        raise InputError(
            f"Unknown eval configuration(s) {', '.join(map(repr, unknown))}; use one of: {', '.join(config_names())}."
        )
    return [by_name[n] for n in wanted]
