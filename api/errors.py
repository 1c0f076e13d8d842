"""Domain errors raised by services; the HTTP layer renders them as problem+json.

Each error carries a stable machine-readable ``code``; its title and detail in English and
Indonesian live in ``api.i18n``. Nothing here imports Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """Base class: a refusal with an HTTP status, a stable code and optional field errors."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        code: str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        errors: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
        persist: bool = False,
    ) -> None:
        self.code = code or self.code
        # True when what was written before the refusal must still be committed
        # (a failed sign-in on record, a session revoked after token reuse).
        self.persist = persist
        self.params = dict(params or {})
        self.errors = dict(errors) if errors else None
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        super().__init__(self.code)


class Unauthorized(DomainError):
    """Who are you? (missing, invalid or expired credentials)"""

    status = 401
    code = "authentication_required"

    def __init__(self, code: str | None = None, **kwargs: Any) -> None:
        super().__init__(code, **kwargs)
        self.headers.setdefault("WWW-Authenticate", 'Bearer realm="berdaya"')


class Forbidden(DomainError):
    """You may not do this."""

    status = 403
    code = "forbidden"


class NotFound(DomainError):
    """It does not exist, or the caller may not know that it does."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request conflicts with the current state."""

    status = 409
    code = "conflict"


class ValidationFailed(DomainError):
    """The input is well-formed but refused; ``errors`` names the fields."""

    status = 422
    code = "validation_failed"


class PreconditionFailed(DomainError):
    """The resource changed since the caller read it (stale If-Match)."""

    status = 412
    code = "precondition_failed"


class TooManyRequests(DomainError):
    """Slow down; ``Retry-After`` says for how long."""

    status = 429
    code = "rate_limited"

    def __init__(self, code: str | None = None, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(code, **kwargs)
        self.retry_after = max(1, int(retry_after))
        self.headers["Retry-After"] = str(self.retry_after)


class ServiceUnavailable(DomainError):
    """A dependency (the database) is unreachable; try again shortly."""

    status = 503
    code = "service_unavailable"


class UnsupportedMediaType(DomainError):
    """The body is in a format this endpoint does not take."""

    status = 415
    code = "unsupported_media_type"
