"""Breach response over HTTP (`/v1/breaches`): the privacy officer (compliance:manage) reports an
incident, records its assessment and decision, marks notices sent and reports received, records
a law-enforcement delay, downloads the letters and closes it with its report.

Every message goes to the incident's BreachResponse workflow (`breach/<org>/<incident>`, found in
the Temporal UI by the org's search attribute `RecoveryOsOrgId`); lists and files are database
reads. Bad input is a 422 naming the field before anything is written or started.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from api.auth import Principal
from api.deps import FilesDep, TenantDep, attachment, require
from api.fields import NUMBER, Int, Trimmed
from api.processes import IdempotencyKeyHeader, ProcessesDep, start_responses
from core.contracts.breach import (
    ORAL_DELAY_MAX_DAYS,
    Assessment,
    Decision,
    DelayKind,
    NewIncident,
    NoticeContent,
    letter_file,
    report_file,
)
from core.errors import Rejected
from core.permissions import Perm
from core.process import Wait
from services.breach import incidents
from workflows.breach import (
    BREACH,
    AssessMsg,
    BreachInput,
    BreachResponseWorkflow,
    BreachState,
    DelayMsg,
    DoneMsg,
)

router = APIRouter(tags=["breach"])
Officer = Annotated[Principal, Depends(require(Perm.COMPLIANCE_MANAGE))]
Text = Annotated[str, Trimmed(4000)]
Short = Annotated[str, Trimmed(200)]
StateCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class BreachIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "discovered_at": "2026-12-01T15:00:00Z",
                    "occurred_at": "2026-11-28T09:00:00Z",
                    "description": "A laptop holding intake packets was stolen from a staff car.",
                    "phi_involved": "Names, dates of birth and insurance member numbers",
                    "affected_resident_ids": ["3f2b8c1e-6d4a-4b7e-9c21-5a8d0e7f4b10"],
                }
            ]
        },
    )
    discovered_at: AwareDatetime = Field(
        description="the first day anyone in the workforce knew, or should have known: the clocks start here"
    )
    occurred_at: AwareDatetime | None = None
    description: Text
    phi_involved: Text | None = None
    involves_part2: StrictBool = False
    affected_resident_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20000)
    others_by_state: dict[StateCode, Annotated[int, Field(ge=0, le=10_000_000)]] = Field(
        default_factory=dict, description="people affected who are not residents on record, per state"
    )
    others_unreachable: Int = Field(0, ge=0, le=10_000_000)
    baa_record_id: uuid.UUID | None = None
    ba_discovered_at: AwareDatetime | None = None
    warn_days: Int = Field(
        7, ge=1, le=30, description="escalate an open obligation this many days before it is due"
    )


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps_to_take: Text
    what_we_are_doing: Text
    toll_free_phone: Annotated[str, Trimmed(40, min_length=3)]
    email: Short
    postal_address: Text
    website: Short | None = None


class AssessmentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "nature_and_extent": "Names, dates of birth and insurance member numbers",
                    "unauthorized_person": "Unknown; the car was broken into",
                    "acquired_or_viewed": "The laptop was taken; its disk was not encrypted",
                    "mitigation": "Passwords reset, remote wipe requested",
                    "safe_harbour": False,
                    "decision": "notifiable",
                    "reasons": "Unencrypted identifiers and health plan data in unknown hands",
                    "notice": {
                        "steps_to_take": "Review statements from your health plan.",
                        "what_we_are_doing": "We now encrypt every laptop.",
                        "toll_free_phone": "1-800-555-0142",
                        "email": "privacy@example.org",
                        "postal_address": "PO Box 12, Durham, NC 27701",
                    },
                }
            ]
        },
    )
    nature_and_extent: Text = Field(
        description="the PHI involved: identifiers, likelihood of re-identification"
    )
    unauthorized_person: Text = Field(description="who used the information or to whom it was disclosed")
    acquired_or_viewed: Text = Field(description="whether it was actually acquired or viewed")
    mitigation: Text = Field(description="the extent to which the risk has been mitigated")
    safe_harbour: StrictBool = Field(
        description="encrypted with keys that were not compromised (not unsecured PHI)"
    )
    decision: Decision
    reasons: Text
    risk_level: Literal["low", "moderate", "high"] = "moderate"
    notice: NoticeIn | None = None


class DoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"obligation": "individuals"}]})
    obligation: Annotated[str, StringConstraints(pattern=r"^[a-z_]{3,40}(-[A-Z]{2}(-[a-z]+)?)?$")]


class DelayIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"kind": "oral", "days": 30, "official": "Det. Example, City Police"}]
        },
    )
    kind: DelayKind
    until: AwareDatetime | None = Field(
        None, description="written: the end of the period the statement specifies"
    )
    days: (
        Annotated[int, Field(ge=1, le=365, description="oral: how long the official asked for"), NUMBER]
        | None
    ) = None
    official: Short | None = Field(None, description="oral: who asked (164.412(b) asks it to be documented)")


class ObligationOut(BaseModel):
    key: str
    kind: str
    title: str
    due_at: datetime
    citation: str
    done_at: datetime | None


class DelayOut(BaseModel):
    kind: DelayKind
    start: datetime
    end: datetime


class BreachOut(BaseModel):
    id: uuid.UUID
    workflow_id: str
    closed: bool
    decision: Decision | None
    affected: int
    by_state: dict[str, int]
    unreachable: int
    letters: int | None
    obligations: list[ObligationOut]
    delays: list[DelayOut]

    @classmethod
    def of(cls, st: BreachState, workflow_id: str) -> BreachOut:
        f = st.facts
        return cls(
            id=st.incident_id,
            workflow_id=workflow_id,
            closed=st.closed,
            decision=st.decision,
            affected=f.affected if f else 0,
            by_state=dict(f.by_state) if f else {},
            unreachable=f.unreachable if f else 0,
            letters=st.letters,
            obligations=[
                ObligationOut(
                    key=o.key,
                    kind=o.kind.value,
                    title=o.title,
                    due_at=o.due_at,
                    citation=o.citation,
                    done_at=o.done_at,
                )
                for o in st.obligations
            ],
            delays=[DelayOut(kind=d.kind, start=d.start, end=d.end) for d in st.delays],
        )


class BreachSummary(BaseModel):
    id: uuid.UUID
    status: str
    discovered_at: datetime
    notification_deadline_at: datetime
    affected_count: int
    closed_at: datetime | None


class LetterOut(BaseModel):
    resident_id: uuid.UUID
    url: str


def _check(body: BreachIn) -> None:
    now = datetime.now(UTC)
    if body.discovered_at > now + timedelta(minutes=5):
        raise Rejected("discovered_at is in the future", field="discovered_at")
    if body.occurred_at is not None and body.occurred_at > body.discovered_at:
        raise Rejected("occurred_at is after discovered_at", field="occurred_at")
    if body.ba_discovered_at is not None and body.baa_record_id is None:
        raise Rejected("ba_discovered_at needs baa_record_id", field="ba_discovered_at")
    if not body.affected_resident_ids and not body.others_by_state:
        raise Rejected(
            "name the residents affected or count the others by state", field="affected_resident_ids"
        )
    if len(set(body.affected_resident_ids)) != len(body.affected_resident_ids):
        raise Rejected("a resident is listed twice", field="affected_resident_ids")


@router.post("/v1/breaches", status_code=201, response_model=BreachOut, responses=start_responses(BreachOut))
async def report_breach(
    body: BreachIn,
    _: Officer,
    processes: ProcessesDep,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> BreachOut:
    """Report a suspected breach; 201 once it is recorded with its clocks running from discovery."""
    _check(body)
    report = NewIncident(
        discovered_at=body.discovered_at,
        description=body.description,
        occurred_at=body.occurred_at,
        phi_involved=body.phi_involved,
        involves_part2=body.involves_part2,
        affected_resident_ids=list(body.affected_resident_ids),
        others_by_state=dict(body.others_by_state),
        others_unreachable=body.others_unreachable,
        baa_record_id=body.baa_record_id,
        ba_discovered_at=body.ba_discovered_at,
    )
    await db.run(incidents.check_report, report)
    incident_id, replayed = await processes.claim(BREACH, idempotency_key, body)
    state = await processes.start(
        BREACH,
        incident_id,
        BreachResponseWorkflow.run,
        BreachInput(processes.actor, incident_id, report, body.warn_days),
        update=BreachResponseWorkflow.wait_recorded,
        update_arg=Wait(processes.actor),
    )
    if state is None:
        state = await processes.query(BREACH, incident_id, BreachResponseWorkflow.state)
        assert state is not None
    if replayed:
        response.status_code = 200
    return BreachOut.of(state, processes.workflow_id(BREACH, incident_id))


@router.get("/v1/breaches", response_model=list[BreachSummary])
async def list_breaches(_: Officer, db: TenantDep) -> list[BreachSummary]:
    """The org's incidents, newest discovery first (no PHI)."""
    rows = await db.run(incidents.list_incidents)
    return [
        BreachSummary(
            id=r.id,
            status=r.status.value,
            discovered_at=r.discovered_at,
            notification_deadline_at=r.notification_deadline_at,
            affected_count=r.affected_count,
            closed_at=r.closed_at,
        )
        for r in rows
    ]


async def _state(processes: ProcessesDep, incident_id: uuid.UUID) -> BreachOut:
    st = await processes.query(BREACH, incident_id, BreachResponseWorkflow.state)
    if st is None:
        raise Rejected("the incident is still starting; retry shortly", field="incident_id")
    return BreachOut.of(st, processes.workflow_id(BREACH, incident_id))


@router.get("/v1/breaches/{incident_id}", response_model=BreachOut)
async def breach_status(incident_id: uuid.UUID, _: Officer, processes: ProcessesDep) -> BreachOut:
    """The incident's clocks as its workflow holds them: every obligation, its due time, the
    rule that set it and when it was met."""
    return await _state(processes, incident_id)


@router.post("/v1/breaches/{incident_id}/assessment", response_model=BreachOut)
async def assess(
    incident_id: uuid.UUID, body: AssessmentIn, _: Officer, processes: ProcessesDep
) -> BreachOut:
    """The four-factor risk assessment, the encryption safe harbour and the decision with its
    reasons; a notifiable decision writes the letters (`notice` is their content)."""
    if body.decision is Decision.NOTIFIABLE and body.safe_harbour:
        raise Rejected(
            "a breach of encrypted data whose keys were not compromised is not notifiable",
            field="safe_harbour",
        )
    if body.decision is Decision.NOTIFIABLE and body.notice is None:
        raise Rejected("a notifiable breach needs the letters' content", field="notice")
    n = body.notice
    a = Assessment(
        body.nature_and_extent,
        body.unauthorized_person,
        body.acquired_or_viewed,
        body.mitigation,
        body.safe_harbour,
        body.decision,
        body.reasons,
        body.risk_level,
        NoticeContent(
            n.steps_to_take, n.what_we_are_doing, n.toll_free_phone, n.email, n.postal_address, n.website
        )
        if n
        else None,
    )
    st = await processes.update(
        BREACH, incident_id, BreachResponseWorkflow.assess, AssessMsg(processes.actor, a)
    )
    return BreachOut.of(st, processes.workflow_id(BREACH, incident_id))


@router.post("/v1/breaches/{incident_id}/completions", response_model=BreachOut)
async def complete(incident_id: uuid.UUID, body: DoneIn, _: Officer, processes: ProcessesDep) -> BreachOut:
    """An obligation met: the letters mailed (`individuals`), HHS notified (`hhs`,
    `hhs_annual_log`), a media or regulator notice given, the business associate's report in."""
    st = await processes.update(
        BREACH, incident_id, BreachResponseWorkflow.complete, DoneMsg(processes.actor, body.obligation)
    )
    return BreachOut.of(st, processes.workflow_id(BREACH, incident_id))


@router.post("/v1/breaches/{incident_id}/law-enforcement-delay", status_code=202, response_model=BreachOut)
async def law_enforcement_delay(
    incident_id: uuid.UUID, body: DelayIn, _: Officer, processes: ProcessesDep
) -> BreachOut:
    """A law-enforcement official's statement that notice would impede an investigation
    (164.412): written, with the end of its period; or oral, for at most 30 days, with who asked.
    202: the clocks move as soon as the workflow takes the signal."""
    if body.kind is DelayKind.WRITTEN:
        if body.until is None:
            raise Rejected("a written statement specifies the period: until", field="until")
        if body.until <= datetime.now(UTC):
            raise Rejected("until is in the past", field="until")
    else:
        if body.days is None:
            raise Rejected(f"an oral request needs days (at most {ORAL_DELAY_MAX_DAYS} count)", field="days")
        if not body.official:
            raise Rejected("document who asked orally", field="official")
    current = await _state(processes, incident_id)
    if current.closed:
        raise Rejected("this incident is closed", field="incident_id")
    await processes.signal(
        BREACH,
        incident_id,
        BreachResponseWorkflow.law_enforcement_delay,
        DelayMsg(processes.actor, body.kind, body.until, body.days, body.official),
    )
    return current


@router.post("/v1/breaches/{incident_id}/close", response_model=BreachOut)
async def close(incident_id: uuid.UUID, _: Officer, processes: ProcessesDep) -> BreachOut:
    """Close an incident whose obligations are all met; writes the closing report."""
    st = await processes.update(BREACH, incident_id, BreachResponseWorkflow.close, Wait(processes.actor))
    return BreachOut.of(st, processes.workflow_id(BREACH, incident_id))


@router.get("/v1/breaches/{incident_id}/letters", response_model=list[LetterOut])
async def letters(incident_id: uuid.UUID, _: Officer, db: TenantDep) -> list[LetterOut]:
    """The notice letters written for the residents on record (404 before the decision)."""
    inc = await db.run(incidents.get_incident, incident_id)
    return [
        LetterOut(resident_id=uuid.UUID(rid), url=f"/v1/breaches/{incident_id}/letters/{rid}.pdf")
        for rid in sorted(inc.letters or {})
    ]


@router.get("/v1/breaches/{incident_id}/letters/{resident_id}.pdf", response_class=Response)
async def letter_pdf(
    incident_id: uuid.UUID, resident_id: uuid.UUID, officer: Officer, db: TenantDep, files: FilesDep
) -> Response:
    """One resident's notice letter; its SHA-256 is checked against the record; the download is
    audited."""
    digest = await db.run(incidents.letter_digest, incident_id, resident_id)
    data = await files.aget(letter_file(officer.org_id, incident_id, resident_id), digest)
    return attachment(data, "application/pdf", f"breach-notice-{resident_id}.pdf")


@router.get("/v1/breaches/{incident_id}/report.pdf", response_class=Response)
async def report_pdf(incident_id: uuid.UUID, officer: Officer, db: TenantDep, files: FilesDep) -> Response:
    """The closing report with the timeline (404 until the incident is closed)."""
    digest = await db.run(incidents.report_digest, incident_id)
    data = await files.aget(report_file(officer.org_id, incident_id), digest)
    return attachment(data, "application/pdf", f"breach-report-{incident_id}.pdf")
