"""A report as CSV and as PDF (reportlab, with its charts from `charts`), holding the same
figures as its JSON: amounts in dollars with two decimals where JSON has cents."""

from __future__ import annotations

import csv
import html
import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Image, LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from services.reports import charts
from services.reports.base import Column, Kind, Report


def cell(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if column.kind is Kind.CENTS:
        return dollars(int(value))
    if column.kind is Kind.PERCENT:
        return f"{float(value):.1f}"
    return str(value)


def dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _total(report: Report, key: str, value: Any) -> str:
    """A total as its column shows it: dollars for amounts (a `_cents` key, or a cents column)."""
    if value is None:
        return ""
    cents = key.endswith("cents") or any(c.key == key and c.kind is Kind.CENTS for c in report.columns)
    return dollars(int(value)) if cents else str(value)


def to_csv(report: Report, rows: list[dict[str, Any]]) -> str:
    """Header, one line per row, then the totals (and ties) as `total,<key>,<value>` lines."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([c.label for c in report.columns])
    for r in rows:
        w.writerow([cell(c, r.get(c.key)) for c in report.columns])
    for key, value in report.totals.items():
        w.writerow(["total", key, _total(report, key, value)])
    for t in report.ties:
        w.writerow(["tie", t.label, dollars(t.report_cents), dollars(t.ledger_cents)])
    return buf.getvalue()


def _esc(s: str) -> str:
    return html.escape(s, quote=True)


def to_pdf(report: Report, rows: list[dict[str, Any]]) -> bytes:
    """Title and parameters, each chart, the table (repeating its header on every page), the
    totals, the ties to the trial balance and the report's notes."""
    styles = getSampleStyleSheet()
    story: list[Any] = [Paragraph(_esc(report.title), styles["Title"])]
    params = ", ".join(f"{k}: {v}" for k, v in report.params.items())
    story.append(Paragraph(_esc(params), styles["BodyText"]))
    for chart in report.charts:
        if chart.rows:
            story.append(Image(io.BytesIO(charts.png(chart)), width=9 * inch, height=9 * inch * 3 / 7))
    story.append(Spacer(1, 0.15 * inch))
    data = [[c.label for c in report.columns]] + [
        [cell(c, r.get(c.key)) for c in report.columns] for r in rows
    ]
    if len(data) == 1:
        data.append(["(none)"] + [""] * (len(report.columns) - 1))
    table = LongTable(data, repeatRows=1)
    numeric = [
        i for i, c in enumerate(report.columns) if c.kind in (Kind.CENTS, Kind.COUNT, Kind.DAYS, Kind.PERCENT)
    ]
    style = [
        ("FONTSIZE", (0, 0), (-1, -1), 7),
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f2f2")]),
    ]
    style += [("ALIGN", (i, 0), (i, -1), "RIGHT") for i in numeric]
    table.setStyle(TableStyle(style))
    story.append(table)
    story.append(Spacer(1, 0.15 * inch))
    story.append(Paragraph("Totals", styles["Heading3"]))
    for key, value in report.totals.items():
        story.append(Paragraph(_esc(f"{key}: {_total(report, key, value)}"), styles["BodyText"]))
    if report.ties:
        story.append(Paragraph("Ties to the trial balance", styles["Heading3"]))
        for t in report.ties:
            mark = "ties" if t.ties else "DOES NOT TIE"
            line = f"{t.label}: {dollars(t.report_cents)} / {dollars(t.ledger_cents)} ({mark})"
            story.append(Paragraph(_esc(line), styles["BodyText"]))
    for note in report.notes:
        story.append(Paragraph(_esc(note), styles["Italic"]))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=landscape(LETTER), title=report.title, author="RecoveryOS", invariant=1
    )
    doc.build(story)
    return buf.getvalue()
