"""Reliability figures: run the reliability tests and print one table of what they measured.

    python -m eval.reliability [--json FILE] [--only crash,concurrency,...]

Each reliability test calls :func:`record` with what it checked (e.g. 20 of 20 kill points
survived); this command runs those tests in a pytest subprocess with ``RAG_RELIABILITY_FIGURES``
pointing at a scratch file, then sums the records into the table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Sequence

FIGURES_ENV = "RAG_RELIABILITY_FIGURES"
ROOT = Path(__file__).resolve().parents[1]
GROUPS = {
    "crash": "tests/test_reliability_crash.py",
    "concurrency": "tests/test_reliability_concurrency.py",
    "properties": "tests/test_properties.py",
    "hostile": "tests/test_hostile_files.py",
    "security": "tests/test_ui_security.py",
}
# Row label per figure name, in table order.
ROWS = {
    "kill_points": "Kill points survived (SIGKILL during ingest, remove, optimize, upload)",
    "concurrent_asks": "Concurrent requests answered right (while another process ingests)",
    "property_cases": "Property-test cases run with 0 crashes",
    "hostile_files": "Hostile files and names refused, index unchanged",
    "corrupt_index": "Damaged index files detected (exit 1, rebuild hint, no traceback)",
    "browser_payloads": "Browser payloads inert (shown as text, nothing ran)",
    "http_limits": "Over-limit / unauthorised requests answered 4xx/503",
}


def record(name: str, passed: int, total: int, note: str = "") -> None:
    """Add one figure (``passed`` of ``total``) when the figures run asked for them; else nothing."""
    path = os.environ.get(FIGURES_ENV)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps({"name": name, "passed": int(passed), "total": int(total), "note": note}) + "\n")


def summarize(records: Sequence[dict]) -> dict[str, dict]:
    """Sum the records per figure name: {name: {passed, total, notes}}."""
    out: dict[str, dict] = {}
    for r in records:
        row = out.setdefault(r["name"], {"passed": 0, "total": 0, "notes": []})
        row["passed"] += r["passed"]
        row["total"] += r["total"]
        if r.get("note"):
            row["notes"].append(r["note"])
    return out


def table(figures: dict[str, dict]) -> str:
    """A Markdown table, one row per figure."""
    lines = ["| Check | Result |", "|---|---|"]
    names = [n for n in ROWS if n in figures] + sorted(set(figures) - set(ROWS))
    for name in names:
        f = figures[name]
        mark = "✅" if f["passed"] == f["total"] else "❌"
        result = (
            f"{f['passed']:,} cases, 0 crashes"
            if name == "property_cases" and f["passed"] == f["total"]
            else f"{f['passed']}/{f['total']}"
        )
        lines.append(f"| {ROWS.get(name, name)} | {result} {mark} |")
    return "\n".join(lines)


def run(groups: Sequence[str], *, pytest_args: Sequence[str] = ()) -> tuple[int, dict[str, dict]]:
    """Run the chosen test groups in pytest; returns (pytest exit code, figures)."""
    files = [GROUPS[g] for g in groups]
    with tempfile.TemporaryDirectory(prefix="rag-reliability-") as tmp:
        out = Path(tmp) / "figures.jsonl"
        out.touch()
        env = {**os.environ, FIGURES_ENV: str(out)}
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "", *files, *pytest_args]
        code = subprocess.call(cmd, cwd=ROOT, env=env)
        records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    return code, summarize(records)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.reliability", description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, dest="json_out", help="also write the figures as JSON")
    parser.add_argument(
        "--only", default=",".join(GROUPS), help=f"comma-separated groups (default all): {', '.join(GROUPS)}"
    )
    args = parser.parse_args(argv)
    groups = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        parser.error(f"unknown group(s) {unknown}; choose from {', '.join(GROUPS)}")
    code, figures = run(groups)
    print()
    print(table(figures))
    if args.json_out:
        payload = {"groups": groups, "pytest_exit_code": code, "figures": figures}
        args.json_out.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    failed = any(f["passed"] != f["total"] for f in figures.values())
    return 1 if code != 0 or failed or not figures else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
