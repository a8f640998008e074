"""From a candidate answer's features to its rank and a calibrated confidence.

With a learned ranker (``"ranker"`` in the file: one weight per feature of
:mod:`.ranking`), a candidate's score is ``s = sum(w[k] * feature[k])``: the candidates of a
question are ranked by it (a listwise fit: softmax over each question's candidates), and the
winner's confidence is ``sigmoid(a * s + c + bias[language])`` (Platt scaling on the top answers;
a whole-sentence answer to a why / how question adds ``sentence_offset``).
Without one (older files), ``confidence = sigmoid(a * logit(p) + b * margin + d / rank + c +
bias[language])``, where ``p`` is the span's pooled softmax probability, ``margin`` its score over
the best "no answer" score and ``rank`` the retrieval rank of its passage; that one logistic model
both ranks and calibrates. ``language`` is the question's language (``zh`` / ``en``, from the
pipeline's question analysis). The numbers and the refusal threshold of each language are fitted
on validation questions by ``python -m eval.calibrate`` (see the README) and stored beside the
weights as JSON.

Older files carry one ``threshold`` and no language terms: they load as that threshold for every
language and no language bias."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

from .extent import ClauseRule
from .rerank import Rerank

CALIBRATION = Path(__file__).parent / "weights" / "calibration.json"


def _feature_names() -> tuple[str, ...]:
    from .ranking import FEATURES

    return FEATURES


@dataclass(frozen=True)
class Scorer:
    """How one question language's candidates are ranked and calibrated (see the module text)."""

    a: float = 1.0
    b: float = 0.0
    c: float = 0.0
    d: float = 0.0
    # feature name (rag.answering.reader.ranking.FEATURES) -> weight; empty: the plain logistic model
    ranker: Mapping[str, float] = field(default_factory=dict)
    spans: int = 8  # spans each reader window proposes: the candidate pool this scorer was fitted on
    # added to the confidence logit of a whole-sentence answer to a why / how question (fitted with
    # a and c, so a sentence's confidence is its own chance of being right, not a span's)
    sentence_offset: float = 0.0

    def score(self, features: Mapping[str, float]) -> float:
        """The ranking score of a candidate (higher is better)."""
        if self.ranker:
            return sum(w * features.get(k, 0.0) for k, w in self.ranker.items())
        return self.a * features["lp"] + self.b * features["margin"] + self.d * features["inv_rank"]

    def logit(self, features: Mapping[str, float]) -> float:
        z = (self.a * self.score(features) if self.ranker else self.score(features)) + self.c
        return z + self.sentence_offset * features.get("reason_sentence", 0.0)

    def to_dict(self) -> dict:
        out: dict = {k: getattr(self, k) for k in ("a", "b", "c", "d")}
        if self.ranker:
            out["ranker"] = dict(self.ranker)
        if self.spans != 8:
            out["spans_per_window"] = self.spans
        if self.sentence_offset:
            out["sentence_offset"] = self.sentence_offset
        return out

    @classmethod
    def from_dict(cls, data: Mapping, where: str) -> "Scorer":
        kwargs: dict = {k: float(data[k]) for k in ("a", "b", "c", "d", "sentence_offset") if k in data}
        if "spans_per_window" in data:
            spans = data["spans_per_window"]
            if not isinstance(spans, int) or not 1 <= spans <= 100:
                raise ValueError(f"{where}: spans_per_window={spans!r} must be a whole number in 1..100")
            kwargs["spans"] = spans
        ranker = data.get("ranker")
        if isinstance(ranker, Mapping):
            kwargs["ranker"] = {str(k): float(v) for k, v in ranker.items()}
            unknown = set(kwargs["ranker"]) - set(_feature_names())
            if unknown:
                raise ValueError(
                    f"{where} weighs unknown ranker features {sorted(unknown)}; "
                    "refit it with `python -m eval.calibrate` (see the README, 'The reader')"
                )
        return cls(**kwargs)


@dataclass(frozen=True)
class Calibration(Scorer):
    threshold: float = 0.2  # refuse answers whose confidence is below this (languages not in thresholds)
    source: str = "uncalibrated"
    # per question language: the refusal threshold, a term added to the logit, and its own scorer
    thresholds: Mapping[str, float] = field(default_factory=dict)
    language_bias: Mapping[str, float] = field(default_factory=dict)
    languages: Mapping[str, Scorer] = field(default_factory=dict)
    # when the clause around the chosen span is given instead of the span (``"clause"`` in the file,
    # fitted by ``python -m eval.clause_fit``); absent: never
    clause: ClauseRule = field(default_factory=ClauseRule)
    # per question language: how the reader reorders the passages it reads (``"rerank"``, fitted by
    # ``python -m eval.rerank_fit``); a language without one keeps retrieval's order
    rerank: Mapping[str, Rerank] = field(default_factory=dict)

    def __call__(self, probability: float, margin: float, rank: int = 1, language: str | None = None) -> float:
        """The confidence of a candidate known only by its reader probability, margin and rank."""
        p = min(max(probability, 1e-6), 1 - 1e-6)
        return self.confidence({"lp": math.log(p / (1 - p)), "margin": margin, "inv_rank": 1.0 / max(1, rank)}, language)

    def scorer(self, language: str | None) -> Scorer:
        """The scorer of questions in ``language``: its own when fitted per language, else this one."""
        return self.languages.get(language, self) if language else self

    def score(self, features: Mapping[str, float], language: str | None = None) -> float:  # type: ignore[override]
        scorer = self.scorer(language)
        return Scorer.score(scorer, features)

    def confidence(self, features: Mapping[str, float], language: str | None = None) -> float:
        """The calibrated chance that the candidate with these features is the right answer."""
        z = Scorer.logit(self.scorer(language), features)
        z += self.language_bias.get(language, 0.0) if language else 0.0
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def reranking(self, language: str | None) -> Rerank:
        """How the reader orders the passages of a question in ``language`` (retrieval's order when not fitted)."""
        return self.rerank.get(language, Rerank()) if language else Rerank()

    def threshold_for(self, language: str | None) -> float:
        """The refusal threshold of questions in ``language`` (the single one when not fitted per language)."""
        return float(self.thresholds.get(language, self.threshold)) if language else self.threshold

    @classmethod
    def load(cls, path: Path = CALIBRATION) -> "Calibration":
        if not path.is_file():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        base = Scorer.from_dict(data, path.name)
        kwargs: dict = {**{k: getattr(base, k) for k in ("a", "b", "c", "d", "ranker", "spans", "sentence_offset")}}
        kwargs.update({k: data[k] for k in ("threshold", "source") if k in data})
        for k in ("thresholds", "language_bias"):
            if isinstance(data.get(k), dict):
                kwargs[k] = {str(lang): float(v) for lang, v in data[k].items()}
        if isinstance(data.get("languages"), dict):
            kwargs["languages"] = {
                str(lang): Scorer.from_dict(v, f"{path.name} ({lang})") for lang, v in data["languages"].items() if isinstance(v, dict)
            }
        if isinstance(data.get("clause"), dict):
            kwargs["clause"] = ClauseRule.from_dict(data["clause"], path.name)
        if isinstance(data.get("rerank"), dict):
            kwargs["rerank"] = {
                str(lang): Rerank.from_dict(v, f"{path.name} ({lang})") for lang, v in data["rerank"].items() if isinstance(v, dict)
            }
        return cls(**kwargs)

    def to_dict(self) -> dict:
        out = Scorer.to_dict(self)
        out["threshold"] = self.threshold
        if self.thresholds:
            out["thresholds"] = dict(self.thresholds)
        if self.language_bias:
            out["language_bias"] = dict(self.language_bias)
        if self.languages:
            out["languages"] = {lang: s.to_dict() for lang, s in self.languages.items()}
        if self.clause != ClauseRule():
            out["clause"] = self.clause.to_dict()
        if self.rerank:
            out["rerank"] = {lang: r.to_dict() for lang, r in self.rerank.items()}
        out["source"] = self.source
        return out

    @classmethod
    def amend(cls, path: Path, **changes) -> "Calibration":
        """The calibration file at ``path`` with the named fields changed, saved back (the rest
        kept): how a fitting script writes only what it fits."""
        amended = replace(cls.load(path), **changes)
        amended.save(path)
        return amended

    def save(self, path: Path = CALIBRATION) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)
