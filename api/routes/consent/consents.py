"""Part 2 consents over HTTP: staff record a consent (its form goes to the resident's signing
link), follow it, record its expiry event, and revoke it in writing. Every response carries
Part 2 information and is `no-store` (api/middleware.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints
from sqlalchemy.orm import Session
from temporalio.workflow import UpdateMethodMultiParam

from api.auth import Principal
from api.deps import TenantDep, require
from api.fields import Int
from api.processes import IdempotencyKeyHeader, Processes, ProcessesDep, start_responses
from core.contracts.consent import (
    ConsentKind,
    ConsentTerms,
    ExpiryEvent,
    InformationClass,
    Purpose,
    RecipientClass,
    RecipientKind,
    RevocationMethod,
)
from core.enums import ConsentStatus
from core.errors import NotFound
from core.permissions import Perm
from core.process import Wait
from models.compliance import Consent
from services import residents
from services.consent import consents
from workflows.consent import CONSENT
from workflows.consent.lifecycle import (
    ConsentInput,
    ConsentLifecycleWorkflow,
    ConsentState,
    EventHappened,
    WrittenRevocation,
)
from workflows.signing import SIGNING, SignatureRequestWorkflow

A = TypeVar("A")
router = APIRouter(tags=["consent"])
Manager = Annotated[Principal, Depends(require(Perm.CONSENT_MANAGE))]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]

EXAMPLE: dict[str, Any] = {
    "kind": "tpo",
    "discloser": "Cedar House Recovery Residences and its staff",
    "recipient_kind": "class",
    "recipient_classes": ["treating_provider", "health_plan", "third_party_payer", "program_operations"],
    "information_classes": ["drug_tests", "attendance", "medications", "treatment_records"],
    "information_description": "Drug screens, meeting attendance and medication records kept here",
    "purposes": ["treatment", "payment", "health_care_operations"],
    "purpose_description": "For treatment, payment, and health care operations",
    "expiry_event": "end_of_treatment",
    "refusal_consequences": "You can still live here; we will ask you each time before sharing",
}


class ConsentIn(BaseModel):
    """A consent with every §2.31 element; a missing or contradictory one is a 422 naming it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})

    kind: ConsentKind = Field(description="tpo, specific_purpose, counseling_notes or legal_proceedings")
    discloser: Name = Field(min_length=1, description="who may use or disclose the records (§2.31(a)(2))")
    recipient_kind: RecipientKind = Field(description="named person/entity, a class, or an intermediary")
    recipient_name: Name = Field("", description="the named recipient or intermediary (not for a class)")
    recipient_organization: Name | None = Field(None, description="the named recipient's organisation")
    recipient_classes: list[RecipientClass] = Field(
        default_factory=list, max_length=9, description="for a class: e.g. treating_provider, health_plan"
    )
    intermediary_participants: Text | None = Field(None, description="an intermediary's named participants")
    treating_providers_only: StrictBool = Field(
        False, description="an intermediary's participants with a treating-provider relationship only"
    )
    information_classes: list[InformationClass] = Field(
        min_length=1, max_length=10, description="the kinds of information covered"
    )
    information_description: Text = Field(
        min_length=1, description="the information in specific and meaningful words (§2.31(a)(3))"
    )
    purposes: list[Purpose] = Field(min_length=1, max_length=10, description="why it may be disclosed")
    purpose_description: Text = Field("", description="the purpose in words (defaults from `purposes`)")
    expires_at: datetime | None = Field(None, description="the expiry date (this or `expiry_event`)")
    expiry_event: ExpiryEvent | None = Field(None, description="end_of_treatment, condition, none (TPO only)")
    expiry_condition: Text | None = Field(None, description="for `condition`: what ends the consent")
    refusal_consequences: Text | None = Field(
        None, description="TPO only, required: the consequences to the resident of refusing to sign"
    )
    condition_of_admission: StrictBool = Field(
        False, description="whether admission depends on it (never for counseling notes)"
    )
    remind_days_before: Int = Field(30, ge=0, le=365, description="staff are reminded this many days before")
    sign_within_hours: Int = Field(14 * 24, ge=1, le=90 * 24, description="how long the signing link lasts")

    def terms(self) -> ConsentTerms:
        purpose = self.purpose_description or ", ".join(p.value.replace("_", " ") for p in self.purposes)
        return ConsentTerms(
            kind=self.kind,
            discloser=self.discloser,
            recipient_kind=self.recipient_kind,
            recipient_name=self.recipient_name,
            recipient_organization=self.recipient_organization,
            recipient_classes=tuple(dict.fromkeys(self.recipient_classes)),
            intermediary_participants=self.intermediary_participants,
            treating_providers_only=self.treating_providers_only,
            information_classes=tuple(dict.fromkeys(self.information_classes)),
            information_description=self.information_description,
            purposes=tuple(dict.fromkeys(self.purposes)),
            purpose_description=purpose,
            expires_at=self.expires_at.astimezone(UTC) if self.expires_at else None,
            expiry_event=self.expiry_event,
            expiry_condition=self.expiry_condition,
            refusal_consequences=self.refusal_consequences,
            condition_of_admission=self.condition_of_admission,
            remind_days_before=self.remind_days_before,
        )


class ConsentOut(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID
    kind: ConsentKind
    status: ConsentStatus = Field(description="pending until signed; then active, expired or revoked")
    form_version: str | None = Field(description="the versioned form it was rendered from")
    document_id: uuid.UUID | None = Field(description="the form: its signature request and signed PDF")
    discloser: str | None
    recipient_kind: RecipientKind
    recipient_name: str
    recipient_organization: str | None
    recipient_classes: list[str]
    information_classes: list[str]
    information_description: str
    purposes: list[str]
    purpose_description: str
    expires_at: datetime | None
    expiry_event: ExpiryEvent | None
    expiry_condition: str | None
    condition_of_admission: bool
    signed_at: datetime | None
    expired_at: datetime | None
    revoked_at: datetime | None
    revocation_method: RevocationMethod | None
    revocation_document_id: uuid.UUID | None = Field(
        None, description="a revocation form waiting for the resident's signature"
    )
    workflow_id: str

    @classmethod
    def of(cls, c: Consent, pending_revocation: uuid.UUID | None = None) -> ConsentOut:
        return cls(
            id=c.id,
            resident_id=c.resident_id,
            kind=c.kind,
            status=c.status,
            form_version=c.form_version,
            document_id=c.document_id,
            discloser=c.discloser,
            recipient_kind=c.recipient_kind,
            recipient_name=c.recipient_name or "",
            recipient_organization=c.recipient_organization,
            recipient_classes=list(c.recipient_classes),
            information_classes=list(c.information_classes),
            information_description=c.information_scope or "",
            purposes=list(c.purposes),
            purpose_description=c.purpose or "",
            expires_at=c.expires_at,
            expiry_event=c.expiry_event,
            expiry_condition=c.expiration_event,
            condition_of_admission=c.condition_of_admission,
            signed_at=c.signed_at,
            expired_at=c.expired_at,
            revoked_at=c.revoked_at,
            revocation_method=c.revocation_method,
            revocation_document_id=c.revocation_document_id or pending_revocation,
            workflow_id=CONSENT.id(c.org_id, c.id),
        )


class RevocationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "I no longer want my records shared"}]},
    )
    file_id: uuid.UUID | None = Field(
        None,
        description="the resident's signed letter, uploaded first (POST /v1/documents/files): revoked at"
        " once. Absent: a revocation form goes to the resident's signing link, revoked when signed.",
    )
    reason: Text | None = Field(None, description="the resident's reason, if they gave one")


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"event": "condition"}]})
    event: ExpiryEvent = Field(description="the event the consent ends on, which has happened")


async def _lifecycle(
    processes: Processes, c: Consent, update: UpdateMethodMultiParam[[Any, A], ConsentState], arg: A
) -> ConsentState:
    """Send the lifecycle an update; a consent recorded before lifecycles ran (the seed, an
    import) gets its lifecycle first, adopting the consent as it stands."""
    try:
        return await processes.update(CONSENT, c.id, update, arg)
    except NotFound:
        await processes.start(
            CONSENT,
            c.id,
            ConsentLifecycleWorkflow.run,
            ConsentInput(processes.actor, c.id, c.resident_id, None),
            update=ConsentLifecycleWorkflow.wait_stored,
            update_arg=Wait(processes.actor),
        )
        return await processes.update(CONSENT, c.id, update, arg)


async def _link_ready(processes: Processes, document_id: uuid.UUID | None) -> None:
    """Answer once the resident's signing link exists, so staff can hand it over at once."""
    if document_id is not None:
        await processes.update(
            SIGNING, document_id, SignatureRequestWorkflow.wait_prepared, Wait(processes.actor)
        )


def _read(s: Session, consent_id: uuid.UUID, pending: uuid.UUID | None = None) -> ConsentOut:
    return ConsentOut.of(consents.get_consent(s, consent_id), pending)


def _list(s: Session, resident_id: uuid.UUID) -> list[ConsentOut]:
    residents.get_resident(s, resident_id)
    return [ConsentOut.of(c) for c in consents.resident_consents(s, resident_id)]


@router.post(
    "/v1/residents/{resident_id}/consents",
    status_code=201,
    response_model=ConsentOut,
    responses=start_responses(ConsentOut),
)
async def record_consent(
    resident_id: uuid.UUID,
    body: ConsentIn,
    _: Manager,
    processes: ProcessesDep,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ConsentOut:
    """Record a consent and send its form to the resident's signing link. 201 once the consent
    (pending until signed) and its form exist; staff hand over the link from
    `GET /v1/documents/{document_id}/signature-request/link`."""
    terms = body.terms()
    consents.check_terms(terms, datetime.now(UTC))
    # 404 for a resident outside the caller's org or houses, before anything starts.
    await db.run(residents.get_resident, resident_id)
    consent_id, replayed = await processes.claim(CONSENT, idempotency_key, body)
    state = await processes.start(
        CONSENT,
        consent_id,
        ConsentLifecycleWorkflow.run,
        ConsentInput(processes.actor, consent_id, resident_id, terms, body.sign_within_hours),
        update=ConsentLifecycleWorkflow.wait_stored,
        update_arg=Wait(processes.actor),
    )
    if state is not None and state.status is ConsentStatus.PENDING:
        await _link_ready(processes, state.document_id)
    if replayed:
        response.status_code = 200
    return await db.run(_read, consent_id)


@router.get("/v1/residents/{resident_id}/consents", response_model=list[ConsentOut])
async def resident_consents(resident_id: uuid.UUID, _: Manager, db: TenantDep) -> list[ConsentOut]:
    """Every consent of the resident, newest first, whatever its status."""
    return await db.run(_list, resident_id)


@router.get("/v1/consents/{consent_id}", response_model=ConsentOut)
async def get_consent(consent_id: uuid.UUID, _: Manager, db: TenantDep) -> ConsentOut:
    """One consent with its status, its form's document and its lifecycle's workflow id."""
    return await db.run(_read, consent_id)


@router.post("/v1/consents/{consent_id}/revocation", response_model=ConsentOut)
async def revoke_consent(
    consent_id: uuid.UUID, body: RevocationIn, _: Manager, processes: ProcessesDep, db: TenantDep
) -> ConsentOut:
    """Revocation in writing: with the resident's uploaded letter, revoked at once; without,
    the revocation form is sent to the resident's signing link (`revocation_document_id`) and
    the consent is revoked when they sign it. 409 unless the consent is active."""
    c = await db.run(consents.active_consent, consent_id)
    if body.file_id is not None:
        await db.run(consents.check_revocation_file, consent_id, body.file_id)
    state = await _lifecycle(
        processes,
        c,
        ConsentLifecycleWorkflow.revoke,
        WrittenRevocation(processes.actor, body.file_id, body.reason),
    )
    await _link_ready(processes, state.revocation_document_id)
    return await db.run(_read, consent_id, state.revocation_document_id)


@router.post("/v1/consents/{consent_id}/expiry-event", response_model=ConsentOut)
async def record_expiry_event(
    consent_id: uuid.UUID, body: EventIn, _: Manager, processes: ProcessesDep, db: TenantDep
) -> ConsentOut:
    """Staff record that the event or condition the consent ends on has happened: it expires."""
    c = await db.run(consents.active_consent, consent_id)
    await _lifecycle(
        processes, c, ConsentLifecycleWorkflow.event_happened, EventHappened(processes.actor, body.event)
    )
    return await db.run(_read, consent_id)
