"""PNG charts of an evaluation (matplotlib, Agg canvas, no global pyplot state)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .report import ConfigResult


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(fig)
    return fig


def accuracy_plot(results: Sequence[ConfigResult], path: Path) -> Path:
    """Grouped bars: accuracy overall, zh and en, and refusal of unanswerable, per configuration."""
    import numpy as np

    shown = [r for r in results if not r.skipped]
    series = [("overall", "accuracy"), ("zh", "zh/accuracy"), ("en", "en/accuracy"), ("unanswerable refused", "refusal_rate")]
    fig = _figure(max(6.0, 1.4 * len(shown) + 2), 4.2)
    ax = fig.add_subplot()
    x = np.arange(len(shown))
    width = 0.8 / len(series)
    for i, (label, key) in enumerate(series):
        values = [100 * (r.metrics.get(key) or 0.0) for r in shown]
        bars = ax.bar(x + (i - (len(series) - 1) / 2) * width, values, width, label=label)
        ax.bar_label(bars, fmt="%.0f", fontsize=7, padding=1)
    ax.set_xticks(x, [r.name for r in shown])
    ax.set_ylabel("% of questions")
    ax.set_ylim(0, 128)
    ax.set_title("Accuracy per configuration and language")
    ax.legend(fontsize=8, loc="upper center", ncols=len(series), frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    return path


def latency_plot(results: Sequence[ConfigResult], path: Path) -> Path:
    """Box plots of per-question answer latency and its retrieval part per configuration (log scale)."""
    shown = [r for r in results if not r.skipped and r.answers]
    fig = _figure(max(6.0, 1.4 * len(shown) + 2), 4.2)
    ax = fig.add_subplot()
    data, labels = [], []
    for r in shown:
        data.append([max(a.latency_ms, 0.01) for a in r.answers])
        labels.append(f"{r.name}\nanswer")
        retrieval = [a.retrieval_ms for a in r.answers if a.retrieval_ms is not None]
        if retrieval:
            data.append([max(ms, 0.01) for ms in retrieval])
            labels.append(f"{r.name}\nretrieval")
    if data:
        ax.boxplot(data, tick_labels=labels, showfliers=True)
        ax.set_yscale("log")
        ax.tick_params(axis="x", labelsize=7)
    ax.set_ylabel("ms per question (log)")
    ax.set_title("Latency distribution")
    fig.tight_layout()
    fig.savefig(path)
    return path


def coverage_plot(results: Sequence[ConfigResult], path: Path) -> Path | None:
    """Accuracy of the kept answers against coverage, as the confidence threshold rises."""
    from .evaluators import coverage_curve

    shown = [r for r in results if not r.skipped and any(a.confidence for a in r.answers)]
    if not shown:
        return None
    fig = _figure(6.0, 4.2)
    ax = fig.add_subplot()
    for r in shown:
        points = [p for p in coverage_curve(r.answers) if p["coverage"] > 0]
        ax.plot([100 * p["coverage"] for p in points], [100 * p["accuracy"] for p in points], marker=".", label=r.name)
    ax.set_xlabel("coverage: % of answerable questions answered")
    ax.set_ylabel("accuracy of the answers given (%)")
    ax.set_xlim(0, 102)
    ax.set_ylim(0, 102)
    ax.set_title("Coverage vs accuracy over the confidence threshold")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    return path


def write_plots(results: Sequence[ConfigResult], out_dir: Path) -> list[Path]:
    """accuracy.png, latency.png and (when answers carry confidence) coverage.png in ``out_dir``."""
    plots = [accuracy_plot(results, out_dir / "accuracy.png"), latency_plot(results, out_dir / "latency.png")]
    coverage = coverage_plot(results, out_dir / "coverage.png")
    return plots + ([coverage] if coverage else [])
