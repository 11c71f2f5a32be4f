"""The notice letters and the closing report, as PDF (reportlab, invariant mode: a retried
activity writes the same bytes).

A letter follows 45 CFR 164.404(c): in plain language, what happened with the date of the
breach and of its discovery, the kinds of information involved, the steps the person should
take, what the operator is doing, and how to reach it (a toll-free number, an e-mail address,
a postal address and, where there is one, a website). The closing report names no one: counts,
obligations, the law-enforcement delays and the timeline.
"""

from __future__ import annotations

import html
import io
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table
from sqlalchemy.orm import Session

from core.contracts.breach import NoticeContent
from models.orgs import Organization
from models.residents import Resident
from services.breach.incidents import get_incident


@dataclass(frozen=True)
class Letter:
    resident_id: uuid.UUID
    name: str
    address: list[str]


@dataclass(frozen=True)
class LetterSet:
    """Everything the letters say, read in one transaction; the PDFs are made outside it."""

    operator: str
    occurred: datetime | None
    discovered: datetime
    what_happened: str
    information: str
    notice: NoticeContent
    letters: list[Letter]


@dataclass(frozen=True)
class ReportData:
    operator: str
    incident_id: uuid.UUID
    discovered: datetime
    occurred: datetime | None
    affected: int
    by_state: dict[str, int]
    unreachable: int
    decision: str
    safe_harbour: bool | None
    obligations: list[dict[str, Any]]
    delays: list[dict[str, Any]]
    timeline: list[dict[str, Any]]


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _day(at: datetime | None) -> str:
    return f"{at:%B} {at.day}, {at.year}" if at else "not known"


def _pdf(title: str, story: list[object]) -> bytes:
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=LETTER, title=title, author="RecoveryOS", invariant=1).build(story)
    return buf.getvalue()


def _address(r: Resident, house_address: list[str] | None) -> list[str]:
    prior = r.prior_address if isinstance(r.prior_address, dict) else None
    if house_address:
        return house_address
    if prior:
        city = ", ".join(x for x in (prior.get("city"), prior.get("state")) if x)
        return [
            x
            for x in (prior.get("line1"), prior.get("line2"), f"{city} {prior.get('postal_code') or ''}")
            if x
        ]
    return []


def letter_set(session: Session, incident_id: uuid.UUID) -> LetterSet:
    from models.orgs import House, Property

    inc = get_incident(session, incident_id)
    org = session.get(Organization, inc.org_id)
    content = inc.notice_content or {}
    notice = NoticeContent(**content) if content else NoticeContent("", "", "", "", "")
    letters = []
    for rid in inc.affected_resident_ids or []:
        r = session.get(Resident, uuid.UUID(rid))
        if r is None:
            continue
        house_address = None
        if r.current_house_id is not None:
            p = session.get(Property, session.get(House, r.current_house_id).property_id)  # type: ignore[union-attr]
            if p is not None:
                house_address = [p.address_line1, f"{p.city}, {p.state} {p.postal_code}"]
        letters.append(Letter(r.id, f"{r.first_name} {r.last_name}", _address(r, house_address)))
    return LetterSet(
        org.name if org else "",
        inc.occurred_at,
        inc.discovered_at,
        inc.description or "",
        inc.phi_involved or "",
        notice,
        letters,
    )


def notice_letter_pdf(s: LetterSet, letter: Letter) -> bytes:
    st = getSampleStyleSheet()
    body, head = st["BodyText"], st["Heading2"]
    n = s.notice
    contact = [
        f"Call us free of charge at {_esc(n.toll_free_phone)}.",
        f"E-mail us at {_esc(n.email)}.",
        f"Write to us at {_esc(n.postal_address)}.",
    ]
    if n.website:
        contact.append(f"Visit {_esc(n.website)}.")
    story: list[object] = [Paragraph(_esc(s.operator), st["Title"])]
    story += [Paragraph(_esc(line), body) for line in [letter.name, *letter.address]]
    story += [
        Spacer(1, 12),
        Paragraph(f"Dear {_esc(letter.name)},", body),
        Paragraph(
            "We are writing to tell you about a problem that may have involved your personal "
            "information. We are sorry this happened. This letter explains what happened, what "
            "information was involved, what we are doing about it, and what you can do.",
            body,
        ),
        Paragraph("What happened", head),
        Paragraph(_esc(s.what_happened), body),
        Paragraph(
            f"This happened on {_day(s.occurred)}. We found out about it on {_day(s.discovered)}.", body
        ),
        Paragraph("What information was involved", head),
        Paragraph(_esc(s.information), body),
        Paragraph("What you can do", head),
        Paragraph(_esc(n.steps_to_take), body),
        Paragraph("What we are doing", head),
        Paragraph(_esc(n.what_we_are_doing), body),
        Paragraph("How to reach us", head),
        *[Paragraph(line, body) for line in contact],
        Spacer(1, 12),
        Paragraph(f"Sincerely,<br/>{_esc(s.operator)}", body),
    ]
    return _pdf("Notice of a breach of your information", story)


def report_data(session: Session, incident_id: uuid.UUID) -> ReportData:
    inc = get_incident(session, incident_id)
    org = session.get(Organization, inc.org_id)
    decision = {True: "notifiable", False: "not notifiable"}.get(inc.notifiable, "not decided")  # type: ignore[arg-type]
    return ReportData(
        org.name if org else "",
        inc.id,
        inc.discovered_at,
        inc.occurred_at,
        inc.affected_count,
        dict(inc.affected_by_state),
        inc.unreachable_count,
        decision,
        inc.safe_harbour,
        list(inc.obligations),
        list(inc.law_enforcement_delays),
        sorted(inc.timeline, key=lambda e: e["at"]),
    )


def closing_report_pdf(d: ReportData, closed_at: datetime) -> bytes:
    st = getSampleStyleSheet()
    body, head = st["BodyText"], st["Heading2"]
    story: list[object] = [
        Paragraph("Breach incident closing report", st["Title"]),
        Paragraph(f"{_esc(d.operator)}: incident {d.incident_id}", body),
        Paragraph(
            f"Discovered {d.discovered:%Y-%m-%d %H:%M} UTC; closed {closed_at:%Y-%m-%d %H:%M} UTC", body
        ),
        Paragraph(
            f"People affected: {d.affected}; by state: "
            + (", ".join(f"{k} {v}" for k, v in sorted(d.by_state.items())) or "none")
            + f"; unreachable: {d.unreachable}",
            body,
        ),
        Paragraph(
            f"Decision: {d.decision}; encryption safe harbour: {'yes' if d.safe_harbour else 'no'}", body
        ),
        Paragraph("Obligations", head),
    ]
    rows = [["Obligation", "Due", "Done", "Rule"]]
    for o in d.obligations:
        rows.append([o["title"][:60], o["due_at"][:10], (o["done_at"] or "open")[:10], o["citation"][:40]])
    story.append(Table(rows, repeatRows=1))
    if d.delays:
        story.append(Paragraph("Law-enforcement delays", head))
        for x in d.delays:
            story.append(Paragraph(f"{x['kind']}: {x['start'][:10]} to {x['end'][:10]}", body))
    story += [Spacer(1, 6), Paragraph("Timeline", head)]
    for e in d.timeline:
        story.append(Paragraph(f"{e['at'][:16].replace('T', ' ')}: {_esc(e['what'])}", body))
    return _pdf("Breach incident closing report", story)
