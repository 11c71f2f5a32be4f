"""Domain errors: raised by services and activities, mapped once to HTTP in `api/errors.py`.

Each is a non-retryable Temporal `ApplicationError`, so an activity that raises one fails
its workflow step at once instead of retrying, and the message crosses the workflow boundary
(encrypted by the failure converter) to the API unchanged. Messages name the field or the
resource, never a PHI value.
"""

from __future__ import annotations

from typing import Any

from temporalio.exceptions import ApplicationError


class DomainError(ApplicationError):
    status = 400
    kind = "DomainError"

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        extra = {"field": field, **details} if field else details
        super().__init__(message, extra or None, type=self.kind, non_retryable=True)
        self.field = field


class NotFound(DomainError):
    """The resource does not exist in the caller's org (or at all: the two are not told apart)."""

    status = 404
    kind = "NotFound"


class Conflict(DomainError):
    """The request collides with the current state: a taken bed, a decided lead, a reused key."""

    status = 409
    kind = "Conflict"


class Rejected(DomainError):
    """Well-formed input that the rules refuse (a date out of range, a forbidden transition)."""

    status = 422
    kind = "Rejected"


DOMAIN_ERRORS: dict[str, type[DomainError]] = {c.kind: c for c in (NotFound, Conflict, Rejected)}
