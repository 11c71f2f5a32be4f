"""The destruction certificate (PDF, reportlab in invariant mode so a retried run writes the same
bytes): which run, who confirmed it and when, how many records of each type were destroyed or
saved by a hold placed since the dry run, each type's policy and legal basis, how they were
destroyed, and that the audit log was kept. Ids and counts only: never what a record said."""

from __future__ import annotations

import html
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy.orm import Session

from core.contracts.retention import FLOORS, RecordType
from models.orgs import Organization
from models.users import User
from services.retention import policies
from services.retention.runs import get_run

LABELS = {
    RecordType.DOCUMENT.value: "Documents (with their versions, signatures and files)",
    RecordType.RESIDENT.value: "Discharged residents' records (with discharges, drug tests and files)",
    RecordType.BREACH_INCIDENT.value: "Breach incidents (assessment, decision, letters, report)",
}
METHOD = (
    "Every encrypted field of each record was erased in PostgreSQL (its ciphertext removed, or "
    "overwritten where the column may not be empty) and each of its files was deleted from the "
    "file store. Ids, dates, statuses and content digests were kept: they show that a record "
    "existed and what became of it, not what it said."
)


@dataclass(frozen=True)
class CertificateFacts:
    operator: str
    run_id: uuid.UUID
    run_on: date
    listed_at: datetime
    confirmed_by: str
    confirmed_at: datetime
    destroyed_at: datetime
    destroyed: dict[str, int]
    skipped: dict[str, int]
    policies: dict[str, str]


def facts(session: Session, run_id: uuid.UUID) -> CertificateFacts:
    run = get_run(session, run_id)
    assert run.confirmed_at is not None and run.destroyed_at is not None
    org = session.get(Organization, run.org_id)
    user = session.get(User, run.confirmed_by_user_id) if run.confirmed_by_user_id else None
    who = f"{user.first_name} {user.last_name} ({user.id})" if user else "the system"
    rules = {
        p.record_type.value: f"{p.retain_years} years from {p.retain_from}: {p.legal_basis}"
        for p in policies.policies(session)
        if p.record_type is not RecordType.DOCUMENT
    }
    rules[RecordType.DOCUMENT.value] = "each document type's policy, and never before its resident's record"
    return CertificateFacts(
        org.name if org else "",
        run.id,
        run.run_on,
        run.listed_at,
        who,
        run.confirmed_at,
        run.destroyed_at,
        {k: len(v) for k, v in run.destroyed.items() if k in LABELS},
        {k: len(v) for k, v in run.skipped.items() if k in LABELS},
        rules,
    )


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def certificate_pdf(f: CertificateFacts) -> bytes:
    st = getSampleStyleSheet()
    body = st["BodyText"]
    cell = body.clone("cell", fontSize=8, leading=10)
    label = cell.clone("label", fontName="Helvetica-Bold")
    grid = [("GRID", (0, 0), (-1, -1), 0.25, "#888888"), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    run = Table(
        [
            [Paragraph(a, label), Paragraph(_esc(b), cell)]
            for a, b in (
                ("Operator", f.operator),
                ("Run", f"{f.run_id} of {f.run_on.isoformat()}"),
                ("Dry run listed", _when(f.listed_at)),
                ("Confirmed by", f.confirmed_by),
                ("Confirmed", _when(f.confirmed_at)),
                ("Destroyed", _when(f.destroyed_at)),
            )
        ],
        colWidths=[1.6 * inch, 4.9 * inch],
    )
    run.setStyle(TableStyle(grid))
    head = [Paragraph(h, label) for h in ("Records", "Destroyed", "Kept: a hold placed since", "Policy")]
    rows: list[list[object]] = [head]
    for kind, words in LABELS.items():
        rows.append(
            [
                Paragraph(_esc(words), cell),
                Paragraph(str(f.destroyed.get(kind, 0)), cell),
                Paragraph(str(f.skipped.get(kind, 0)), cell),
                Paragraph(_esc(f.policies.get(kind, "")), cell),
            ]
        )
    counts = Table(rows, colWidths=[1.9 * inch, 0.8 * inch, 0.9 * inch, 2.9 * inch], repeatRows=1)
    counts.setStyle(TableStyle([*grid, ("BACKGROUND", (0, 0), (-1, 0), "#eeeeee")]))
    audit_floor = FLOORS[RecordType.AUDIT_LOG]
    story: list[object] = [
        Paragraph("Certificate of destruction", st["Title"]),
        run,
        Spacer(1, 0.2 * inch),
        counts,
        Paragraph("How", st["Heading2"]),
        Paragraph(_esc(METHOD), body),
        Paragraph("What was kept", st["Heading2"]),
        Paragraph(
            _esc(
                "The audit log was not altered: it is kept under its own policy "
                f"({audit_floor.years} years, {audit_floor.basis}) and its hash chain still verifies."
            ),
            body,
        ),
    ]
    buf = io.BytesIO()
    SimpleDocTemplate(
        buf, pagesize=LETTER, title="Certificate of destruction", author="RecoveryOS", invariant=1
    ).build(story)
    return buf.getvalue()
