"""Offset pages over a statement, for the list routes: one query, one row more than the page
to know whether another follows, no count(*)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from core.errors import Rejected

T = TypeVar("T")
MAX_LIMIT = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    limit: int
    offset: int
    # The offset of the next page, or None when this is the last one.
    next_offset: int | None


def page(session: Session, stmt: Select[T], limit: int, offset: int) -> Page[T]:
    if not 1 <= limit <= MAX_LIMIT:
        raise Rejected(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    if offset < 0:
        raise Rejected("offset must not be negative", field="offset")
    rows = list(session.scalars(stmt.limit(limit + 1).offset(offset)))
    more = len(rows) > limit
    return Page(rows[:limit], limit, offset, offset + limit if more else None)


def ordered(stmt: Select[T], sort: StrEnum, columns: Mapping[str, Any], tiebreak: Any) -> Select[T]:
    """Order by a whitelisted sort key ("field" ascending, "-field" descending), then by id so
    pages never overlap or skip a row."""
    col = columns[sort.value.lstrip("-")]
    key = col.desc().nulls_last() if sort.value.startswith("-") else col.asc().nulls_last()
    return stmt.order_by(key, tiebreak)


def matching(stmt: Select[T], *pairs: tuple[Any, Any]) -> Select[T]:
    """`column == value` for every pair whose value was given (not None)."""
    for col, value in pairs:
        if value is not None:
            stmt = stmt.where(col == value)
    return stmt


def within(stmt: Select[T], col: Any, first: date | None, last: date | None, last_field: str) -> Select[T]:
    """Rows whose timestamp falls on a day from `first` to `last`, both included (UTC days);
    a window that ends before it starts is refused naming `last_field`."""
    if first is not None and last is not None and last < first:
        raise Rejected(f"{last_field} is before the window's start", field=last_field)
    if first is not None:
        stmt = stmt.where(col >= datetime.combine(first, time(0), tzinfo=UTC))
    if last is not None:
        stmt = stmt.where(col < datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC))
    return stmt
