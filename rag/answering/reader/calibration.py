"""From the reader's pooled span probability to a calibrated confidence.

A logistic model over each candidate answer, ``confidence = sigmoid(a * logit(p) + b * margin +
d / rank + c)``, where ``p`` is the span's pooled softmax probability, ``margin`` its score over
the best "no answer" score and ``rank`` the retrieval rank of its passage. It both ranks the
candidates (the answer is the one with the highest confidence) and calibrates them (Platt
scaling). The four numbers and the refusal threshold are fitted on validation questions by
``python -m eval.calibrate`` (see the README) and stored beside the weights as JSON."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

CALIBRATION = Path(__file__).parent / "weights" / "calibration.json"


@dataclass(frozen=True)
class Calibration:
    a: float = 1.0
    b: float = 0.0
    c: float = 0.0
    d: float = 0.0
    threshold: float = 0.2  # refuse answers whose confidence is below this
    source: str = "uncalibrated"

    def __call__(self, probability: float, margin: float, rank: int = 1) -> float:
        p = min(max(probability, 1e-6), 1 - 1e-6)
        z = self.a * math.log(p / (1 - p)) + self.b * margin + self.d / max(1, rank) + self.c
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    @classmethod
    def load(cls, path: Path = CALIBRATION) -> "Calibration":
        if not path.is_file():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(**{k: data[k] for k in ("a", "b", "c", "d", "threshold", "source") if k in data})

    def save(self, path: Path = CALIBRATION) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.__dict__, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)
