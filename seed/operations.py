"""House operations: chores, curfew, check-ins, drug tests, meetings, passes, incidents, maintenance,
vehicles, tasks, clinical assessments."""

from __future__ import annotations

import uuid
from datetime import time, timedelta

from core.enums import (
    AttendanceStatus,
    CheckInStatus,
    ChoreFrequency,
    ChoreStatus,
    DrugTestResult,
    DrugTestType,
    IncidentSeverity,
    IncidentStatus,
    IncidentType,
    MaintenanceStatus,
    MeetingKind,
    PassStatus,
    PassType,
    Priority,
    ResidentStatus,
    TaskStatus,
    UserRole,
)
from models.operations import (
    Chore,
    ChoreAssignment,
    CurfewConfig,
    DailyCheckIn,
    DrugTest,
    Incident,
    Meeting,
    MeetingAttendance,
    Pass,
    Task,
)
from models.operations_extended import (
    ChoreTemplate,
    ClinicalAssessment,
    CurfewCheckIn,
    MaintenanceRequest,
    MeetingRequirement,
    MeetingType,
    Vehicle,
    WellnessCheckIn,
)
from seed.context import SeedContext, day_at, day_of, on_day
from seed.factories import MEDICATIONS


def operations(ctx: SeedContext) -> None:
    current = [r for r in ctx.residents if r.current]
    hm = ctx.house_manager
    # Chores.
    org_templates = [
        ("Kitchen deep clean", "kitchen", ["wipe counters", "clean stovetop", "mop floor"], 45),
        ("Bathroom reset", "bathroom", ["scrub sink and tub", "restock paper", "empty trash"], 30),
    ]
    templates: list[ChoreTemplate] = []
    for name, area, checklist, minutes in org_templates:
        templates.append(
            ctx.add(
                ChoreTemplate(
                    id=ctx.nid(),
                    org_id=ctx.org_id,
                    name=name,
                    area=area,
                    frequency=ChoreFrequency.WEEKLY,
                    default_points=2,
                    estimated_minutes=minutes,
                    checklist=checklist,
                )
            )
        )
    house_templates: dict[uuid.UUID, ChoreTemplate] = {}
    for house in ctx.houses:
        house_templates[house.id] = ctx.add(
            ChoreTemplate(
                id=ctx.nid(),
                org_id=ctx.org_id,
                house_id=house.id,
                name="Porch and walkway sweep",
                area="outside",
                frequency=ChoreFrequency.DAILY,
                default_points=1,
                estimated_minutes=15,
                checklist=["sweep porch", "clear walkway"],
            )
        )
    meeting_types = {
        MeetingKind.HOUSE_MEETING: "Weekly house meeting",
        MeetingKind.AA: "Home group (AA)",
        MeetingKind.NA: "NA step study",
        MeetingKind.SMART_RECOVERY: "SMART Recovery",
    }
    mtypes: dict[MeetingKind, MeetingType] = {}
    for mkind, name in meeting_types.items():
        mtypes[mkind] = ctx.add(
            MeetingType(
                id=ctx.nid(),
                org_id=ctx.org_id,
                name=name,
                kind=mkind,
                counts_toward_requirement=mkind is not MeetingKind.HOUSE_MEETING,
                requires_proof=mkind in (MeetingKind.AA, MeetingKind.NA),
                default_duration_minutes=60,
            )
        )
    curfew_default = ctx.add(
        CurfewConfig(
            id=ctx.nid(),
            org_id=ctx.org_id,
            name="Phase 1 curfew",
            min_days_in_residence=0,
            weeknight_curfew=time(22, 0),
            weekend_curfew=time(23, 0),
            grace_minutes=10,
            effective_from_date=day_of(-400),
        )
    )
    ctx.add(
        CurfewConfig(
            id=ctx.nid(),
            org_id=ctx.org_id,
            name="Phase 2 curfew",
            min_days_in_residence=60,
            weeknight_curfew=time(23, 0),
            weekend_curfew=time(23, 59),
            grace_minutes=15,
            effective_from_date=day_of(-400),
        )
    )
    ctx.add(
        CurfewConfig(
            id=ctx.nid(),
            org_id=ctx.org_id,
            house_id=ctx.houses[1].id,
            name="Willow House phase 1",
            min_days_in_residence=0,
            weeknight_curfew=time(21, 30),
            weekend_curfew=time(22, 30),
            grace_minutes=5,
            effective_from_date=day_of(-200),
            effective_until_date=day_of(165),
        )
    )
    ctx.add(
        MeetingRequirement(
            id=ctx.nid(),
            org_id=ctx.org_id,
            required_count=3,
            period_days=7,
            min_days_in_residence=0,
            max_days_in_residence=90,
            effective_from_date=day_of(-400),
        )
    )
    ctx.add(
        MeetingRequirement(
            id=ctx.nid(),
            org_id=ctx.org_id,
            house_id=ctx.houses[0].id,
            meeting_type_id=mtypes[MeetingKind.HOUSE_MEETING].id,
            kind=MeetingKind.HOUSE_MEETING,
            required_count=1,
            period_days=7,
            effective_from_date=day_of(-400),
        )
    )
    ctx.flush()
    chores: dict[uuid.UUID, list[Chore]] = {}
    for house in ctx.houses:
        hc: list[Chore] = []
        for k, t in enumerate([*templates, house_templates[house.id]]):
            hc.append(
                ctx.add(
                    Chore(
                        id=ctx.nid(),
                        org_id=ctx.org_id,
                        house_id=house.id,
                        template_id=t.id,
                        name=t.name,
                        area=t.area,
                        frequency=t.frequency,
                        day_of_week=(k * 2) % 7 if t.frequency is ChoreFrequency.WEEKLY else None,
                        points=t.default_points,
                        estimated_minutes=t.estimated_minutes,
                    )
                )
            )
        chores[house.id] = hc
    meetings: dict[uuid.UUID, Meeting] = {}
    for house in ctx.houses:
        meetings[house.id] = ctx.add(
            Meeting(
                id=ctx.nid(),
                org_id=ctx.org_id,
                house_id=house.id,
                meeting_type_id=mtypes[MeetingKind.HOUSE_MEETING].id,
                kind=MeetingKind.HOUSE_MEETING,
                title=f"{house.name} weekly meeting",
                starts_at=day_at(-3, 19),
                ends_at=day_at(-3, 20),
                location=f"{house.name} living room",
                is_mandatory=True,
                facilitator_user_id=hm.id,
                notes=ctx.p(
                    "Discussed chore rotation; "
                    + ", ".join(r.person.first for r in current if r.house is house)
                    + " shared updates on work and step work."
                ),
            )
        )
        ctx.add(
            Meeting(
                id=ctx.nid(),
                org_id=ctx.org_id,
                house_id=house.id,
                meeting_type_id=mtypes[MeetingKind.HOUSE_MEETING].id,
                kind=MeetingKind.HOUSE_MEETING,
                title=f"{house.name} weekly meeting",
                starts_at=day_at(4, 19),
                ends_at=day_at(4, 20),
                location=f"{house.name} living room",
                is_mandatory=True,
                facilitator_user_id=hm.id,
            )
        )
    outside = ctx.add(
        Meeting(
            id=ctx.nid(),
            org_id=ctx.org_id,
            meeting_type_id=mtypes[MeetingKind.AA].id,
            kind=MeetingKind.AA,
            title="Noon home group",
            starts_at=day_at(-2, 12),
            ends_at=day_at(-2, 13),
            location="First Street community hall",
            is_external=True,
        )
    )
    ctx.flush()

    # Drug tests (before passes and incidents, which point at them).
    for r in ctx.residents:
        if r.move_in is None:
            continue
        ctx.coc_no += 1
        collected = (
            day_at(-ctx.rng.randint(3, 12), 7, 30) if r.current else on_day(r.move_out or day_of(-20), 8)
        )
        positive = r.status is ResidentStatus.DISCHARGED
        test = ctx.add(
            DrugTest(
                id=ctx.nid(),
                org_id=ctx.org_id,
                resident_id=r.id,
                house_id=r.house.id,
                test_type=DrugTestType.URINE,
                result=DrugTestResult.POSITIVE if positive else DrugTestResult.NEGATIVE,
                is_random=not positive,
                collected_at=collected,
                collected_by_user_id=hm.id,
                observed_collection=True,
                chain_of_custody_id=f"COC-{ctx.coc_no:06d}",
                sent_to_lab_at=collected + timedelta(hours=3) if positive else None,
                resulted_at=collected + timedelta(minutes=10),
                reviewed_by_user_id=ctx.case_manager.id,
                reviewed_at=collected + timedelta(hours=2),
                fee_cents=2500,
                substances_detected=[{"substance": r.substance, "level_ng_ml": ctx.rng.randint(20, 900)}]
                if positive
                else [],
                lab_details={
                    "lab": "Piedmont Toxicology",
                    "panel": "12-panel cup",
                    "accession": f"PT{ctx.rng.randint(10**6, 10**7)}",
                },
                declared_medications=[m["name"] for m in MEDICATIONS[:1]] if r.n % 4 == 0 else [],
                reason=ctx.p(f"For cause: {r.person.first} seemed impaired at the house meeting")
                if positive
                else None,
                notes=ctx.p(f"{r.person.first} provided specimen without issue; temperature strip in range.")
                if not positive
                else ctx.p(f"{r.person.first} admitted use before the result was read."),
            )
        )
        r.drug_tests.append(test)
    ctx.flush()
    for r in ctx.residents:
        if r.status is not ResidentStatus.DISCHARGED or not r.drug_tests:
            continue
        screen = r.drug_tests[0]
        ctx.coc_no += 1
        r.drug_tests.append(
            ctx.add(
                DrugTest(
                    id=ctx.nid(),
                    org_id=ctx.org_id,
                    resident_id=r.id,
                    house_id=r.house.id,
                    test_type=DrugTestType.URINE,
                    result=DrugTestResult.POSITIVE,
                    is_random=False,
                    collected_at=screen.collected_at,
                    chain_of_custody_id=f"COC-{ctx.coc_no:06d}",
                    sent_to_lab_at=screen.collected_at + timedelta(hours=3),
                    resulted_at=screen.collected_at + timedelta(days=2),
                    confirms_test_id=screen.id,
                    substances_detected=[{"substance": r.substance, "method": "LC-MS/MS confirmation"}],
                    lab_details={
                        "lab": "Piedmont Toxicology",
                        "panel": "GC/MS confirmation",
                        "mro_reviewed": True,
                    },
                )
            )
        )
    ctx.flush()

    # Passes.
    passes: dict[uuid.UUID, Pass] = {}
    for r in current:
        kind = r.i
        host = ctx.person()
        base = {
            "id": ctx.nid(),
            "org_id": ctx.org_id,
            "resident_id": r.id,
            "house_id": r.house.id,
            "destination": ctx.address()["line1"] + ", Weaverville",
            "host_contact": {"name": host.full, "phone": ctx.phone(), "relationship": "aunt"},
            "reason": ctx.p(f"{r.person.first} is visiting family for a birthday and a church service"),
            "requested_at": day_at(-6, 12),
        }
        if kind in (0, 4):
            continue
        if r.status is ResidentStatus.ON_PASS:
            p = Pass(
                **base,
                pass_type=PassType.OVERNIGHT,
                status=PassStatus.ACTIVE,
                departs_at=day_at(-1, 10),
                returns_at=day_at(1, 18),
                actual_departed_at=day_at(-1, 10, 15),
                decided_by_user_id=hm.id,
                decided_at=day_at(-3, 9),
                drug_test_required_on_return=True,
            )
        elif kind == 1:
            p = Pass(
                **base,
                pass_type=PassType.WEEKEND,
                status=PassStatus.COMPLETED,
                departs_at=day_at(-9, 17),
                returns_at=day_at(-7, 18),
                actual_departed_at=day_at(-9, 17, 5),
                actual_returned_at=day_at(-7, 17, 40),
                decided_by_user_id=hm.id,
                decided_at=day_at(-10, 9),
                drug_test_required_on_return=True,
                return_drug_test_id=r.drug_tests[0].id if r.drug_tests else None,
            )
        elif kind == 2:
            p = Pass(
                **base,
                pass_type=PassType.DAY,
                status=PassStatus.DENIED,
                departs_at=day_at(2, 9),
                returns_at=day_at(2, 20),
                decided_by_user_id=hm.id,
                decided_at=day_at(-1, 9),
                denial_reason=ctx.p(
                    f"{r.person.first} is in the first 30 days; day passes start in phase 2."
                ),
            )
        else:
            p = Pass(
                **base,
                pass_type=PassType.DAY,
                status=PassStatus.REQUESTED,
                departs_at=day_at(3, 9),
                returns_at=day_at(3, 21),
            )
        passes[r.id] = ctx.add(p)
    ctx.flush()

    # Incidents.
    incidents: dict[uuid.UUID, Incident] = {}
    for r in ctx.residents:
        kind = r.i
        if r.status is ResidentStatus.DISCHARGED and r.drug_tests:
            witness = ctx.person()
            occurred = r.drug_tests[0].collected_at - timedelta(hours=12)
            incidents[r.id] = ctx.add(
                Incident(
                    id=ctx.nid(),
                    org_id=ctx.org_id,
                    house_id=r.house.id,
                    resident_id=r.id,
                    incident_type=IncidentType.RELAPSE,
                    severity=IncidentSeverity.HIGH,
                    status=IncidentStatus.CLOSED,
                    occurred_at=occurred,
                    reported_at=occurred + timedelta(hours=1),
                    reported_by_user_id=hm.id,
                    location="back porch",
                    naloxone_administered=False,
                    drug_test_id=r.drug_tests[0].id,
                    follow_up_due_date=occurred.date() + timedelta(days=3),
                    resolved_at=occurred + timedelta(days=2),
                    resolved_by_user_id=ctx.users[UserRole.EXECUTIVE_DIRECTOR].id,
                    description=ctx.p(
                        f"{r.person.full} returned after curfew visibly impaired and later admitted "
                        f"using {r.substance} with an old friend."
                    ),
                    involved_parties=[{"resident_id": str(r.id), "role": "primary"}],
                    witnesses=[
                        {
                            "name": witness.full,
                            "statement": ctx.p(
                                f"{witness.first} saw {r.person.first} stumble on the porch steps."
                            ),
                        }
                    ],
                    actions_taken=ctx.p(
                        f"Stayed with {r.person.first}, checked breathing, naloxone ready; paged on-call."
                    ),
                    resolution_notes=ctx.p(f"{r.person.first} chose discharge to intensive outpatient care."),
                )
            )
        elif kind == 3 and r.current:
            occurred = day_at(-1, 22, 40)
            incidents[r.id] = ctx.add(
                Incident(
                    id=ctx.nid(),
                    org_id=ctx.org_id,
                    house_id=r.house.id,
                    resident_id=r.id,
                    incident_type=IncidentType.CURFEW_VIOLATION,
                    severity=IncidentSeverity.LOW,
                    status=IncidentStatus.OPEN,
                    occurred_at=occurred,
                    reported_at=occurred + timedelta(minutes=30),
                    reported_by_user_id=hm.id,
                    location="front door",
                    follow_up_due_date=day_of(2),
                    description=ctx.p(
                        f"{r.person.full} came in 40 minutes late; the night-shift bus broke down."
                    ),
                )
            )
        elif kind == 4 and r.current:
            occurred = day_at(-8, 16)
            incidents[r.id] = ctx.add(
                Incident(
                    id=ctx.nid(),
                    org_id=ctx.org_id,
                    house_id=r.house.id,
                    resident_id=r.id,
                    incident_type=IncidentType.CONFLICT,
                    severity=IncidentSeverity.MEDIUM,
                    status=IncidentStatus.RESOLVED,
                    occurred_at=occurred,
                    reported_at=occurred + timedelta(hours=2),
                    reported_by_user_id=hm.id,
                    location="kitchen",
                    police_involved=True,
                    resolved_at=occurred + timedelta(days=1),
                    resolved_by_user_id=hm.id,
                    description=ctx.p(
                        f"Shouting match between {r.person.first} and a housemate over kitchen chores; "
                        f"a neighbour called the police."
                    ),
                    police_report_number=ctx.p(f"WPD-26-{ctx.rng.randint(100000, 999999)}"),
                    resolution_notes=ctx.p(f"Mediated house meeting; {r.person.first} apologised."),
                )
            )
    ctx.flush()

    # Per-resident daily routines.
    for r in current:
        assert r.move_in is not None and r.admission is not None
        kind = r.i
        hc = chores[r.house.id]
        for k, (chore, due, status) in enumerate(
            [
                (hc[0], day_of(-1), ChoreStatus.VERIFIED if kind != 4 else ChoreStatus.MISSED),
                (hc[1], day_of(-1), ChoreStatus.COMPLETED if kind != 2 else ChoreStatus.EXCUSED),
                (hc[2], day_of(1), ChoreStatus.ASSIGNED),
            ]
        ):
            done = status in (ChoreStatus.COMPLETED, ChoreStatus.VERIFIED)
            note = None
            if status is ChoreStatus.MISSED:
                note = ctx.p(f"{r.person.first} missed the kitchen clean, second time this month.")
            elif status is ChoreStatus.EXCUSED:
                note = ctx.p(f"Excused: {r.person.first} had a court appearance that morning.")
            ctx.add(
                ChoreAssignment(
                    id=ctx.nid(),
                    org_id=ctx.org_id,
                    chore_id=chore.id,
                    resident_id=r.id,
                    due_date=due,
                    status=status,
                    completed_at=on_day(due, 18) if done else None,
                    verified_by_user_id=hm.id if status is ChoreStatus.VERIFIED else None,
                    verified_at=on_day(due, 20) if status is ChoreStatus.VERIFIED else None,
                    photo_file_id=ctx.misc_file.id if k == 0 and kind == 1 else None,
                    notes=note,
                )
            )
        late = kind == 3
        ctx.add(
            MeetingAttendance(
                id=ctx.nid(),
                org_id=ctx.org_id,
                meeting_id=meetings[r.house.id].id,
                resident_id=r.id,
                attended_at=day_at(-3, 19, 15 if late else 0),
                status=AttendanceStatus.LATE if late else AttendanceStatus.PRESENT,
                verified_by_user_id=hm.id,
                verified_at=day_at(-3, 20, 30),
                notes=ctx.p(f"{r.person.first} arrived late from work; stayed for the full check-in.")
                if late
                else None,
            )
        )
        ctx.add(
            MeetingAttendance(
                id=ctx.nid(),
                org_id=ctx.org_id,
                meeting_id=outside.id,
                resident_id=r.id,
                attended_at=day_at(-2, 12),
                status=AttendanceStatus.PRESENT,
            )
        )
        ctx.add(
            MeetingAttendance(
                id=ctx.nid(),
                org_id=ctx.org_id,
                resident_id=r.id,
                kind=MeetingKind.NA,
                external_meeting_name="Tuesday night candlelight group",
                attended_at=day_at(-5, 20),
                status=AttendanceStatus.PRESENT,
                proof_file_id=None,
                notes=ctx.p(f"{r.person.first} brought a signed attendance slip from the chairperson."),
            )
        )
        if kind == 4:
            ctx.add(
                MeetingRequirement(
                    id=ctx.nid(),
                    org_id=ctx.org_id,
                    resident_id=r.id,
                    required_count=90,
                    period_days=90,
                    effective_from_date=r.move_in,
                    effective_until_date=r.move_in + timedelta(days=89),
                    reason=ctx.p(
                        f"Recovery court order: {r.person.first} must attend 90 meetings in 90 days"
                    ),
                )
            )
        for d in (-2, -1):
            night = day_of(d)
            cstatus = CheckInStatus.ON_TIME
            if d == -1 and kind == 3:
                cstatus = CheckInStatus.LATE
            if d == -1 and r.status is ResidentStatus.ON_PASS:
                cstatus = CheckInStatus.EXCUSED
            due = on_day(night, 22)
            ctx.add(
                CurfewCheckIn(
                    id=ctx.nid(),
                    org_id=ctx.org_id,
                    resident_id=r.id,
                    house_id=r.house.id,
                    curfew_config_id=curfew_default.id,
                    curfew_date=night,
                    due_at=due,
                    checked_in_at=None
                    if cstatus is CheckInStatus.EXCUSED
                    else due + timedelta(minutes=40 if cstatus is CheckInStatus.LATE else -25),
                    status=cstatus,
                    method="kiosk",
                    verified_by_user_id=hm.id,
                    pass_id=passes[r.id].id if cstatus is CheckInStatus.EXCUSED and r.id in passes else None,
                    incident_id=incidents[r.id].id
                    if cstatus is CheckInStatus.LATE and r.id in incidents
                    else None,
                    location={
                        "lat": 35.6 + ctx.rng.random() / 10,
                        "lng": -82.6 + ctx.rng.random() / 10,
                        "accuracy_m": 12,
                    },
                    excuse_reason=ctx.p(f"{r.person.first} is on an approved overnight pass with family")
                    if cstatus is CheckInStatus.EXCUSED
                    else None,
                )
            )
        for d in (-3, -2, -1):
            day = day_of(d)
            ctx.add(
                DailyCheckIn(
                    id=ctx.nid(),
                    org_id=ctx.org_id,
                    resident_id=r.id,
                    house_id=r.house.id,
                    check_in_date=day,
                    checked_in_at=on_day(day, 8, ctx.rng.randint(0, 50)),
                    status=CheckInStatus.ON_TIME,
                    method="app",
                    reviewed_by_user_id=hm.id if d < -1 else None,
                    reviewed_at=on_day(day, 12) if d < -1 else None,
                    location={
                        "lat": 35.6 + ctx.rng.random() / 10,
                        "lng": -82.6 + ctx.rng.random() / 10,
                    },
                    responses={
                        "sober_today": True,
                        "plans": ctx.p(
                            f"{r.person.first}: work shift 9 to 5, then noon meeting tomorrow (day {d})"
                        ),
                    },
                    notes=ctx.p(
                        f"{r.person.first} feels steady today; talked to sponsor last night (day {d})"
                    )
                    if d == -1
                    else None,
                )
            )
        for d in (-2, -1):
            day = day_of(d)
            follow = kind == 2 and d == -1
            ctx.add(
                WellnessCheckIn(
                    id=ctx.nid(),
                    org_id=ctx.org_id,
                    resident_id=r.id,
                    house_id=r.house.id,
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
                        "triggers": ctx.p(f"{r.person.first}: payday and driving past the old neighbourhood"),
                        "gratitude": "my sponsor and a steady job",
                        "medication_taken": r.substance in ("fentanyl", "oxycodone", "heroin"),
                    },
                    notes=ctx.p(
                        f"{r.person.first} wrote: rough night, cravings after a call from an ex (day {d})"
                    )
                    if follow
                    else None,
                    staff_notes=ctx.p(
                        f"Peer support met {r.person.first} the same evening; safety plan reviewed."
                    )
                    if follow
                    else None,
                )
            )
        ctx.add(
            ClinicalAssessment(
                id=ctx.nid(),
                org_id=ctx.org_id,
                resident_id=r.id,
                admission_id=r.admission.id,
                instrument="PHQ-9",
                instrument_version="2001",
                administered_at=on_day(r.move_in, 17),
                administered_by_user_id=ctx.case_manager.id,
                completed_at=on_day(r.move_in, 17, 20),
                next_due_date=day_of(ctx.rng.randint(5, 40)),
                consent_id=r.consent.id if r.consent else None,
                score=ctx.rng.randint(4, 19),
                subscale_scores={},
                severity=ctx.pick(["mild", "moderate", "moderately severe"]),
                answers={f"q{i}": ctx.rng.randint(0, 3) for i in range(1, 10)},
                clinician_notes=ctx.p(
                    f"{r.person.first} reports low mood since leaving treatment; refer to a counselor."
                ),
            )
        )
        if kind == 1:
            ctx.add(
                ClinicalAssessment(
                    id=ctx.nid(),
                    org_id=ctx.org_id,
                    resident_id=r.id,
                    admission_id=r.admission.id,
                    instrument="BAM",
                    administered_at=day_at(-10, 14),
                    completed_at=day_at(-10, 14, 30),
                    consent_id=r.consent.id if r.consent else None,
                    file_id=ctx.id_scans[r.id].id,
                    score=ctx.rng.randint(5, 30),
                    subscale_scores={"use": 1, "risk": 9, "protective": 18},
                    external_clinician=ctx.p("Helena Marchetti-Voss, LCSW, Blue Ridge IOP"),
                    clinician_notes=ctx.p(
                        f"BAM for {r.person.first}: protective factors strong, risk moderate."
                    ),
                )
            )

    # Maintenance, vehicles, tasks.
    for h, house in enumerate(ctx.houses):
        ctx.add(
            MaintenanceRequest(
                id=ctx.nid(),
                org_id=ctx.org_id,
                house_id=house.id,
                category="plumbing",
                title="Leaking kitchen faucet",
                description="Drip under the sink; cabinet floor is wet.",
                priority=Priority.NORMAL,
                status=MaintenanceStatus.RESOLVED,
                reported_by_user_id=hm.id,
                reported_at=day_at(-12, 9),
                assigned_to_user_id=ctx.users[UserRole.PROPERTY_MANAGER].id,
                vendor_name="Ridgeline Plumbing Co.",
                scheduled_for=day_at(-10, 10),
                resolved_at=day_at(-10, 12),
                entry_permitted=True,
                estimated_cost_cents=18000,
                actual_cost_cents=16500,
            )
        )
        if h % 2 == 0:
            damager = next((r for r in current if r.house is house), None)
            ctx.add(
                MaintenanceRequest(
                    id=ctx.nid(),
                    org_id=ctx.org_id,
                    house_id=house.id,
                    room_id=ctx.house_rooms[house.id][1].id,
                    category="structural",
                    title="Broken window latch",
                    priority=Priority.HIGH,
                    status=MaintenanceStatus.SCHEDULED,
                    reported_by_user_id=hm.id,
                    reported_at=day_at(-2, 18),
                    assigned_to_user_id=ctx.users[UserRole.PROPERTY_MANAGER].id,
                    scheduled_for=day_at(2, 10),
                    estimated_cost_cents=9000,
                    chargeback_resident_id=damager.id if damager else None,
                    photo_file_id=ctx.misc_file.id,
                    internal_notes=ctx.p(
                        f"{damager.person.first} forced the latch after being locked out past curfew."
                    )
                    if damager
                    else None,
                )
            )
    for r in current:
        if r.i != 1:
            continue
        ctx.add(
            Vehicle(
                id=ctx.nid(),
                org_id=ctx.org_id,
                resident_id=r.id,
                house_id=r.house.id,
                make="Honda",
                model="Civic",
                year=2014,
                color="silver",
                parking_spot="Driveway 2",
                registration_expires_date=day_of(120),
                insurance_expires_date=day_of(60),
                license_plate=ctx.p(f"PKR-{ctx.rng.randint(1000, 9999)}"),
                license_plate_state="NC",
                vin=ctx.p(f"2HGFB2F5{ctx.rng.randint(10**8, 10**9 - 1)}"),
                insurance_policy_number=ctx.p(f"POL-{ctx.rng.randint(10**7, 10**8 - 1)}"),
                notes=ctx.p(f"{r.person.first} uses the car for the early bakery shift."),
            )
        )
    ctx.add(
        Vehicle(
            id=ctx.nid(),
            org_id=ctx.org_id,
            house_id=ctx.houses[0].id,
            is_org_owned=True,
            make="Ford",
            model="Transit 350",
            year=2022,
            color="white",
            parking_spot="Side lot",
            registration_expires_date=day_of(200),
            license_plate=ctx.p(f"RCV-{ctx.rng.randint(1000, 9999)}"),
            license_plate_state="NC",
        )
    )
    for r, inc in ((ctx.plan_of(rid), inc) for rid, inc in incidents.items()):
        done = inc.status in (IncidentStatus.CLOSED, IncidentStatus.RESOLVED)
        ctx.add(
            Task(
                id=ctx.nid(),
                org_id=ctx.org_id,
                assigned_to_user_id=ctx.case_manager.id,
                resident_id=r.id,
                house_id=r.house.id,
                related_entity_type="incidents",
                related_entity_id=inc.id,
                status=TaskStatus.DONE if done else TaskStatus.OPEN,
                priority=Priority.HIGH,
                due_at=inc.occurred_at + timedelta(days=2),
                completed_at=inc.occurred_at + timedelta(days=1) if done else None,
                completed_by_user_id=ctx.case_manager.id if done else None,
                source="incident_follow_up",
                title=ctx.p(
                    f"Follow up with {r.person.full} after the {inc.incident_type.value} report",
                ),
                description=ctx.p(f"Review the incident with {r.person.first} and update the recovery plan."),
            )
        )
    ctx.add(
        Task(
            id=ctx.nid(),
            org_id=ctx.org_id,
            assigned_to_user_id=ctx.users[UserRole.COMPLIANCE_OFFICER].id,
            status=TaskStatus.IN_PROGRESS,
            priority=Priority.NORMAL,
            due_at=day_at(10, 17),
            title="Annual HIPAA and Part 2 staff training",
            description="Schedule the refresher and collect attestations from every staff member.",
        )
    )
    ctx.flush()
