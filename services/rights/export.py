"""All of one resident's records, decrypted: every row of every table that names the resident
(their own row included), each encrypted field read through the model (so each read is
audited), as JSON and as a readable PDF; and the denial letter (164.524(d)(2)).

The accounting of disclosures (164.528, Part 2 §2.25) goes with it under
`accounting_of_disclosures`: the disclosures of the six years before the export, as the
consent family words them (`services/consent/accounting.py`), so the resident sees when, to
whom, what, why and how in one place, not only the raw `consent_disclosures` rows.

Left out on purpose: the outbox (`domain_events`, ids of what happened, not records) and
blind indexes and ciphertext columns (their plaintext is what is exported).
"""

from __future__ import annotations

import html
import io
import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contracts.rights import AMENDMENT_GROUND_WORDS, GROUND_WORDS, AmendmentDenial, Denial
from models.base import Base
from models.orgs import Organization
from models.residents import Resident
from services.consent import accounting

SKIP_TABLES = frozenset({"domain_events"})
ACCOUNTING = "accounting_of_disclosures"


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # PostgreSQL ranges, network addresses...: their readable form


def _row(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attr in obj.__mapper__.column_attrs:
        key = attr.key
        if key.endswith("_bidx"):
            continue
        if key.endswith("_ct"):
            key = key[: -len("_ct")]
        out[key] = _plain(getattr(obj, key))
    return out


def accounting_of_disclosures(session: Session, resident_id: uuid.UUID, on: date) -> list[dict[str, Any]]:
    """The disclosures of the six years before `on` (HIPAA's period, which holds Part 2's three),
    oldest first, in the accounting's own words."""
    since = accounting.default_since(on, accounting.Lookback.HIPAA)
    return [
        {
            "disclosed_at": _plain(line.disclosed_at),
            "recipient": line.recipient,
            "recipient_class": line.recipient_class,
            "information": line.information,
            "purpose": line.purpose,
            "method": line.method,
        }
        for line in accounting.lines(session, resident_id, since, on)
    ]


def resident_records(
    session: Session, resident_id: uuid.UUID, on: date | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Table name → the resident's rows, decrypted, in a stable order; with `on`, the accounting
    of disclosures up to that day as well."""
    out: dict[str, list[dict[str, Any]]] = {}
    if on is not None:
        out[ACCOUNTING] = accounting_of_disclosures(session, resident_id, on)
    for mapper in sorted(Base.registry.mappers, key=lambda m: m.class_.__tablename__):
        table = Base.metadata.tables[mapper.class_.__tablename__]
        if table.name in SKIP_TABLES:
            continue
        cls = mapper.class_
        if cls is Resident:
            rows: list[Any] = [session.get(Resident, resident_id)]
        elif "resident_id" in table.c:
            rows = list(
                session.scalars(select(cls).where(table.c.resident_id == resident_id).order_by(table.c.id))
            )
        else:
            continue
        found = [_row(r) for r in rows if r is not None]
        if found:
            out[table.name] = found
    return out


def export_json(records: dict[str, list[dict[str, Any]]]) -> bytes:
    return json.dumps(records, indent=1, sort_keys=True, ensure_ascii=False).encode()


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _pdf(title: str, story: list[object]) -> bytes:
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=LETTER, title=title, author="RecoveryOS", invariant=1).build(story)
    return buf.getvalue()


def export_pdf(operator: str, records: dict[str, list[dict[str, Any]]]) -> bytes:
    st = getSampleStyleSheet()
    me = (records.get("residents") or [{}])[0]
    name = f"{me.get('first_name', '')} {me.get('last_name', '')}".strip()
    story: list[object] = [
        Paragraph("Your records", st["Title"]),
        Paragraph(f"{_esc(operator)} holds these records about {_esc(name)}.", st["BodyText"]),
    ]
    for table, rows in records.items():
        story.append(Paragraph(_esc(table.replace("_", " ").capitalize()), st["Heading2"]))
        if table == ACCOUNTING and not rows:
            none = "We disclosed none of your records in the last six years."
            story.append(Paragraph(none, st["BodyText"]))
        for row in rows:
            for k, v in row.items():
                if v in (None, "", [], {}) or k in ("org_id",):
                    continue
                story.append(Paragraph(f"<b>{_esc(k.replace('_', ' '))}</b>: {_esc(v)}", st["BodyText"]))
            story.append(Spacer(1, 6))
    return _pdf("Your records", story)


def operator_name(session: Session) -> str:
    org = session.get(Organization, session.info["actor"]["org_id"])
    return org.name if org else ""


def resident_name(session: Session, resident_id: uuid.UUID) -> str:
    r = session.get(Resident, resident_id)
    return f"{r.first_name} {r.last_name}" if r else ""


def denial_letter_pdf(operator: str, name: str, requested_at: datetime, denial: Denial) -> bytes:
    """164.524(d)(2): in plain language, the basis for the denial, the right to review where it
    applies and how to ask for it, and how to complain to us and to the Secretary of HHS."""
    st = getSampleStyleSheet()
    body, head = st["BodyText"], st["Heading2"]
    when = f"{requested_at:%B} {requested_at.day}, {requested_at.year}"
    story: list[object] = [
        Paragraph(_esc(operator), st["Title"]),
        Paragraph(f"Dear {_esc(name)},", body),
        Paragraph(f"On {when} you asked for a copy of your records. We cannot give you all of them.", body),
        Paragraph("Why", head),
        Paragraph(_esc(GROUND_WORDS[denial.ground]), body),
        Paragraph(_esc(denial.explanation), body),
        Paragraph("Your right to a review", head),
    ]
    if denial.ground.reviewable:
        story.append(
            Paragraph(
                "You may ask us to have this decision reviewed by a licensed health care professional "
                f"who did not take part in it. Tell {_esc(denial.contact)} that you want a review; we will "
                "follow that professional's decision.",
                body,
            )
        )
    else:
        story.append(Paragraph("The law does not give a review for this reason.", body))
    story += [
        Paragraph("How to complain", head),
        Paragraph(
            f"You may complain to us: {_esc(denial.contact)}. You may also complain to the Secretary of the "
            "U.S. Department of Health and Human Services, Office for Civil Rights, at "
            "www.hhs.gov/ocr/complaints or 1-800-368-1019. We will not hold a complaint against you.",
            body,
        ),
        Paragraph(f"Sincerely,<br/>{_esc(operator)}", body),
    ]
    return _pdf("Your request for your records", story)


def amendment_denial_letter_pdf(
    operator: str, name: str, requested_at: datetime, denial: AmendmentDenial
) -> bytes:
    """164.526(d)(1): in plain language, the basis for the denial; the right to file a written
    statement of disagreement and how; that without one the resident may ask for the request and
    the denial to go with any future disclosure of the information; and how to complain."""
    st = getSampleStyleSheet()
    body, head = st["BodyText"], st["Heading2"]
    when = f"{requested_at:%B} {requested_at.day}, {requested_at.year}"
    story: list[object] = [
        Paragraph(_esc(operator), st["Title"]),
        Paragraph(f"Dear {_esc(name)},", body),
        Paragraph(
            f"On {when} you asked us to change your records. We have decided not to change them.", body
        ),
        Paragraph("Why", head),
        Paragraph(_esc(AMENDMENT_GROUND_WORDS[denial.ground]), body),
        Paragraph(_esc(denial.explanation), body),
        Paragraph("If you disagree", head),
        Paragraph(
            "You may send us a written statement saying what you disagree with and why. Send it to "
            f"{_esc(denial.contact)}. We will keep it with your records and include it whenever we share "
            "or give out the information you asked us to change, including in copies of your records.",
            body,
        ),
        Paragraph(
            "If you do not send a statement, you may ask us to include your request and this letter "
            "whenever we share that information.",
            body,
        ),
        Paragraph("How to complain", head),
        Paragraph(
            f"You may complain to us: {_esc(denial.contact)}. You may also complain to the Secretary of the "
            "U.S. Department of Health and Human Services, Office for Civil Rights, at "
            "www.hhs.gov/ocr/complaints or 1-800-368-1019. We will not hold a complaint against you.",
            body,
        ),
        Paragraph(f"Sincerely,<br/>{_esc(operator)}", body),
    ]
    return _pdf("Your request to change your records", story)
