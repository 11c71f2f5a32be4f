"""A resident's monthly statements (NARR 3.0 asks that residents get payment statements on
request): the months their ledger has lines in, and one month's statement as lines with a
running balance (billing's `statement`, summed from the ledger) rendered to PDF by reportlab in
invariant mode (the same month gives the same bytes).
"""

from __future__ import annotations

import calendar
import html
import io
import re
import uuid
from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import NotFound
from models.payments import LedgerEntry
from services import residents
from services.billing import reads
from services.billing.links import dollars
from services.billing.reads import Statement

MONTH = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Month:
    key: str  # "2026-11"
    label: str  # "November 2026"

    @property
    def first_day(self) -> date:
        y, m = (int(x) for x in self.key.split("-"))
        return date(y, m, 1)

    @property
    def last_day(self) -> date:
        d = self.first_day
        return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def month(key: str) -> Month:
    m = MONTH.match(key)
    if m is None:
        raise NotFound("no statement for that month", field="month")
    y, mo = int(m.group(1)), int(m.group(2))
    return Month(key, f"{calendar.month_name[mo]} {y}")


def months(session: Session, resident_id: uuid.UUID) -> list[Month]:
    """The months with ledger lines for the resident, newest first."""
    residents.get_resident(session, resident_id)
    first = func.date_trunc("month", LedgerEntry.effective_date)
    rows = session.scalars(
        select(first).where(LedgerEntry.resident_id == resident_id).group_by(first).order_by(first.desc())
    )
    return [month(f"{d.year:04d}-{d.month:02d}") for d in rows]


def statement(session: Session, resident_id: uuid.UUID, key: str) -> tuple[Month, Statement]:
    """One month's statement; a month without lines is still a statement (opening = closing)."""
    m = month(key)
    return m, reads.statement(session, resident_id, m.first_day, m.last_day)


def money(cents: int) -> str:
    """-$12.50 or $12.50 (billing's `dollars` is for amounts due, never negative)."""
    return f"-{dollars(-cents)}" if cents < 0 else dollars(cents)


def describe(line: reads.StatementLine) -> str:
    if line.payment_id is not None:
        return "Payment, thank you"
    if line.refund_id is not None:
        return "Refund"
    return (line.description or "Charge").capitalize()


def pdf(house: str, name: str, m: Month, st: Statement) -> bytes:
    styles = getSampleStyleSheet()
    esc = html.escape
    rows: list[list[str]] = [["Date", "What", "Amount", "Balance"]]
    rows += [
        [line.effective_date.isoformat(), describe(line), money(line.change_cents), money(line.balance_cents)]
        for line in st.lines
    ]
    table = Table(rows, repeatRows=1)
    table.setStyle(
        TableStyle([("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"), ("ALIGN", (2, 0), (-1, -1), "RIGHT")])
    )
    story: list[object] = [
        Paragraph(esc(f"Statement for {m.label}"), styles["Title"]),
        Paragraph(esc(f"{name}, {house}"), styles["BodyText"]),
        Spacer(1, 12),
        Paragraph(
            esc(f"Balance on {m.first_day.isoformat()}: {money(st.opening_balance_cents)}"),
            styles["BodyText"],
        ),
        Spacer(1, 6),
        table,
        Spacer(1, 6),
        Paragraph(
            esc(f"Balance on {m.last_day.isoformat()}: {money(st.closing_balance_cents)}"), styles["BodyText"]
        ),
    ]
    buf = io.BytesIO()
    SimpleDocTemplate(
        buf, pagesize=LETTER, title=f"Statement {m.key}", author="RecoveryOS", invariant=1
    ).build(story)
    return buf.getvalue()
