"""Who may change the knowledge base: the admin token, and read-only servers beyond loopback."""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass

from rag.errors import RagError

TOKEN_ENV = "RAG_ADMIN_TOKEN"
MIN_TOKEN_CHARS = 16


class AccessDeniedError(RagError):
    """A request may not change the knowledge base; ``status`` is the HTTP code to answer."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and "localhost": only this machine can connect."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Access:
    """Uploads and deletions: open on loopback without a token, token-only with one, off otherwise."""

    token: str | None = None
    host: str = "127.0.0.1"

    def __post_init__(self) -> None:
        if self.token is not None and len(self.token) < MIN_TOKEN_CHARS:
            raise RagError(
                f"The admin token is {len(self.token)} characters long; use at least {MIN_TOKEN_CHARS}, "
                f"e.g. {TOKEN_ENV}=$(python -c 'import secrets; print(secrets.token_urlsafe(24))')."
            )

    @classmethod
    def for_host(cls, host: str, token: str | None) -> "Access":
        return cls(token=token or None, host=host)

    @property
    def read_only(self) -> bool:
        return self.token is None and not is_loopback(self.host)

    @property
    def needs_token(self) -> bool:
        return self.token is not None

    @property
    def mode(self) -> str:
        """"open", "token" or "read-only" (reported by /api/health)."""
        return "read-only" if self.read_only else "token" if self.needs_token else "open"

    def describe(self) -> str:
        """One line for the server log saying who may upload and delete."""
        if self.read_only:
            return (
                f"Read-only: listening on {self.host} without an admin token, so uploads and deletions are "
                f"turned off. Set {TOKEN_ENV} to allow them (clients send 'Authorization: Bearer <token>')."
            )
        if self.needs_token:
            return "Uploads and deletions need the admin token ('Authorization: Bearer <token>')."
        return f"Uploads and deletions are open to clients on this machine ({self.host})."

    def check(self, presented: str | None) -> None:
        """AccessDeniedError unless a knowledge-base change is allowed with token ``presented``."""
        if self.read_only:
            raise AccessDeniedError(
                f"This server is read-only: it listens on {self.host} without an admin token. "
                f"Restart it with {TOKEN_ENV} set to allow uploads and deletions.",
                403,
            )
        if self.token is None:
            return
        if not presented:
            raise AccessDeniedError(
                "Uploads and deletions need the admin token: send 'Authorization: Bearer <token>'.", 401
            )
        if not hmac.compare_digest(presented.encode("utf-8"), self.token.encode("utf-8")):
            raise AccessDeniedError("The admin token is wrong; uploads and deletions need the right one.", 401)

    def check_upload_allowed(self) -> None:
        """AccessDeniedError when this server takes no uploads at all (read-only)."""
        if self.read_only:
            self.check(None)

    def check_header(self, authorization: str | None) -> None:
        """Like :meth:`check`, given an HTTP Authorization header ("Bearer <token>")."""
        scheme, _, value = (authorization or "").strip().partition(" ")
        self.check(value.strip() if scheme.lower() == "bearer" else None)
