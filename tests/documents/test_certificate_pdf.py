"""The certificate of completion PDF reads as the HTML certificate does: labelled hashes, whole
dates, one row per event, and nothing outside the page's margins."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from core.enums import DocumentStatus
from services import certificate
from services.signing.trail import EventLine, Trail

UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Version/17.4 Mobile/15E148"


def _trail() -> Trail:
    at = datetime(2026, 12, 5, 14, 3, 9, tzinfo=UTC)
    h = [hashlib.sha256(str(n).encode()).hexdigest() for n in range(4)]
    kinds = ["viewed", "consented", "signed", "completed"]
    events = [
        EventLine(
            at + timedelta(minutes=n),
            kind,
            "Marisol Quintero-Baptiste",
            "resident",
            "203.0.113.7",
            UA,
            h[0],
            h[n],
        )
        for n, kind in enumerate(kinds)
    ]
    return Trail(
        uuid.UUID(int=1),
        "Residency agreement",
        "text",
        h[0],
        DocumentStatus.SIGNED,
        [],
        events,
        h[3],
        at + timedelta(minutes=3),
    )


def test_the_certificate_pdf_labels_its_hashes_keeps_dates_whole_and_stays_within_the_margins() -> None:
    t = _trail()
    reader = PdfReader(io.BytesIO(certificate.certificate_pdf(t)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    assert "SHA-256 of the content as sent for signing" in flat
    assert "SHA-256 of the signed PDF" in flat
    assert t.original_sha256 in text.replace("\n", "") and str(t.signed_sha256) in text.replace("\n", "")
    # Every event's time is whole on one line: day and time never split.
    assert len(re.findall(r"2026-12-05\s14:0[0-9]:09\sUTC", text)) == 1 + len(t.events)
    for kind in ("viewed", "consented", "signed", "completed"):
        assert re.search(rf"\b{kind}\b", text), kind
    # Nothing starts left of the left margin or beyond the right one (Letter, 1-inch margins).
    xs: list[float] = []
    for page in reader.pages:
        # Where each text run starts on the page: its text matrix moved by the current transform.
        page.extract_text(
            visitor_text=lambda s, cm, tm, _fd, _fs: (
                xs.append(tm[4] * cm[0] + tm[5] * cm[2] + cm[4]) if s.strip() else None
            )
        )
    assert xs and min(xs) >= 72 - 1 and max(xs) <= 612 - 72
