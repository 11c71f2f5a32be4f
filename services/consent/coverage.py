"""The one policy that says whether a disclosure may happen: `cover(session, resident_id, request)`.

A disclosure of Part 2 records needs an active, signed consent that covers the recipient, every
kind of information disclosed and the purpose (§2.31, §2.33), and no granted restriction of the
resident's (§2.26) may match it. Disclosures, webhooks and the access policy all ask here; the
answer is the covering consent, or a `Conflict` (409) whose message names the `Refusal` and whose
`field` names what is not covered. Messages carry enum values only, never a recipient's name.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contracts.consent import (
    TPO_PURPOSES,
    TPO_RECIPIENTS,
    ConsentKind,
    InformationClass,
    Purpose,
    RecipientClass,
    RecipientKind,
    Refusal,
    RestrictionStatus,
)
from core.enums import ConsentStatus
from core.errors import Conflict
from models.compliance import Consent
from models.part2 import DisclosureRestriction


@dataclass(frozen=True)
class DisclosureRequest:
    """What is about to be disclosed, in the words a consent is written in.

    `recipient` is the named person or organisation receiving it (compared with the consent's
    recipient name and organisation, ignoring case and spacing); `intermediary` is the health
    information exchange or other intermediary it goes through, when it goes through one.
    `consent_id` asks for that consent only; otherwise any covering consent will do."""

    recipient_class: RecipientClass
    information_classes: frozenset[InformationClass]
    purpose: Purpose
    recipient: str | None = None
    intermediary: str | None = None
    consent_id: uuid.UUID | None = None
    at: datetime | None = None


# What each refusal is about: the `field` of the 409.
FIELDS: dict[Refusal, str] = {
    Refusal.NO_CONSENT: "consent_id",
    Refusal.NOT_SIGNED: "consent_id",
    Refusal.EXPIRED: "consent_id",
    Refusal.REVOKED: "consent_id",
    Refusal.RECIPIENT_NOT_COVERED: "recipient",
    Refusal.INFORMATION_NOT_COVERED: "information_classes",
    Refusal.PURPOSE_NOT_COVERED: "purpose",
    Refusal.RESTRICTED: "restriction",
}

REASONS: dict[Refusal, str] = {
    Refusal.NO_CONSENT: "the resident has no consent to this disclosure",
    Refusal.NOT_SIGNED: "the consent that would cover it is not signed",
    Refusal.EXPIRED: "the consent that would cover it has expired",
    Refusal.REVOKED: "the consent that would cover it was revoked",
    Refusal.RECIPIENT_NOT_COVERED: "no consent names this recipient",
    Refusal.INFORMATION_NOT_COVERED: "no consent covers every kind of information disclosed",
    Refusal.PURPOSE_NOT_COVERED: "no consent covers this purpose",
    Refusal.RESTRICTED: "the resident's granted restriction (§2.26) forbids this disclosure",
}


class Refused(Conflict):
    """A disclosure refused: 409, `field` naming what is not covered, `refusal` its reason."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(f"disclosure refused: {refusal.value}: {REASONS[refusal]}", field=FIELDS[refusal])
        self.refusal = refusal


def same_name(a: str | None, b: str | None) -> bool:
    """Named recipients match ignoring case and spacing ("Blue Ridge  IOP" is "blue ridge iop")."""
    return bool(a and b) and _norm(a) == _norm(b)


def _norm(s: str | None) -> str:
    return " ".join((s or "").casefold().split())


def _names(consent: Consent) -> list[str | None]:
    return [consent.recipient_name, consent.recipient_organization]


def _participants(consent: Consent) -> list[str]:
    return [p for p in re.split(r"[\n;,]", consent.intermediary_participants or "") if p.strip()]


def _recipient_covered(consent: Consent, req: DisclosureRequest) -> bool:
    if consent.kind is ConsentKind.TPO and req.recipient_class in TPO_RECIPIENTS:
        return True
    if consent.recipient_kind is RecipientKind.CLASS:
        return req.recipient_class.value in consent.recipient_classes
    if consent.recipient_kind is RecipientKind.NAMED:
        return any(same_name(req.recipient, n) for n in _names(consent))
    # An intermediary (§2.31(a)(4)(ii)): the intermediary itself, or through it one of its named
    # participants, or any participant with a treating-provider relationship when it says so.
    through = req.intermediary or req.recipient
    if not any(same_name(through, n) for n in _names(consent)):
        return False
    if req.intermediary is None or same_name(req.recipient, req.intermediary):
        return True
    if consent.treating_providers_only:
        return req.recipient_class is RecipientClass.TREATING_PROVIDER
    return any(same_name(req.recipient, p) for p in _participants(consent))


def _information_covered(consent: Consent, req: DisclosureRequest) -> bool:
    notes = InformationClass.COUNSELING_NOTES in req.information_classes
    # Counseling notes only under a consent of their own, which covers nothing else (§2.31(b)).
    if notes != (consent.kind is ConsentKind.COUNSELING_NOTES):
        return False
    return {c.value for c in req.information_classes} <= set(consent.information_classes)


def _purpose_covered(consent: Consent, req: DisclosureRequest) -> bool:
    # Records used in proceedings against the patient need a legal-proceedings consent.
    if (req.purpose is Purpose.LEGAL_PROCEEDINGS) != (consent.kind is ConsentKind.LEGAL_PROCEEDINGS):
        return False
    if consent.kind is ConsentKind.TPO and req.purpose in TPO_PURPOSES:
        return True
    return req.purpose.value in consent.purposes


def _status(consent: Consent, at: datetime) -> Refusal | None:
    if consent.status is ConsentStatus.REVOKED or consent.revoked_at is not None:
        return Refusal.REVOKED
    if consent.status is ConsentStatus.EXPIRED:
        return Refusal.EXPIRED
    if consent.status is not ConsentStatus.ACTIVE or consent.signed_at is None:
        return Refusal.NOT_SIGNED
    # Past its date it has expired, whether or not the lifecycle has marked it yet.
    if consent.expires_at is not None and consent.expires_at <= at:
        return Refusal.EXPIRED
    return None


# The checks in order; a consent that passes more of them explains a refusal better.
_SCOPE = (
    (_recipient_covered, Refusal.RECIPIENT_NOT_COVERED),
    (_information_covered, Refusal.INFORMATION_NOT_COVERED),
    (_purpose_covered, Refusal.PURPOSE_NOT_COVERED),
)


@dataclass(order=True)
class _Verdict:
    depth: int
    refusal: Refusal | None = field(compare=False)


def _judge(consent: Consent, req: DisclosureRequest, at: datetime) -> _Verdict:
    for depth, (covered, refusal) in enumerate(_SCOPE):
        if not covered(consent, req):
            return _Verdict(depth, refusal)
    status = _status(consent, at)
    return _Verdict(len(_SCOPE) if status else len(_SCOPE) + 1, status)


def restricted(
    session: Session, resident_id: uuid.UUID, req: DisclosureRequest
) -> DisclosureRestriction | None:
    """The resident's granted restriction that this disclosure would break, if any."""
    rows = session.scalars(
        select(DisclosureRestriction).where(
            DisclosureRestriction.resident_id == resident_id,
            DisclosureRestriction.status == RestrictionStatus.GRANTED,
        )
    )
    for r in rows:
        if r.recipient_class is not None and r.recipient_class != req.recipient_class.value:
            continue
        if r.recipient is not None and not (
            same_name(r.recipient, req.recipient) or same_name(r.recipient, req.intermediary)
        ):
            continue
        if r.information_classes and not {c.value for c in req.information_classes} & set(
            r.information_classes
        ):
            continue
        if r.purposes and req.purpose.value not in r.purposes:
            continue
        return r
    return None


def cover(session: Session, resident_id: uuid.UUID, request: DisclosureRequest) -> Consent:
    """The active consent of `resident_id` that covers `request`, or `Refused` (a 409).

    Only a consent that is active, signed and not past its expiry covers; named recipients are
    compared ignoring case and spacing; a TPO consent covers the TPO purposes and recipient
    classes; counseling notes need a counseling-notes consent and a legal-proceedings purpose a
    legal-proceedings consent. When nothing covers, the refusal is that of the consent that came
    closest (revoked, when the only consent that matches was revoked). A granted restriction that
    matches refuses with `restricted`. Runs in the caller's tenant transaction (row-level
    security keeps it to the caller's org and scope) and writes nothing."""
    at = request.at or datetime.now(UTC)
    q = select(Consent).where(Consent.resident_id == resident_id, Consent.deleted_at.is_(None))
    if request.consent_id is not None:
        q = q.where(Consent.id == request.consent_id)
    consents = list(session.scalars(q.order_by(Consent.created_at.desc(), Consent.id)))
    if not consents:
        raise Refused(Refusal.NO_CONSENT)
    judged = [(_judge(c, request, at), c) for c in consents]
    best, consent = max(judged, key=lambda pair: pair[0])
    if best.refusal is not None:
        raise Refused(best.refusal)
    if restricted(session, resident_id, request) is not None:
        raise Refused(Refusal.RESTRICTED)
    return consent
