"""PDFs of the disclosure family (reportlab, as services/certificate.py): the package that goes
with each disclosure (§2.32) and the accounting of disclosures a resident or staff receive.

The package carries the description of the records disclosed, the 2024 §2.32 statement the
discloser chose, word for word, and a copy of the consent or a clear explanation of its scope
(§2.32(b)). Invariant mode: the same facts give the same bytes, so a retried write stores an
identical object.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.contracts.consent import NOTICE_TEXTS, NOTICE_VERSION, ConsentScopeCopy, NoticeStatement

PACKAGE_TITLE = "Disclosure of records protected by 42 CFR part 2"
ACCOUNTING_TITLE = "Accounting of disclosures"


@dataclass(frozen=True)
class ConsentCopy:
    """A consent as the package copies or explains it."""

    kind: str
    signed_at: datetime | None
    discloser: str | None
    recipients: str
    information: str
    purposes: str
    expiry: str
    # The signed form's text, when the consent was rendered from one.
    document_text: str | None


@dataclass(frozen=True)
class Package:
    org_name: str
    resident_name: str
    disclosed_at: datetime
    recipient: str
    recipient_class: str
    method: str
    purpose: str
    information_classes: Sequence[str]
    description: str
    statement: NoticeStatement
    scope_copy: ConsentScopeCopy
    consent: ConsentCopy


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "not signed"


def render_pdf(title: str, story: list[object]) -> bytes:
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=LETTER, title=title, author="RecoveryOS", invariant=1).build(story)
    return buf.getvalue()


def _paragraphs(text: str, style: object) -> list[object]:
    return [Paragraph(_esc(line) or "&nbsp;", style) for line in text.split("\n")]


def scope_explanation(c: ConsentCopy) -> str:
    """§2.32(b)'s "clear explanation of the scope of the consent", in plain sentences."""
    by = f" by {c.discloser}" if c.discloser else ""
    return (
        f"This disclosure is made under the resident's written {c.kind} consent, signed {_when(c.signed_at)},"
        f" which permits disclosure{by} of {c.information} to {c.recipients} for {c.purposes}."
        f" The consent expires: {c.expiry}. The resident may revoke it in writing at any time, except to"
        " the extent that action has been taken in reliance on it. It permits nothing beyond what it"
        " states here."
    )


def package_pdf(p: Package) -> bytes:
    styles = getSampleStyleSheet()
    body, h2 = styles["BodyText"], styles["Heading2"]
    facts = [
        ("From", p.org_name),
        ("Records of", p.resident_name),
        ("Disclosed", _when(p.disclosed_at)),
        ("To", f"{p.recipient} ({p.recipient_class})"),
        ("Method", p.method),
        ("Purpose", p.purpose),
        ("Kinds of information", ", ".join(p.information_classes)),
    ]
    table = Table(
        [[Paragraph(f"<b>{_esc(k)}</b>", body), Paragraph(_esc(v), body)] for k, v in facts],
        colWidths=[1.7 * inch, 4.8 * inch],
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story: list[object] = [Paragraph(PACKAGE_TITLE, styles["Title"]), table, Spacer(1, 0.2 * inch)]
    story += [Paragraph("Description of the records disclosed", h2), *_paragraphs(p.description, body)]
    story += [
        Paragraph(f"Notice to the recipient (42 CFR 2.32, {NOTICE_VERSION} text)", h2),
        Paragraph(_esc(NOTICE_TEXTS[p.statement]), body),
    ]
    if p.scope_copy is ConsentScopeCopy.COPY_OF_CONSENT:
        story.append(Paragraph("Copy of the consent", h2))
        if p.consent.document_text:
            story += _paragraphs(p.consent.document_text, body)
        else:
            story += [
                Paragraph(_esc(f"{k}: {v}"), body)
                for k, v in (
                    ("Kind", p.consent.kind),
                    ("Who may disclose", p.consent.discloser or ""),
                    ("Recipients", p.consent.recipients),
                    ("Information", p.consent.information),
                    ("Purposes", p.consent.purposes),
                    ("Expires", p.consent.expiry),
                    ("Signed", _when(p.consent.signed_at)),
                )
            ]
    else:
        story += [Paragraph("The consent's scope", h2), Paragraph(_esc(scope_explanation(p.consent)), body)]
    return render_pdf(PACKAGE_TITLE, story)


@dataclass(frozen=True)
class AccountingLine:
    disclosed_at: datetime
    recipient: str
    recipient_class: str
    information: str
    purpose: str
    method: str


def accounting_pdf(resident_name: str, since: date, until: date, lines: Sequence[AccountingLine]) -> bytes:
    """Every disclosure in the period: when, to whom, what, why and how (§2.25, HIPAA 164.528(b))."""
    styles = getSampleStyleSheet()
    cell = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    head = cell.clone("head", fontName="Helvetica-Bold")
    rows = [[Paragraph(h, head) for h in ("Date", "Recipient", "Information", "Purpose", "Method")]]
    rows += [
        [
            Paragraph(_esc(_when(line.disclosed_at)), cell),
            Paragraph(_esc(f"{line.recipient} ({line.recipient_class})"), cell),
            Paragraph(_esc(line.information), cell),
            Paragraph(_esc(line.purpose), cell),
            Paragraph(_esc(line.method), cell),
        ]
        for line in lines
    ]
    table = Table(rows, colWidths=[1.0 * inch, 1.6 * inch, 1.9 * inch, 1.2 * inch, 0.8 * inch], repeatRows=1)
    table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.25, "#888888"), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    story: list[object] = [
        Paragraph(ACCOUNTING_TITLE, styles["Title"]),
        Paragraph(
            _esc(f"Records of {resident_name}, disclosures from {since} to {until}."), styles["BodyText"]
        ),
        Spacer(1, 0.2 * inch),
        table if lines else Paragraph("No disclosures were made in this period.", styles["BodyText"]),
    ]
    return render_pdf(ACCOUNTING_TITLE, story)
