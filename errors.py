"""The one exception tree of cqfriends.

It lives in ``normalize`` because every layer already depends on this package
(it owns the ``Post`` schema), so importing the errors never pulls in I/O.
"""

from __future__ import annotations

from datetime import datetime


class CqfError(Exception):
    """Root of every error cqfriends raises on purpose."""

    exit_code = 1
    http_status = 500


class ConfigError(CqfError):
    """config.yaml or the environment is wrong; ``problems`` lists each key path."""

    exit_code = 2

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class CollectorError(CqfError):
    """A collector could not fetch; the source is skipped this run."""

    http_status = 502


class RateLimited(CollectorError):
    """The platform said 'too many calls'; try again after ``reset_at`` (UTC)."""

    def __init__(self, message: str, reset_at: datetime | None = None):
        self.reset_at = reset_at
        super().__init__(message)


class AuthError(CollectorError):
    """The token is invalid, expired or lacks a permission: retrying cannot help."""


class BadInput(CqfError):
    """One unusable input row or item, named by file, line and field."""

    http_status = 400

    def __init__(
        self, reason: str, *, file: str | None = None, line: int | None = None,
        field: str | None = None,
    ):
        self.reason, self.file, self.line, self.field = reason, file, line, field
        super().__init__(self.where() + reason)

    def where(self) -> str:
        parts = [p for p in (self.file, self.line and f"line {self.line}") if p]
        if self.field:
            parts.append(f"field {self.field!r}")
        return (", ".join(str(p) for p in parts) + ": ") if parts else ""


class NormalizeError(BadInput):
    """A raw item cannot become a Post; the caller counts it and goes on."""


class NotFound(CqfError):
    http_status = 404


class Conflict(CqfError):
    """A decision raced another one (claimed or decided by someone else)."""

    http_status = 409


class Forbidden(CqfError):
    http_status = 403
