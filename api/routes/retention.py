"""Retention and destruction over HTTP (`/v1/retention`), for the privacy officer and org-wide
roles with compliance:manage: the policies per record type (never below their legal floor: a 422
naming `retain_years`), legal holds placed and lifted with a reason, and the runs: start today's
dry run, read what it listed (counts), confirm or decline it, and download the certificate.

A run's messages go to its RetentionRun workflow (`retention/<org>/<run id>`); the policies,
holds and runs are database reads and plain audited writes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal
from api.deps import FilesDep, TenantDep, attachment, require
from api.fields import Int, Trimmed
from api.processes import ProcessesDep, start_responses
from core.contracts.retention import RecordType, certificate_file, run_id
from core.enums import DocumentType
from core.errors import Rejected
from core.permissions import Perm
from core.process import Wait
from models.retention import DestructionRun, LegalHold
from services.retention import holds, policies, runs
from workflows.retention import RETENTION, RetentionInput, RetentionRunWorkflow, RunState

router = APIRouter(tags=["retention"])
Officer = Annotated[Principal, Depends(require(Perm.COMPLIANCE_MANAGE))]
Reason = Annotated[str, Trimmed(2000)]


class PolicyOut(BaseModel):
    record_type: RecordType
    document_type: DocumentType | None
    retain_years: int
    retain_from: str
    legal_basis: str
    floor_years: int = Field(description="the least the law allows; a policy may be longer, never shorter")
    floor_basis: str


class PolicyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"retain_years": 7, "legal_basis": "Our board's policy: 7 years"}]},
    )
    retain_years: Int = Field(ge=1, le=100)
    legal_basis: Annotated[str, Trimmed(500)] | None = None
    document_type: DocumentType | None = Field(None, description="for record_type document: which type")


class HoldIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "resident_id": "3f2b8c1e-6d4a-4b7e-9c21-5a8d0e7f4b10",
                    "reason": "Litigation notice received",
                }
            ]
        },
    )
    resident_id: uuid.UUID | None = None
    breach_incident_id: uuid.UUID | None = None
    reason: Reason


class LiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "Case settled"}]})
    reason: Reason


class HoldOut(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID | None
    breach_incident_id: uuid.UUID | None
    placed_at: datetime
    lifted_at: datetime | None

    @classmethod
    def of(cls, h: LegalHold) -> HoldOut:
        return cls(
            id=h.id,
            resident_id=h.resident_id,
            breach_incident_id=h.breach_incident_id,
            placed_at=h.placed_at,
            lifted_at=h.lifted_at,
        )


class RunOut(BaseModel):
    id: uuid.UUID
    run_on: date
    status: str
    counts: dict[str, int] = Field(description="what the dry run listed, per record type")
    destroyed: dict[str, int]
    skipped: dict[str, int] = Field(description="listed, then saved by a hold placed before the destruction")
    listed_at: datetime
    confirmed_at: datetime | None
    destroyed_at: datetime | None
    certificate: bool

    @classmethod
    def of(cls, r: DestructionRun) -> RunOut:
        def n(m: dict[str, object]) -> dict[str, int]:
            return {k: len(v) for k, v in m.items() if isinstance(v, list) and k != runs.FILES}

        return cls(
            id=r.id,
            run_on=r.run_on,
            status=r.status,
            counts={k: int(v) for k, v in r.counts.items()},
            destroyed=n(r.destroyed),
            skipped=n(r.skipped),
            listed_at=r.listed_at,
            confirmed_at=r.confirmed_at,
            destroyed_at=r.destroyed_at,
            certificate=r.certificate_sha256 is not None,
        )


class RunStateOut(BaseModel):
    id: uuid.UUID
    workflow_id: str
    run_on: date
    status: str
    counts: dict[str, int] | None

    @classmethod
    def of(cls, st: RunState, workflow_id: str) -> RunStateOut:
        return cls(
            id=st.run_id, workflow_id=workflow_id, run_on=st.run_on, status=st.status, counts=st.counts
        )


@router.get("/v1/retention/policies", response_model=list[PolicyOut])
async def list_policies(_: Officer, db: TenantDep) -> list[PolicyOut]:
    """Every record type's period with its legal basis and its legal floor."""
    return [PolicyOut(**p.__dict__) for p in await db.run(policies.policies)]


@router.put("/v1/retention/policies/{record_type}", response_model=PolicyOut)
async def set_policy(record_type: RecordType, body: PolicyIn, _: Officer, db: TenantDep) -> PolicyOut:
    """Keep a record type longer (or back to its floor); never shorter than the law: a 422 naming
    `retain_years`, nothing written."""
    p = await db.run(
        policies.set_policy, record_type, body.retain_years, body.legal_basis, body.document_type
    )
    return PolicyOut(**p.__dict__)


@router.get("/v1/retention/holds", response_model=list[HoldOut])
async def list_holds(_: Officer, db: TenantDep) -> list[HoldOut]:
    """Every legal hold, active and lifted, oldest first (ids and dates; reasons stay encrypted)."""
    return [HoldOut.of(h) for h in await db.run(holds.all_holds)]


@router.post("/v1/retention/holds", status_code=201, response_model=HoldOut)
async def place_hold(body: HoldIn, officer: Officer, db: TenantDep) -> HoldOut:
    """Suspend destruction of a resident's records, or of a breach incident's (and of the records
    of every resident it affected), until lifted. Audited; the reason is kept encrypted."""
    if (body.resident_id is None) == (body.breach_incident_id is None):
        raise Rejected("name a resident_id or a breach_incident_id, not both", field="resident_id")
    hold = await db.run(
        holds.place,
        uuid.uuid4(),
        body.reason,
        officer.user_id,
        datetime.now(UTC),
        resident_id=body.resident_id,
        breach_incident_id=body.breach_incident_id,
    )
    return HoldOut.of(hold)


@router.post("/v1/retention/holds/{hold_id}/lift", response_model=HoldOut)
async def lift_hold(hold_id: uuid.UUID, body: LiftIn, officer: Officer, db: TenantDep) -> HoldOut:
    """Lift a hold with its reason (audited): the next run may list what it protected. 409 when
    it was already lifted."""
    hold = await db.run(holds.lift, hold_id, body.reason, officer.user_id, datetime.now(UTC))
    return HoldOut.of(hold)


@router.post(
    "/v1/retention/runs", status_code=201, response_model=RunStateOut, responses=start_responses(RunStateOut)
)
async def start_run(_: Officer, processes: ProcessesDep) -> RunStateOut:
    """Today's dry run now (the Schedule's run of the day, if it has started, is the same run):
    it lists what is past its period and not held, with counts, and changes nothing."""
    today = datetime.now(UTC).date()
    rid = run_id(processes.actor.org_id, today)
    state = await processes.start(
        RETENTION,
        rid,
        RetentionRunWorkflow.run,
        RetentionInput(processes.actor, today),
        update=RetentionRunWorkflow.wait_listed,
        update_arg=Wait(processes.actor),
    )
    if state is None:
        state = await processes.query(RETENTION, rid, RetentionRunWorkflow.state)
        assert state is not None
    return RunStateOut.of(state, processes.workflow_id(RETENTION, rid))


@router.get("/v1/retention/runs", response_model=list[RunOut])
async def list_runs(_: Officer, db: TenantDep) -> list[RunOut]:
    """Every retention run, newest first: what each listed, destroyed and skipped (counts)."""
    return [RunOut.of(r) for r in await db.run(runs.runs)]


@router.get("/v1/retention/runs/{run_id}", response_model=RunOut)
async def get_run(run_id: uuid.UUID, _: Officer, db: TenantDep) -> RunOut:
    """One run: its status (listed, confirmed, destroyed, declined, lapsed), its counts, when it
    was confirmed and destroyed, and whether its certificate exists."""
    return RunOut.of(await db.run(runs.get_run, run_id))


@router.post("/v1/retention/runs/{run_id}/confirm", response_model=RunStateOut)
async def confirm_run(run_id: uuid.UUID, _: Officer, processes: ProcessesDep) -> RunStateOut:
    """Destroy what this run's dry run listed (and no hold placed since protects); the
    destruction and its certificate follow shortly (GET the run)."""
    st = await processes.update(RETENTION, run_id, RetentionRunWorkflow.confirm, Wait(processes.actor))
    return RunStateOut.of(st, processes.workflow_id(RETENTION, run_id))


@router.post("/v1/retention/runs/{run_id}/decline", response_model=RunStateOut)
async def decline_run(run_id: uuid.UUID, _: Officer, processes: ProcessesDep) -> RunStateOut:
    """Destroy nothing of this run's list (audited); the next day's run lists again."""
    st = await processes.update(RETENTION, run_id, RetentionRunWorkflow.decline, Wait(processes.actor))
    return RunStateOut.of(st, processes.workflow_id(RETENTION, run_id))


@router.get("/v1/retention/runs/{run_id}/certificate.pdf", response_class=Response)
async def certificate_pdf(run_id: uuid.UUID, officer: Officer, db: TenantDep, files: FilesDep) -> Response:
    """The destruction certificate; its SHA-256 is checked against the run; the download is audited."""
    digest = await db.run(runs.certificate, run_id)
    data = await files.aget(certificate_file(officer.org_id, run_id), digest)
    return attachment(data, "application/pdf", f"destruction-certificate-{run_id}.pdf")
