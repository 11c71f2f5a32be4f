"""A current resident's last days at the house: chores, meetings, curfew and daily check-ins,
wellness check-ins and clinical assessments. One function per kind of row, called per resident
in this order by `seed.operations`."""

from __future__ import annotations

from datetime import timedelta

from core.enums import AttendanceStatus, CheckInStatus, ChoreStatus, MeetingKind, ResidentStatus, UserRole
from models.operations import Chore, ChoreAssignment, CurfewConfig, Incident, Meeting, MeetingAttendance, Pass
from models.operations_extended import MeetingRequirement
from seed.context import Plan, SeedContext, day_at, day_of, on_day
from seed.factories.operations import (
    ClinicalAssessmentFactory,
    CurfewCheckInFactory,
    DailyCheckInFactory,
    WellnessCheckInFactory,
)
from seed.factories.people import OPIOIDS


def chores(ctx: SeedContext, r: Plan, house_chores: list[Chore]) -> None:
    """Yesterday's kitchen clean (missed by position 4) and bathroom reset (excused for
    position 2), and tomorrow's porch sweep."""
    kind = r.i
    plan = [
        (house_chores[0], day_of(-1), ChoreStatus.VERIFIED if kind != 4 else ChoreStatus.MISSED),
        (house_chores[1], day_of(-1), ChoreStatus.COMPLETED if kind != 2 else ChoreStatus.EXCUSED),
        (house_chores[2], day_of(1), ChoreStatus.ASSIGNED),
    ]
    for k, (chore, due, status) in enumerate(plan):
        done = status in (ChoreStatus.COMPLETED, ChoreStatus.VERIFIED)
        verified = status is ChoreStatus.VERIFIED
        note = None
        if status is ChoreStatus.MISSED:
            note = ctx.p(f"{r.person.first} missed the kitchen clean, second time this month.")
        elif status is ChoreStatus.EXCUSED:
            note = ctx.p(f"Excused: {r.person.first} had a court appearance that morning.")
        ctx.new(
            ChoreAssignment,
            chore_id=chore.id,
            resident_id=r.id,
            due_date=due,
            status=status,
            completed_at=on_day(due, 18) if done else None,
            verified_by_user_id=ctx.house_manager.id if verified else None,
            verified_at=on_day(due, 20) if verified else None,
            photo_file_id=ctx.misc_file.id if k == 0 and kind == 1 else None,
            notes=note,
        )


def meetings(ctx: SeedContext, r: Plan, house_meeting: Meeting, outside: Meeting) -> None:
    """The house meeting (position 3 came late), the outside home group, an NA meeting of the
    resident's own choosing; position 4's court-ordered 90 meetings in 90 days."""
    late = r.i == 3
    ctx.new(
        MeetingAttendance,
        meeting_id=house_meeting.id,
        resident_id=r.id,
        attended_at=day_at(-3, 19, 15 if late else 0),
        status=AttendanceStatus.LATE if late else AttendanceStatus.PRESENT,
        verified_by_user_id=ctx.house_manager.id,
        verified_at=day_at(-3, 20, 30),
        notes=ctx.p(f"{r.person.first} arrived late from work; stayed for the full check-in.")
        if late
        else None,
    )
    ctx.new(
        MeetingAttendance,
        meeting_id=outside.id,
        resident_id=r.id,
        attended_at=day_at(-2, 12),
        status=AttendanceStatus.PRESENT,
    )
    ctx.new(
        MeetingAttendance,
        resident_id=r.id,
        kind=MeetingKind.NA,
        external_meeting_name="Tuesday night candlelight group",
        attended_at=day_at(-5, 20),
        status=AttendanceStatus.PRESENT,
        proof_file_id=None,
        notes=ctx.p(f"{r.person.first} brought a signed attendance slip from the chairperson."),
    )
    if r.i == 4:
        assert r.move_in is not None
        ctx.new(
            MeetingRequirement,
            resident_id=r.id,
            required_count=90,
            period_days=90,
            effective_from_date=r.move_in,
            effective_until_date=r.move_in + timedelta(days=89),
            reason=ctx.p(f"Recovery court order: {r.person.first} must attend 90 meetings in 90 days"),
        )


def curfew(
    ctx: SeedContext, r: Plan, rule: CurfewConfig, out: Pass | None, incident: Incident | None
) -> None:
    """The last two nights: on time, except position 3 late last night (its incident) and
    whoever is away on `out` excused."""
    for d in (-2, -1):
        night = day_of(d)
        status = CheckInStatus.ON_TIME
        if d == -1 and r.i == 3:
            status = CheckInStatus.LATE
        if d == -1 and r.status is ResidentStatus.ON_PASS:
            status = CheckInStatus.EXCUSED
        excused, late = status is CheckInStatus.EXCUSED, status is CheckInStatus.LATE
        due = on_day(night, 22)
        ctx.add(
            CurfewCheckInFactory.build(
                id=ctx.nid(),
                org_id=ctx.org_id,
                plan=r,
                curfew_config_id=rule.id,
                curfew_date=night,
                due_at=due,
                checked_in_at=None if excused else due + timedelta(minutes=40 if late else -25),
                status=status,
                verified_by_user_id=ctx.house_manager.id,
                pass_id=out.id if excused and out is not None else None,
                incident_id=incident.id if late and incident is not None else None,
                location={
                    "lat": 35.6 + ctx.rng.random() / 10,
                    "lng": -82.6 + ctx.rng.random() / 10,
                    "accuracy_m": 12,
                },
                excuse_reason=ctx.p(f"{r.person.first} is on an approved overnight pass with family")
                if excused
                else None,
            )
        )


def check_ins(ctx: SeedContext, r: Plan) -> None:
    """Three mornings of daily check-ins, then two evenings of wellness check-ins (position 2
    asked for a follow-up last night)."""
    first = r.person.first
    for d in (-3, -2, -1):
        day = day_of(d)
        ctx.add(
            DailyCheckInFactory.build(
                id=ctx.nid(),
                org_id=ctx.org_id,
                plan=r,
                check_in_date=day,
                checked_in_at=on_day(day, 8, ctx.rng.randint(0, 50)),
                status=CheckInStatus.ON_TIME,
                reviewed_by_user_id=ctx.house_manager.id if d < -1 else None,
                reviewed_at=on_day(day, 12) if d < -1 else None,
                location={"lat": 35.6 + ctx.rng.random() / 10, "lng": -82.6 + ctx.rng.random() / 10},
                responses={
                    "sober_today": True,
                    "plans": ctx.p(f"{first}: work shift 9 to 5, then noon meeting tomorrow (day {d})"),
                },
                notes=ctx.p(f"{first} feels steady today; talked to sponsor last night (day {d})")
                if d == -1
                else None,
            )
        )
    for d in (-2, -1):
        _wellness(ctx, r, d)


def _wellness(ctx: SeedContext, r: Plan, d: int) -> None:
    day = day_of(d)
    first = r.person.first
    follow = r.i == 2 and d == -1
    ctx.add(
        WellnessCheckInFactory.build(
            id=ctx.nid(),
            org_id=ctx.org_id,
            plan=r,
            check_in_date=day,
            submitted_at=on_day(day, 21),
            submitted_by_user_id=ctx.users[UserRole.RESIDENT].id if r is ctx.residents[0] else None,
            follow_up_requested=follow,
            reviewed_by_user_id=ctx.users[UserRole.PEER_SUPPORT].id if follow else None,
            reviewed_at=on_day(day, 22) if follow else None,
            mood_rating=ctx.rng.randint(3, 9),
            craving_rating=ctx.rng.randint(0, 6),
            stress_rating=ctx.rng.randint(2, 8),
            sleep_rating=ctx.rng.randint(3, 9),
            responses={
                "triggers": ctx.p(f"{first}: payday and driving past the old neighbourhood"),
                "gratitude": "my sponsor and a steady job",
                "medication_taken": r.substance in OPIOIDS,
            },
            notes=ctx.p(f"{first} wrote: rough night, cravings after a call from an ex (day {d})")
            if follow
            else None,
            staff_notes=ctx.p(f"Peer support met {first} the same evening; safety plan reviewed.")
            if follow
            else None,
        )
    )


def assessments(ctx: SeedContext, r: Plan) -> None:
    """A PHQ-9 at move-in; position 1 also brought a BAM from their outpatient clinician."""
    assert r.move_in is not None and r.admission is not None
    ctx.add(
        ClinicalAssessmentFactory.build(
            id=ctx.nid(),
            org_id=ctx.org_id,
            plan=r,
            instrument="PHQ-9",
            instrument_version="2001",
            administered_at=on_day(r.move_in, 17),
            administered_by_user_id=ctx.case_manager.id,
            completed_at=on_day(r.move_in, 17, 20),
            next_due_date=day_of(ctx.rng.randint(5, 40)),
            score=ctx.rng.randint(4, 19),
            subscale_scores={},
            severity=ctx.pick(["mild", "moderate", "moderately severe"]),
            answers={f"q{i}": ctx.rng.randint(0, 3) for i in range(1, 10)},
            clinician_notes=ctx.p(
                f"{r.person.first} reports low mood since leaving treatment; refer to a counselor."
            ),
        )
    )
    if r.i == 1:
        ctx.add(
            ClinicalAssessmentFactory.build(
                id=ctx.nid(),
                org_id=ctx.org_id,
                plan=r,
                instrument="BAM",
                administered_at=day_at(-10, 14),
                completed_at=day_at(-10, 14, 30),
                file_id=ctx.id_scans[r.id].id,
                score=ctx.rng.randint(5, 30),
                subscale_scores={"use": 1, "risk": 9, "protective": 18},
                external_clinician=ctx.p("Helena Marchetti-Voss, LCSW, Blue Ridge IOP"),
                clinician_notes=ctx.p(f"BAM for {r.person.first}: protective factors strong, risk moderate."),
            )
        )
