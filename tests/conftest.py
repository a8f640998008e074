"""Shared fixtures: one real index of the bundled corpus per test session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "rag" / "data" / "corpus"
DEV_SET = ROOT / "rag" / "data" / "dev_qa.jsonl"


@pytest.fixture(scope="session")
def built_home(tmp_path_factory) -> Path:
    """A RAG_HOME whose index holds the bundled sample corpus (built once, real model)."""
    from rag.pipeline import Pipeline
    from rag.settings import load_settings

    home = tmp_path_factory.mktemp("rag-home")
    Pipeline(load_settings({"home": home}, environ={})).ingest([CORPUS])
    return home


@pytest.fixture(scope="session")
def pipeline(built_home):
    """A pipeline over the shared index (read-only use)."""
    from rag.pipeline import Pipeline
    from rag.settings import load_settings

    return Pipeline(load_settings({"home": built_home}, environ={}))


@pytest.fixture
def home_copy(built_home, tmp_path) -> Path:
    """A private copy of the built index, for tests that change it."""
    dest = tmp_path / "home"
    shutil.copytree(built_home, dest)
    return dest
