"""The list routes' common shape: `limit`/`offset` query parameters with a maximum, and a page
envelope that says where the next page starts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from services.paging import MAX_LIMIT, Page

T = TypeVar("T")
S = TypeVar("S")

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size, at most {MAX_LIMIT}")]
Offset = Annotated[
    int, Query(ge=0, le=1_000_000, description="rows to skip: a previous page's `next_offset`")
]


class PageOut(BaseModel, Generic[T]):
    items: list[T] = Field(description="this page's rows, in the requested order")
    limit: int = Field(description="the page size asked for")
    offset: int = Field(description="rows skipped before this page")
    next_offset: int | None = Field(description="`offset` of the next page; null on the last page")

    @classmethod
    def of(cls, p: Page[S], convert: Callable[[S], T]) -> PageOut[T]:
        return cls(
            items=[convert(i) for i in p.items], limit=p.limit, offset=p.offset, next_offset=p.next_offset
        )
