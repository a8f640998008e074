"""From the reader's pooled span probability to a calibrated confidence.

A logistic model over each candidate answer, ``confidence = sigmoid(a * logit(p) + b * margin +
d / rank + c + bias[language])``, where ``p`` is the span's pooled softmax probability,
``margin`` its score over the best "no answer" score, ``rank`` the retrieval rank of its passage
and ``language`` the question's language (``zh`` / ``en``, from the pipeline's question
analysis). It both ranks the candidates (the answer is the one with the highest confidence) and
calibrates them (Platt scaling). The numbers and the refusal threshold of each language are
fitted on validation questions by ``python -m eval.calibrate`` (see the README) and stored beside
the weights as JSON.

Older files carry one ``threshold`` and no language terms: they load as that threshold for every
language and no language bias."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

CALIBRATION = Path(__file__).parent / "weights" / "calibration.json"


@dataclass(frozen=True)
class Calibration:
    a: float = 1.0
    b: float = 0.0
    c: float = 0.0
    d: float = 0.0
    threshold: float = 0.2  # refuse answers whose confidence is below this (languages not in thresholds)
    source: str = "uncalibrated"
    # per question language: the refusal threshold, and a term added to the logit
    thresholds: Mapping[str, float] = field(default_factory=dict)
    language_bias: Mapping[str, float] = field(default_factory=dict)

    def __call__(self, probability: float, margin: float, rank: int = 1, language: str | None = None) -> float:
        p = min(max(probability, 1e-6), 1 - 1e-6)
        z = self.a * math.log(p / (1 - p)) + self.b * margin + self.d / max(1, rank) + self.c
        z += self.language_bias.get(language, 0.0) if language else 0.0
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def threshold_for(self, language: str | None) -> float:
        """The refusal threshold of questions in ``language`` (the single one when not fitted per language)."""
        return float(self.thresholds.get(language, self.threshold)) if language else self.threshold

    @classmethod
    def load(cls, path: Path = CALIBRATION) -> "Calibration":
        if not path.is_file():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        kwargs = {k: data[k] for k in ("a", "b", "c", "d", "threshold", "source") if k in data}
        for k in ("thresholds", "language_bias"):
            if isinstance(data.get(k), dict):
                kwargs[k] = {str(lang): float(v) for lang, v in data[k].items()}
        return cls(**kwargs)

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in ("a", "b", "c", "d", "threshold")}
        if self.thresholds:
            out["thresholds"] = dict(self.thresholds)
        if self.language_bias:
            out["language_bias"] = dict(self.language_bias)
        out["source"] = self.source
        return out

    def save(self, path: Path = CALIBRATION) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)
