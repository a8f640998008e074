"""`python -m eval.reliability` runs the reliability tests and prints the figures table."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from reliability_helpers import ROOT, clean_env


@pytest.mark.slow
def test_reliability_figures_run_prints_the_table(tmp_path) -> None:
    out = tmp_path / "figures.json"
    result = subprocess.run(
        [sys.executable, "-m", "eval.reliability", "--only", "properties", "--json", str(out)],
        cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "| Property-test cases run with 0 crashes |" in result.stdout
    figures = json.loads(out.read_text())["figures"]
    assert figures["property_cases"]["passed"] == figures["property_cases"]["total"] > 100
