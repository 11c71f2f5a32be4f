"""The signed document and its certificate of completion, as PDF (reportlab) and HTML.

PDFs are built with reportlab's invariant mode, so the same trail gives the same bytes: a
retried completion writes an identical object.
"""

from __future__ import annotations

import html
import io
from dataclasses import replace
from datetime import datetime

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.signing.trail import EventLine, Trail


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _pdf(title: str, story: list[object]) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=LETTER, title=title, author="RecoveryOS", invariant=1)
    doc.build(story)
    return buf.getvalue()


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at else ""


def signed_document_pdf(t: Trail) -> bytes:
    """The document as every signer saw it, then each signature adopted."""
    styles = getSampleStyleSheet()
    story: list[object] = [Paragraph(_esc(t.title), styles["Title"])]
    for para in t.content.split("\n"):
        story.append(Paragraph(_esc(para) or "&nbsp;", styles["BodyText"]))
    story += [Spacer(1, 0.3 * inch), Paragraph("Signatures", styles["Heading2"])]
    for s in t.signers:
        story.append(
            Paragraph(f"{_esc(s.role)}: {_esc(s.name)}, signed {_when(s.signed_at)}", styles["BodyText"])
        )
        if s.drawn_png:
            story.append(Image(io.BytesIO(s.drawn_png), width=2.5 * inch, height=0.8 * inch))
        elif s.typed:
            story.append(Paragraph(f"<i>/s/ {_esc(s.typed)}</i>", styles["BodyText"]))
    story.append(Paragraph(f"{ORIGINAL_LABEL}: {t.original_sha256}", styles["Code"]))
    return _pdf(t.title, story)


def completed(t: Trail, signed_sha256: str, at: datetime) -> Trail:
    """The trail as it reads once the completion event is written."""
    last = t.events[-1].sha256_after if t.events else t.original_sha256
    done = EventLine(at, "completed", "", "", "", "", last, last)
    return replace(t, events=[*t.events, done], signed_sha256=signed_sha256, completed_at=at)


# What each hash is of, in the words the certificate uses (the HTML page says the same).
ORIGINAL_LABEL = "SHA-256 of the content as sent for signing"
SIGNED_LABEL = "SHA-256 of the signed PDF (check a copy with POST /v1/documents/verify)"
# Letter paper less SimpleDocTemplate's 1-inch margins: every table is exactly this wide.
WIDTH = 6.5 * inch


def certificate_pdf(t: Trail) -> bytes:
    """Laid out as the HTML certificate is: the document and its two labelled hashes, then one
    row per event (time, event, signer, from where) with that event's content hashes beneath it,
    all within the page's margins."""
    styles = getSampleStyleSheet()
    body = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    label = body.clone("label", fontName="Helvetica-Bold")
    mono = styles["Code"].clone("mono", fontSize=7, leading=9, leftIndent=0)
    grid = [("GRID", (0, 0), (-1, -1), 0.25, "#888888"), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    facts = Table(
        [
            [Paragraph("Document", label), Paragraph(_esc(t.title), body)],
            [Paragraph("Document id", label), Paragraph(str(t.document_id), mono)],
            [Paragraph("Completed", label), Paragraph(_day_time(t.completed_at), body)],
            [Paragraph(ORIGINAL_LABEL, label), Paragraph(t.original_sha256, mono)],
            [Paragraph(SIGNED_LABEL, label), Paragraph(t.signed_sha256 or "not signed yet", mono)],
        ],
        colWidths=[1.9 * inch, WIDTH - 1.9 * inch],
    )
    facts.setStyle(TableStyle(grid))
    head = [Paragraph(h, label) for h in ("Time", "Event", "Signer", "From (IP address, browser)")]
    rows: list[list[object]] = [head]
    spans = []
    for e in t.events:
        rows.append(
            [
                Paragraph(_day_time(e.at), body),
                Paragraph(_esc(e.event.replace("_", " ")), body),
                Paragraph(_esc(f"{e.signer} ({e.role})" if e.role else e.signer), body),
                Paragraph(_esc(f"{e.ip} {e.user_agent}"), body),
            ]
        )
        rows.append(
            [
                Paragraph(
                    f"content SHA-256 before {e.sha256_before}<br/>"
                    f"content SHA-256 after&nbsp; {e.sha256_after}",
                    mono,
                )
            ]
            + [""] * 3
        )
        spans.append(("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)))
    events = Table(rows, colWidths=[1.65 * inch, 0.95 * inch, 1.5 * inch, WIDTH - 4.1 * inch], repeatRows=1)
    events.setStyle(TableStyle([*grid, *spans, ("BACKGROUND", (0, 0), (-1, 0), "#eeeeee")]))
    story: list[object] = [
        Paragraph("Certificate of completion", styles["Title"]),
        facts,
        Spacer(1, 0.2 * inch),
        Paragraph("Events", styles["Heading2"]),
        events,
    ]
    return _pdf(f"Certificate of completion: {t.title}", story)


def _day_time(at: datetime | None) -> str:
    """The day and the time kept whole: a cell may break between them, never inside one."""
    return _when(at).replace(" ", "&nbsp;", 1).replace(" UTC", "&nbsp;UTC") if at else ""


def certificate_html(t: Trail) -> str:
    rows = "\n".join(
        f"<tr><td>{_when(e.at)}</td><td>{e.event}</td><td>{_esc(e.signer)}"
        f"{' (' + _esc(e.role) + ')' if e.role else ''}</td>"
        f"<td>{_esc(e.ip)}</td><td>{_esc(e.user_agent)}</td>"
        f"<td><code>{e.sha256_before}</code></td><td><code>{e.sha256_after}</code></td></tr>"
        for e in t.events
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Certificate of completion: {_esc(t.title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:1rem;line-height:1.4}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #888;padding:.3rem;text-align:left;vertical-align:top;font-size:.85rem}}
code{{word-break:break-all}}</style></head>
<body><main>
<h1>Certificate of completion</h1>
<dl><dt>Document</dt><dd>{_esc(t.title)} ({t.document_id})</dd>
<dt>Status</dt><dd>{t.status.value}</dd>
<dt>Completed</dt><dd>{_when(t.completed_at)}</dd>
<dt>{ORIGINAL_LABEL}</dt><dd><code>{t.original_sha256}</code></dd>
<dt>{SIGNED_LABEL}</dt><dd><code>{t.signed_sha256 or "not signed yet"}</code></dd></dl>
<h2>Events</h2>
<table><thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Signer</th>
<th scope="col">IP address</th><th scope="col">User agent</th><th scope="col">SHA-256 before</th>
<th scope="col">SHA-256 after</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</main></body></html>
"""
