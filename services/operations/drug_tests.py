"""Drug and alcohol testing: scheduled, for-cause and random tests, the random draw per house and
day (core/contracts/safety.py) recorded with its inputs and recomputable, results encrypted with
their chain of custody, lab files through the file store, and the rule that a positive a
recorded prescription explains (MOUD included) is not a recurrence of use."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.contracts.safety import (
    BASIS_POINTS,
    Assessed,
    DrawInputs,
    Result,
    draw,
    key_fingerprint,
    unexplained,
    week_start,
)
from core.enums import AuditAction, DrugTestResult, DrugTestType, ResidentStatus
from core.errors import Conflict, NotFound, Rejected
from core.events import EventType
from models.files import FileUpload
from models.operations import DrugTest
from models.operations_safety import DrugTestDraw
from models.orgs import House
from models.residents import Resident
from services import events, residents
from services.paging import Page, matching, page


class Basis(StrEnum):
    """Why a test was taken: on the house's schedule, for cause, or drawn at random."""

    SCHEDULED = "scheduled"
    FOR_CAUSE = "for_cause"
    RANDOM = "random"


# --- the random draw -------------------------------------------------------------------------


def draw_inputs(session: Session, house_id: uuid.UUID, day: date) -> DrawInputs:
    """Who may be drawn today (residents living in the house) and what each already has this
    week: tests collected from Monday up to yesterday, and earlier draws of this week."""
    house = session.get(House, house_id)
    if house is None:
        raise NotFound("house not found", field="house_id")
    eligible = tuple(
        session.scalars(
            select(Resident.id)
            .where(Resident.current_house_id == house_id, Resident.status == ResidentStatus.ACTIVE)
            .order_by(Resident.id)
        )
    )
    monday = week_start(day)
    counts: dict[str, int] = {}
    start = datetime.combine(monday, time(), tzinfo=UTC)
    end = datetime.combine(day, time(), tzinfo=UTC)
    collected = session.execute(
        select(DrugTest.resident_id, func.count())
        .where(
            DrugTest.resident_id.in_(eligible),
            DrugTest.collected_at >= start,
            DrugTest.collected_at < end,
            DrugTest.is_random.is_(False),
        )
        .group_by(DrugTest.resident_id)
    )
    for rid, n in collected:
        counts[str(rid)] = counts.get(str(rid), 0) + int(n)
    earlier = session.scalars(
        select(DrugTestDraw).where(
            DrugTestDraw.house_id == house_id, DrugTestDraw.draw_date >= monday, DrugTestDraw.draw_date < day
        )
    )
    for d in earlier:
        for rid in d.selected:
            counts[rid] = counts.get(rid, 0) + 1
    settings = settings_for(house, day)
    return DrawInputs(
        house_id,
        day,
        eligible,
        settings.rate_bp if settings.enabled else 0,
        settings.weekly_cap,
        {k: v for k, v in sorted(counts.items()) if k in {str(e) for e in eligible}},
    )


def draw_id(house_id: uuid.UUID, day: date) -> uuid.UUID:
    return uuid.uuid5(house_id, f"drug-test-draw/{day.isoformat()}")


def make_draw(session: Session, key: bytes, house_id: uuid.UUID, day: date) -> DrugTestDraw:
    """Draw the house's residents for `day` and record it; a day already drawn stays as it was."""
    existing = session.get(DrugTestDraw, draw_id(house_id, day))
    if existing is not None:
        return existing
    inp = draw_inputs(session, house_id, day)
    chosen = draw(key, inp)
    row = DrugTestDraw(
        id=draw_id(house_id, day),
        org_id=session.info["actor"]["org_id"],
        house_id=house_id,
        draw_date=day,
        rate_bp=inp.rate_bp,
        weekly_cap=inp.weekly_cap,
        eligible=[str(r) for r in inp.eligible],
        weekly_counts=dict(inp.weekly_counts),
        selected=[str(r) for r in chosen],
        key_id=key_fingerprint(key),
    )
    session.add(row)
    session.flush()
    events.emit(session, EventType.DRUG_TEST_DRAWN, row.id, house_id=house_id, count=len(chosen))
    return row


def draw_houses(session: Session, day: date) -> list[uuid.UUID]:
    """The houses that draw on `day`: those whose settings for that day draw, at a rate above
    zero."""
    houses = session.scalars(select(House).where(House.deleted_at.is_(None)).order_by(House.id))
    return [h.id for h in houses if (st := settings_for(h, day)).enabled and st.rate_bp > 0]


# --- the draw's settings ---------------------------------------------------------------------


@dataclass(frozen=True)
class DrawSettings:
    """A house's random drug testing: whether it draws, each resident's chance a day (basis
    points), and how many tests a resident may have in a week before the draw passes them by."""

    enabled: bool
    rate_bp: int
    weekly_cap: int

    def as_json(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "rate_bp": self.rate_bp, "weekly_cap": self.weekly_cap}


# The house's check constraint: at most one test a day, so at most seven a week.
MAX_WEEKLY_CAP = 7


def _current(h: House) -> DrawSettings:
    return DrawSettings(h.random_tests_enabled, h.random_test_rate_bp, h.random_test_weekly_cap)


def settings_for(h: House, day: date) -> DrawSettings:
    """The settings `day`'s draw uses: the current ones from the day they took effect, the ones
    they replaced before it."""
    before = h.random_test_settings_before
    if h.random_test_settings_from is not None and day < h.random_test_settings_from and before:
        return DrawSettings(bool(before["enabled"]), int(before["rate_bp"]), int(before["weekly_cap"]))
    return _current(h)


@dataclass(frozen=True)
class SettingsView:
    house_id: uuid.UUID
    # What draws from `effective_from` on (null: have always) ...
    settings: DrawSettings
    effective_from: date | None
    # ... and what today's draw uses (the same unless a change takes effect tomorrow).
    today: DrawSettings


def draw_settings(session: Session, house_id: uuid.UUID, today: date) -> SettingsView:
    h = session.get(House, house_id)
    if h is None:
        raise NotFound("house not found", field="house_id")
    return SettingsView(h.id, _current(h), h.random_test_settings_from, settings_for(h, today))


def change_draw_settings(
    session: Session, house_id: uuid.UUID, new: DrawSettings, today: date
) -> SettingsView:
    """New settings from tomorrow's draw on: today's draw (made at 06:00, or still to come) keeps
    the settings it was announced with. Several changes in one day: the last wins, and today
    still uses what it had. Audited as an update of the house (the fields, not the values)."""
    if not 0 < new.rate_bp <= BASIS_POINTS:
        raise Rejected("the daily probability must be above 0 and at most 1", field="probability")
    if not 0 <= new.weekly_cap <= MAX_WEEKLY_CAP:
        raise Rejected(f"the weekly cap must be between 0 and {MAX_WEEKLY_CAP}", field="weekly_cap")
    h = session.get(House, house_id)
    if h is None:
        raise NotFound("house not found", field="house_id")
    tomorrow = today + timedelta(days=1)
    if h.random_test_settings_from != tomorrow:
        # What today's draw uses, kept for it (and any other day before tomorrow).
        h.random_test_settings_before = settings_for(h, today).as_json()
        h.random_test_settings_from = tomorrow
    h.random_tests_enabled, h.random_test_rate_bp, h.random_test_weekly_cap = (
        new.enabled,
        new.rate_bp,
        new.weekly_cap,
    )
    session.flush()
    return SettingsView(h.id, new, tomorrow, settings_for(h, today))


@dataclass(frozen=True)
class Verification:
    draw_id: uuid.UUID
    house_id: uuid.UUID
    draw_date: date
    key_id: str
    recorded: list[uuid.UUID]
    recomputed: list[uuid.UUID]
    # False when the draw was made with a key this deployment no longer holds.
    key_matches: bool

    @property
    def equal(self) -> bool:
        return self.key_matches and self.recorded == self.recomputed


def inputs_of(d: DrugTestDraw) -> DrawInputs:
    return DrawInputs(
        d.house_id,
        d.draw_date,
        tuple(uuid.UUID(r) for r in d.eligible),
        d.rate_bp,
        d.weekly_cap,
        {k: int(v) for k, v in d.weekly_counts.items()},
    )


def verify(session: Session, key: bytes, draw_id_: uuid.UUID) -> Verification:
    """Recompute a recorded draw from its inputs alone and compare."""
    d = get_draw(session, draw_id_)
    recomputed = draw(key, inputs_of(d))
    return Verification(
        d.id,
        d.house_id,
        d.draw_date,
        d.key_id,
        [uuid.UUID(r) for r in d.selected],
        recomputed,
        key_fingerprint(key) == d.key_id,
    )


def get_draw(session: Session, id_: uuid.UUID) -> DrugTestDraw:
    d = session.get(DrugTestDraw, id_)
    if d is None:
        raise NotFound("draw not found", field="draw_id")
    return d


def list_draws(
    session: Session, house_id: uuid.UUID | None, day: date | None, limit: int, offset: int
) -> Page[DrugTestDraw]:
    stmt = matching(select(DrugTestDraw), (DrugTestDraw.house_id, house_id), (DrugTestDraw.draw_date, day))
    return page(session, stmt.order_by(DrugTestDraw.draw_date.desc(), DrugTestDraw.id), limit, offset)


# --- tests and results -----------------------------------------------------------------------


@dataclass(frozen=True)
class Collection:
    resident_id: uuid.UUID
    test_type: DrugTestType
    basis: Basis
    collected_at: datetime
    chain_of_custody_id: str | None = None
    observed_collection: bool = False
    reason: str | None = None
    draw_id: uuid.UUID | None = None


def collect(session: Session, test_id: uuid.UUID, c: Collection, by: uuid.UUID | None) -> DrugTest:
    """A specimen taken (once per id). A for-cause test needs its reason; a random one names
    the draw that chose the resident."""
    existing = session.get(DrugTest, test_id)
    if existing is not None:
        return existing
    if c.basis is Basis.FOR_CAUSE and not (c.reason or "").strip():
        raise Rejected("a for-cause test needs its reason", field="reason")
    resident = residents.get_resident(session, c.resident_id)
    if c.basis is Basis.RANDOM:
        if c.draw_id is None:
            raise Rejected("a random test names the draw that chose the resident", field="draw_id")
        d = get_draw(session, c.draw_id)
        if str(c.resident_id) not in d.selected:
            raise Conflict("the resident was not drawn that day", field="draw_id")
    t = DrugTest(
        id=test_id,
        org_id=resident.org_id,
        resident_id=resident.id,
        house_id=resident.current_house_id,
        test_type=c.test_type,
        result=DrugTestResult.PENDING,
        is_random=c.basis is Basis.RANDOM,
        collected_at=c.collected_at,
        collected_by_user_id=by,
        observed_collection=c.observed_collection,
        chain_of_custody_id=c.chain_of_custody_id,
    )
    t.reason = c.reason
    t.lab_details = {"basis": c.basis.value, **({"draw_id": str(c.draw_id)} if c.draw_id else {})}
    session.add(t)
    session.flush()
    return t


def get_test(session: Session, test_id: uuid.UUID) -> DrugTest:
    t = session.get(DrugTest, test_id)
    if t is None:
        raise NotFound("drug test not found", field="test_id")
    return t


def record_result(session: Session, test_id: uuid.UUID, r: Result, by: uuid.UUID | None) -> DrugTest:
    t = get_test(session, test_id)
    if r.result is DrugTestResult.PENDING:
        raise Rejected("a result is not pending", field="result")
    if t.result is not DrugTestResult.PENDING:
        if t.result is r.result:
            return t
        raise Conflict(f"the test already has a result ({t.result.value})", field="test_id")
    if r.resulted_at < t.collected_at:
        raise Rejected("resulted_at is before the collection", field="resulted_at")
    if r.result is DrugTestResult.POSITIVE and not r.substances:
        raise Rejected("a positive result names what was detected", field="substances")
    t.result, t.resulted_at, t.reviewed_by_user_id, t.reviewed_at = r.result, r.resulted_at, by, r.resulted_at
    t.substances_detected = list(r.substances)
    details = dict(t.lab_details or {})
    details.update(r.lab)
    if r.lab_file_id is not None:
        details["lab_file_id"] = str(r.lab_file_id)
    if r.custody:
        details["custody"] = dict(r.custody)
    t.lab_details = details
    if r.notes is not None:
        t.notes = r.notes
    session.flush()
    return t


def assess(session: Session, test_id: uuid.UUID) -> Assessed:
    """A refused test, or a positive for anything no recorded prescription explains, is a
    recurrence of use; a positive for a prescribed medication (buprenorphine, methadone...) is
    not. The prescriptions read are the resident's recorded `medications`."""
    t = get_test(session, test_id)
    resident = residents.get_resident(session, t.resident_id)
    detected = list(t.substances_detected or [])
    meds = list(resident.medications or [])
    t.declared_medications = meds
    left = unexplained(detected, meds) if t.result is DrugTestResult.POSITIVE else []
    recurrence = t.result is DrugTestResult.REFUSED or bool(left)
    events.emit(
        session,
        EventType.DRUG_TEST_RESULTED,
        t.id,
        resident_id=t.resident_id,
        house_id=t.house_id,
        result=t.result,
        recurrence=int(recurrence),
    )
    return Assessed(
        t.id,
        t.resident_id,
        t.house_id,
        t.result,
        recurrence,
        len(detected) - len(left) if t.result is DrugTestResult.POSITIVE else 0,
        len(left),
        t.collected_at,
    )


def response_plan(session: Session, house_id: uuid.UUID | None) -> str:
    house = session.get(House, house_id) if house_id else None
    return (house.recurrence_response_plan if house else None) or DEFAULT_PLAN


# NARR 3.0: a recurrence of use is recorded and addressed; the house's own plan replaces this.
DEFAULT_PLAN = (
    "Meet with the resident within 24 hours; review their recovery plan and supports; "
    "offer a referral to a higher level of care; follow the house agreement on consequences."
)


@dataclass(frozen=True)
class TestFilter:
    house_id: uuid.UUID | None = None
    resident_id: uuid.UUID | None = None
    result: DrugTestResult | None = None


def list_tests(session: Session, f: TestFilter, limit: int, offset: int) -> Page[DrugTest]:
    stmt = matching(
        select(DrugTest),
        (DrugTest.house_id, f.house_id),
        (DrugTest.resident_id, f.resident_id),
        (DrugTest.result, f.result),
    )
    return page(session, stmt.order_by(DrugTest.collected_at.desc(), DrugTest.id), limit, offset)


def lab_file_key(org_id: uuid.UUID, test_id: uuid.UUID) -> str:
    return f"{org_id}/drug-tests/{test_id}/lab-report"


# --- lab files -------------------------------------------------------------------------------

# What a lab sends: its report as a PDF, or a photo or scan of the form.
LAB_FILE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})


def check_lab_file(session: Session, test_id: uuid.UUID, file_id: uuid.UUID) -> FileUpload:
    """A file uploaded to this org's store (POST /v1/documents/files) that can be a lab
    report for this test: another org's file is invisible here (row-level security), so it is
    as unknown as an id never uploaded."""
    t = get_test(session, test_id)
    f = session.get(FileUpload, file_id)
    if f is None or f.deleted_at is not None:
        raise NotFound("no uploaded file has this id", field="lab_file_id")
    if f.content_type not in LAB_FILE_TYPES:
        raise Rejected("a lab report is a PDF, PNG or JPEG file", field="lab_file_id")
    if f.resident_id is not None and f.resident_id != t.resident_id:
        raise Rejected("the file was uploaded for another resident", field="lab_file_id")
    return f


def custody_of(t: DrugTest) -> dict[str, Any]:
    """The chain-of-custody details recorded with the result (decrypted, so audited)."""
    return dict((t.lab_details or {}).get("custody") or {})


def lab_report(session: Session, test_id: uuid.UUID) -> FileUpload:
    """The lab file attached to the test's result, its reading recorded in the audit trail
    (who, which test, from where) in the same transaction."""
    t = get_test(session, test_id)
    fid = (t.lab_details or {}).get("lab_file_id")
    f = session.get(FileUpload, uuid.UUID(fid)) if fid else None
    if f is None or f.deleted_at is not None:
        raise NotFound("this test has no lab file", field="test_id")
    audit.record(session, AuditAction.EXPORT, "drug_tests", test_id, {"file": "lab_report", "file_id": fid})
    return f
