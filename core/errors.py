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


def _constraint_field(name: str, table: str | None) -> str:
    # Our naming convention is <kind>_<table>_<columns>: what is left after the table is the field.
    for kind in ("uq", "ix", "ex", "fk", "ck"):
        prefix = f"{kind}_{table}_" if table else None
        if prefix and name.startswith(prefix):
            return name[len(prefix) :]
    return name


def conflict_from_integrity(exc: Exception) -> DomainError | None:
    """A unique or exclusion violation as a Conflict naming what collided; a check or foreign
    key violation as Rejected. None for anything a user cannot cause (let it surface)."""
    orig = getattr(exc, "orig", exc)
    sqlstate = getattr(orig, "sqlstate", None)
    diag = getattr(orig, "diag", None)
    table = getattr(diag, "table_name", None)
    field = _constraint_field(getattr(diag, "constraint_name", None) or "record", table)
    where = f" in {table}" if table else ""
    if sqlstate == "23505":
        return Conflict(f"{field} already exists{where}", field=field)
    if sqlstate == "23P01":
        return Conflict(f"{field} overlaps an existing entry{where}", field=field)
    if sqlstate in ("23503", "23514"):
        return Rejected(f"{field} violates a data rule{where}", field=field)
    return None
