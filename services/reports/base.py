"""One shape for every report, so JSON, CSV and PDF are three renderings of the same figures.

A report is a table (columns and rows), its totals, the ties that prove it against the ledger's
trial balance (financial reports), and the chart its PDF draws."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.errors import NotFound, Rejected
from core.scope import ScopeKind
from models.orgs import House
from models.residents import Resident


class Kind(StrEnum):
    TEXT = "text"
    CENTS = "cents"
    COUNT = "count"
    DAYS = "days"
    PERCENT = "percent"
    DATE = "date"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Kind = Kind.TEXT


@dataclass(frozen=True)
class Tie:
    """A report figure beside the ledger's own: equal when the report ties out."""

    label: str
    report_cents: int
    ledger_cents: int

    @property
    def ties(self) -> bool:
        return self.report_cents == self.ledger_cents


@dataclass(frozen=True)
class Chart:
    """What the PDF draws: bars (one series per key) or lines over the rows' `x` column."""

    kind: str  # "bar" | "line"
    title: str
    x: str
    series: Sequence[str]
    y_label: str = ""
    # The points drawn (a report's totals by something, or its rows); cents are drawn as dollars.
    rows: Sequence[dict[str, Any]] = ()


@dataclass
class Report:
    name: str
    title: str
    params: dict[str, str]
    columns: list[Column]
    rows: list[dict[str, Any]]
    totals: dict[str, int | float | None] = field(default_factory=dict)
    ties: list[Tie] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Fills the rows' names (decrypting them) for the rows about to be shown, and only those.
    name_rows: Callable[[Session, list[dict[str, Any]]], None] | None = None

    def sliced(self, session: Session, offset: int, limit: int | None) -> list[dict[str, Any]]:
        rows = self.rows[offset : None if limit is None else offset + limit]
        if self.name_rows is not None:
            self.name_rows(session, rows)
        return rows


def org_wide(session: Session) -> bool:
    return bool(session.info["scope"].kind is ScopeKind.ORG)


def visible_houses(session: Session, house_id: uuid.UUID | None) -> list[uuid.UUID] | None:
    """The houses a report may show: None for all of an org-wide caller's; a scoped caller's
    own houses (row security decides); only `house_id` when one is named, 404 when the caller
    cannot see it."""
    if house_id is not None:
        found = session.scalar(select(House.id).where(House.id == house_id, House.deleted_at.is_(None)))
        if found is None:
            raise NotFound("house not found", field="house_id")
        return [house_id]
    if org_wide(session):
        return None
    return list(session.scalars(select(House.id).where(House.deleted_at.is_(None))))


def period(first: date, last: date) -> None:
    if last < first:
        raise Rejected("to is before from", field="to")
    if (last - first).days > 3 * 366:
        raise Rejected("a report covers at most three years", field="to")


def account_ids(session: Session, codes: Sequence[str]) -> dict[str, uuid.UUID]:
    """The org's ledger accounts by code, read only (a report never creates one); a code the
    org has no account for maps to an id nobody has, so its sums are zero."""
    rows = session.execute(
        text("SELECT code, id FROM ledger_accounts WHERE deleted_at IS NULL AND code = ANY(:codes)"),
        {"codes": list(codes)},
    ).all()
    found = {r.code: r.id for r in rows}
    return {c: found.get(c, uuid.UUID(int=0)) for c in codes}


def resident_names(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names of the residents shown (decrypted, so audited as a read when the transaction ends)."""
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    found = session.scalars(select(Resident).where(Resident.id.in_(wanted))).all()
    return {r.id: " ".join(x for x in (r.first_name, r.last_name) if x) for r in found}


def name_residents(session: Session, rows: list[dict[str, Any]]) -> None:
    names = resident_names(session, [r["resident_id"] for r in rows if r.get("resident_id")])
    for r in rows:
        if r.get("resident_id"):
            r["resident"] = names.get(r["resident_id"], "")
