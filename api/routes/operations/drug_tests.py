"""Drug tests over HTTP: the day's random draws (list, one, and its recomputation from the
record: what an auditor runs), a specimen collected (scheduled, for cause, or random naming its
draw), a result recorded (its workflow assesses it against the resident's prescriptions and
opens a recurrence incident when one), and the list of tests."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy.orm import Session

from api.deps import TenantDep, attachment
from api.fields import NUMBER, Reason, Trimmed
from api.pages import Limit, Offset, PageOut
from api.processes import ProcessesDep
from api.routes.documents import FileStoreDep
from api.routes.operations.guards import DrawReader, Staff, VisibleTest, visible_resident
from core.config import get_settings
from core.contracts.safety import BASIS_POINTS, Result
from core.enums import DrugTestResult, DrugTestType
from core.errors import Conflict, Rejected
from core.process import Wait
from models.files import FileUpload
from models.operations import DrugTest
from models.operations_safety import DrugTestDraw
from services.operations import curfew, drug_tests
from services.operations.drug_tests import Basis, Collection, DrawSettings, TestFilter
from workflows.operations import OPERATIONS
from workflows.operations.drug_tests import DrugTestResultWorkflow, ResultInput, ResultOutcome

router = APIRouter(tags=["operations"])


class DrugTestDrawPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    house_id: uuid.UUID
    draw_date: date
    rate_bp: int = Field(description="each eligible resident's chance, in basis points")
    weekly_cap: int
    eligible: list[str] = Field(description="resident ids, sorted as the HMAC message lists them")
    weekly_counts: dict[str, int] = Field(description="tests each already had that week")
    selected: list[str]
    key_id: str = Field(description="fingerprint of the draw key used")


class DrawVerification(BaseModel):
    draw_id: uuid.UUID
    house_id: uuid.UUID
    draw_date: date
    key_id: str
    key_matches: bool = Field(description="false when the draw was made with a key no longer held")
    recorded: list[uuid.UUID]
    recomputed: list[uuid.UUID]
    equal: bool


def _draws(
    s: Session, house_id: uuid.UUID | None, day: date | None, limit: int, offset: int
) -> PageOut[DrugTestDrawPublic]:
    return PageOut[DrugTestDrawPublic].of(
        drug_tests.list_draws(s, house_id, day, limit, offset), DrugTestDrawPublic.model_validate
    )


@router.get("/v1/operations/drug-test-draws", response_model=PageOut[DrugTestDrawPublic])
async def list_draws(
    _: DrawReader,
    db: TenantDep,
    house_id: Annotated[uuid.UUID | None, Query(description="only this house's draws")] = None,
    draw_date: Annotated[date | None, Query(description="only this day's")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[DrugTestDrawPublic]:
    """The random draws of the caller's houses, latest day first, each with its inputs."""
    return await db.run(_draws, house_id, draw_date, limit, offset)


def _draw(s: Session, draw_id: uuid.UUID) -> DrugTestDrawPublic:
    return DrugTestDrawPublic.model_validate(drug_tests.get_draw(s, draw_id))


@router.get("/v1/operations/drug-test-draws/{draw_id}", response_model=DrugTestDrawPublic)
async def get_draw(_: DrawReader, draw_id: uuid.UUID, db: TenantDep) -> DrugTestDrawPublic:
    """One draw with its inputs (row-level security: 404 outside the caller's houses)."""
    return await db.run(_draw, draw_id)


def _verify(s: Session, draw_id: uuid.UUID) -> DrawVerification:
    v = drug_tests.verify(s, get_settings().draw_key(), draw_id)
    return DrawVerification(
        draw_id=v.draw_id,
        house_id=v.house_id,
        draw_date=v.draw_date,
        key_id=v.key_id,
        key_matches=v.key_matches,
        recorded=v.recorded,
        recomputed=v.recomputed,
        equal=v.equal,
    )


@router.get("/v1/operations/drug-test-draws/{draw_id}/verification", response_model=DrawVerification)
async def verify_draw(_: DrawReader, draw_id: uuid.UUID, db: TenantDep) -> DrawVerification:
    """Recompute the draw from its recorded inputs with the draw key and compare."""
    return await db.run(_verify, draw_id)


# --- a house's draw settings ------------------------------------------------------------------


class DrawSettingsIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"draws": True, "probability": 0.15, "weekly_cap": 2}]},
    )
    draws: StrictBool = Field(description="whether the house draws residents at random at all")
    probability: Annotated[float, Field(gt=0, le=1), NUMBER] = Field(
        description="each eligible resident's chance of being drawn on a day, in steps of 0.0001"
    )
    weekly_cap: Annotated[int, Field(ge=0, le=drug_tests.MAX_WEEKLY_CAP), NUMBER] = Field(
        description="tests a resident may have in a week (Monday to Sunday) before the draw skips them"
    )

    def settings(self) -> DrawSettings:
        bp = round(self.probability * BASIS_POINTS)
        if bp == 0 or abs(self.probability * BASIS_POINTS - bp) > 1e-6:
            raise Rejected("the probability is given in steps of 0.0001", field="probability")
        return DrawSettings(self.draws, bp, self.weekly_cap)


class DrawSettingsDay(BaseModel):
    draws: bool
    probability: float
    rate_bp: int = Field(description="the probability in basis points, as a draw records it")
    weekly_cap: int

    @classmethod
    def of(cls, st: DrawSettings) -> DrawSettingsDay:
        return cls(
            draws=st.enabled,
            probability=st.rate_bp / BASIS_POINTS,
            rate_bp=st.rate_bp,
            weekly_cap=st.weekly_cap,
        )


class DrawSettingsOut(DrawSettingsDay):
    house_id: uuid.UUID
    effective_from: date | None = Field(
        description="the first draw day these settings apply to (null: they always have)"
    )
    today: DrawSettingsDay = Field(description="what today's draw uses (a change applies from tomorrow)")

    @classmethod
    def view(cls, v: drug_tests.SettingsView) -> DrawSettingsOut:
        return cls(
            **DrawSettingsDay.of(v.settings).model_dump(),
            house_id=v.house_id,
            effective_from=v.effective_from,
            today=DrawSettingsDay.of(v.today),
        )


def _today(s: Session) -> date:
    # The draw's day is the org's calendar day (the 06:00 Schedule runs in the org's zone).
    return datetime.now(UTC).astimezone(curfew.org_zone(s)).date()


def _settings(s: Session, house_id: uuid.UUID) -> DrawSettingsOut:
    return DrawSettingsOut.view(drug_tests.draw_settings(s, house_id, _today(s)))


@router.get("/v1/houses/{house_id}/random-drug-testing", response_model=DrawSettingsOut)
async def draw_settings(_: DrawReader, house_id: uuid.UUID, db: TenantDep) -> DrawSettingsOut:
    """The house's random drug-test draw: whether it draws, the daily probability, the weekly
    cap, and what today's draw uses. 404 naming `house_id` outside the caller's houses."""
    return await db.run(_settings, house_id)


def _change(s: Session, house_id: uuid.UUID, new: DrawSettings) -> DrawSettingsOut:
    return DrawSettingsOut.view(drug_tests.change_draw_settings(s, house_id, new, _today(s)))


@router.put("/v1/houses/{house_id}/random-drug-testing", response_model=DrawSettingsOut)
async def change_draw_settings(
    _: Staff, house_id: uuid.UUID, body: DrawSettingsIn, db: TenantDep
) -> DrawSettingsOut:
    """New draw settings for the house, from tomorrow's draw on: today's draw keeps what it was
    announced with, and every recorded draw keeps its own rate and cap. The change is in the
    audit trail as an update of the house."""
    return await db.run(_change, house_id, body.settings())


class DrugTestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "resident_id": "5e8a7d2c-9b1f-4c3e-a6d4-2f0b8e1c7a95",
                    "test_type": "urine",
                    "basis": "for_cause",
                    "collected_at": "2026-12-06T15:00:00Z",
                    "chain_of_custody_id": "COC-000123",
                    "reason": "Missed curfew",
                }
            ]
        },
    )
    resident_id: uuid.UUID
    test_type: DrugTestType
    basis: Basis = Field(description="scheduled, for_cause or random")
    collected_at: datetime
    chain_of_custody_id: str | None = Field(None, max_length=64, description="the custody form's number")
    observed_collection: StrictBool = False
    reason: Reason | None = Field(None, description="for a for-cause test (stored encrypted)")
    draw_id: uuid.UUID | None = Field(None, description="for a random test: the draw that chose them")


class DrugTestPublic(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID
    house_id: uuid.UUID | None
    test_type: DrugTestType
    result: DrugTestResult
    is_random: bool
    collected_at: datetime
    resulted_at: datetime | None
    chain_of_custody_id: str | None

    @classmethod
    def of(cls, t: DrugTest) -> DrugTestPublic:
        return cls(
            id=t.id,
            resident_id=t.resident_id,
            house_id=t.house_id,
            test_type=t.test_type,
            result=t.result,
            is_random=t.is_random,
            collected_at=t.collected_at,
            resulted_at=t.resulted_at,
            chain_of_custody_id=t.chain_of_custody_id,
        )


def _collect(s: Session, test_id: uuid.UUID, c: Collection, by: uuid.UUID | None) -> DrugTestPublic:
    return DrugTestPublic.of(drug_tests.collect(s, test_id, c, by))


@router.post("/v1/operations/drug-tests", status_code=201, response_model=DrugTestPublic)
async def collect(p: Staff, body: DrugTestIn, db: TenantDep) -> DrugTestPublic:
    """A specimen collected; its result comes later."""
    await visible_resident(db, body.resident_id)
    c = Collection(
        body.resident_id,
        body.test_type,
        body.basis,
        body.collected_at,
        body.chain_of_custody_id,
        body.observed_collection,
        body.reason,
        body.draw_id,
    )
    return await db.run(_collect, uuid.uuid4(), c, p.user_id)


class CustodyIn(BaseModel):
    """The chain-of-custody form as filled in: who collected the specimen, its id, the lab, the
    seal as it arrived, and when it was collected, sealed, received and reported. Stored
    encrypted with the lab details."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "collector": "J. Rivera",
                    "specimen_id": "SP-2026-0412",
                    "lab": "Keystone Toxicology",
                    "seal_intact": True,
                    "collected_at": "2026-12-06T15:00:00Z",
                    "received_at": "2026-12-07T09:30:00Z",
                }
            ]
        },
    )
    collector: Annotated[str, Trimmed(200)] = Field(description="who collected the specimen")
    specimen_id: Annotated[str, Trimmed(64)] = Field(description="the specimen's id on the form")
    lab: Annotated[str, Trimmed(200)] = Field(description="the laboratory that tested it")
    seal_intact: StrictBool = Field(description="the tamper-evident seal was intact on receipt")
    collected_at: AwareDatetime
    sealed_at: AwareDatetime | None = None
    received_at: AwareDatetime | None = Field(None, description="received at the lab")
    reported_at: AwareDatetime | None = Field(None, description="the lab's report date")

    def checked(self) -> dict[str, Any]:
        for name in ("sealed_at", "received_at", "reported_at"):
            at = getattr(self, name)
            if at is not None and at < self.collected_at:
                raise Rejected(f"{name} is before the collection", field=f"custody.{name}")
        return self.model_dump(mode="json", exclude_none=True)


class DrugTestResultIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "result": "positive",
                    "resulted_at": "2026-12-07T15:00:00Z",
                    "substances": [{"substance": "buprenorphine", "level": "120 ng/mL"}],
                },
                {
                    "result": "negative",
                    "resulted_at": "2026-12-07T15:00:00Z",
                    "lab_file_id": "7e3a1c5b-9d2f-4b8a-a6c4-3f0e1d2b5a69",
                    "custody": {
                        "collector": "J. Rivera",
                        "specimen_id": "SP-2026-0412",
                        "lab": "Keystone Toxicology",
                        "seal_intact": True,
                        "collected_at": "2026-12-06T15:00:00Z",
                    },
                },
            ]
        },
    )
    result: DrugTestResult
    resulted_at: datetime
    substances: list[dict[str, Any]] = Field(
        default_factory=list, description='[{"substance": "...", "level": "..."}]'
    )
    lab: dict[str, Any] = Field(
        default_factory=dict, description="lab name, accession number, panel, MRO review"
    )
    notes: Reason | None = None
    lab_file_id: uuid.UUID | None = Field(
        None, description="the lab's report (PDF, PNG or JPEG) uploaded with POST /v1/documents/files"
    )
    custody: CustodyIn | None = Field(None, description="the chain-of-custody form (stored encrypted)")


class DrugTestResultOut(BaseModel):
    test_id: uuid.UUID
    result: DrugTestResult
    recurrence: bool = Field(
        description="a recurrence of use: refused, or positive for something not prescribed"
    )
    explained: int = Field(description="substances a recorded prescription explains (MOUD included)")
    unexplained: int
    incident_id: uuid.UUID | None


@router.post("/v1/operations/drug-tests/{test_id}/result", response_model=DrugTestResultOut)
async def record_result(
    _: Staff, test_id: VisibleTest, body: DrugTestResultIn, db: TenantDep, processes: ProcessesDep
) -> DrugTestResultOut:
    """Record the result; a recurrence opens an incident with the house's response plan and
    tells the house manager."""
    if body.result is DrugTestResult.PENDING:
        raise Rejected("a result is not pending", field="result")
    custody = body.custody.checked() if body.custody is not None else {}
    if body.lab_file_id is not None:
        # Before the workflow starts: a file this org never uploaded is a 4xx, nothing written.
        await db.run(drug_tests.check_lab_file, test_id, body.lab_file_id)
    r = Result(
        body.result, body.resulted_at, body.substances, body.lab, body.notes, body.lab_file_id, custody
    )
    out: ResultOutcome | None = await processes.start(
        OPERATIONS,
        test_id,
        DrugTestResultWorkflow.run,
        ResultInput(processes.actor, test_id, r),
        update=DrugTestResultWorkflow.outcome,
        update_arg=Wait(processes.actor),
    )
    if out is None:
        raise Conflict("this test's result is already recorded", field="test_id")
    a = out.assessed
    return DrugTestResultOut(
        test_id=a.test_id,
        result=a.result,
        recurrence=a.recurrence,
        explained=a.explained,
        unexplained=a.unexplained,
        incident_id=out.incident_id,
    )


def _tests(s: Session, f: TestFilter, limit: int, offset: int) -> PageOut[DrugTestPublic]:
    return PageOut[DrugTestPublic].of(drug_tests.list_tests(s, f, limit, offset), DrugTestPublic.of)


@router.get("/v1/operations/drug-tests", response_model=PageOut[DrugTestPublic])
async def list_tests(
    _: Staff,
    db: TenantDep,
    house_id: Annotated[uuid.UUID | None, Query()] = None,
    resident_id: Annotated[uuid.UUID | None, Query()] = None,
    result: Annotated[DrugTestResult | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[DrugTestPublic]:
    """Drug tests in the caller's houses, latest collection first (results as statuses only)."""
    return await db.run(_tests, TestFilter(house_id, resident_id, result), limit, offset)


class LabFilePublic(BaseModel):
    id: uuid.UUID
    content_type: str
    size_bytes: int
    sha256: str


class DrugTestDetail(DrugTestPublic):
    custody: dict[str, Any] = Field(description="the chain-of-custody details recorded with the result")
    lab_file: LabFilePublic | None = Field(description="the lab's report, read at .../lab-report")


def _detail(s: Session, test_id: uuid.UUID) -> DrugTestDetail:
    t = drug_tests.get_test(s, test_id)
    fid = (t.lab_details or {}).get("lab_file_id")
    f = s.get(FileUpload, uuid.UUID(fid)) if fid else None
    lab = (
        LabFilePublic(id=f.id, content_type=f.content_type, size_bytes=f.size_bytes, sha256=f.sha256.hex())
        if f is not None
        else None
    )
    return DrugTestDetail(**DrugTestPublic.of(t).model_dump(), custody=drug_tests.custody_of(t), lab_file=lab)


@router.get("/v1/operations/drug-tests/{test_id}", response_model=DrugTestDetail)
async def get_test(_: Staff, test_id: VisibleTest, db: TenantDep) -> DrugTestDetail:
    """One test with its chain of custody and its lab file's description (decrypted, so the
    read is in the audit trail); 404 outside the caller's houses."""
    return await db.run(_detail, test_id)


def _lab_report(s: Session, test_id: uuid.UUID) -> tuple[str, bytes, str]:
    f = drug_tests.lab_report(s, test_id)
    return f.storage_key, f.sha256, f.content_type


@router.get("/v1/operations/drug-tests/{test_id}/lab-report", response_class=Response)
async def lab_report(_: Staff, test_id: VisibleTest, db: TenantDep, store: FileStoreDep) -> Response:
    """The lab's report as uploaded, its SHA-256 checked against the record; each download is
    an audit event. 404 outside the caller's houses or when the result named no file."""
    key, digest, media_type = await db.run(_lab_report, test_id)
    data = await store.aget(key, digest)
    return attachment(data, media_type, f"lab-report-{test_id.hex[:8]}")


__all__ = ["DrugTestDraw", "router"]
