"""House operations: chores, curfew, check-ins, drug tests, meetings, passes, incidents, maintenance,
vehicles, tasks, clinical assessments.

`operations` calls its steps in a fixed order: each step draws row ids and values from the
seed's rng, so the order is part of what a seed value means.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from typing import Any

from core.enums import (
    ChoreFrequency,
    DrugTestResult,
    IncidentSeverity,
    IncidentStatus,
    IncidentType,
    MeetingKind,
    PassStatus,
    PassType,
    ResidentStatus,
    UserRole,
)
from models.operations import Chore, CurfewConfig, DrugTest, Incident, Meeting, Pass
from models.operations_extended import ChoreTemplate, MeetingRequirement, MeetingType
from seed import routines, upkeep
from seed.context import Plan, SeedContext, day_at, day_of, on_day
from seed.factories.operations import (
    ChoreFactory,
    CurfewConfigFactory,
    DrugTestFactory,
    HouseMeetingFactory,
    IncidentFactory,
    PassFactory,
)
from seed.factories.people import MEDICATIONS


@dataclass(frozen=True)
class ChoreSpec:
    name: str
    area: str
    frequency: ChoreFrequency
    default_points: int
    estimated_minutes: int
    checklist: list[str]


LAB = "Piedmont Toxicology"
ORG_CHORES = [
    ChoreSpec(
        "Kitchen deep clean",
        "kitchen",
        ChoreFrequency.WEEKLY,
        2,
        45,
        ["wipe counters", "clean stovetop", "mop floor"],
    ),
    ChoreSpec(
        "Bathroom reset",
        "bathroom",
        ChoreFrequency.WEEKLY,
        2,
        30,
        ["scrub sink and tub", "restock paper", "empty trash"],
    ),
]
HOUSE_CHORE = ChoreSpec(
    "Porch and walkway sweep", "outside", ChoreFrequency.DAILY, 1, 15, ["sweep porch", "clear walkway"]
)
MEETING_TYPES = {
    MeetingKind.HOUSE_MEETING: "Weekly house meeting",
    MeetingKind.AA: "Home group (AA)",
    MeetingKind.NA: "NA step study",
    MeetingKind.SMART_RECOVERY: "SMART Recovery",
}
# (house index or None for org-wide, name, minimum days in residence, weeknight, weekend, grace
# minutes, first day, last day or None), as days from the anchor.
CURFEWS = [
    (None, "Phase 1 curfew", 0, time(22, 0), time(23, 0), 10, -400, None),
    (None, "Phase 2 curfew", 60, time(23, 0), time(23, 59), 15, -400, None),
    (1, "Willow House phase 1", 0, time(21, 30), time(22, 30), 5, -200, 165),
]
# How each kind of incident stands: severity, status, how long after it was reported, where.
REPORTS = {
    IncidentType.RELAPSE: (IncidentSeverity.HIGH, IncidentStatus.CLOSED, timedelta(hours=1), "back porch"),
    IncidentType.CURFEW_VIOLATION: (
        IncidentSeverity.LOW,
        IncidentStatus.OPEN,
        timedelta(minutes=30),
        "front door",
    ),
    IncidentType.CONFLICT: (IncidentSeverity.MEDIUM, IncidentStatus.RESOLVED, timedelta(hours=2), "kitchen"),
}


@dataclass
class HouseRules:
    """What the daily routines hang on: each house's chores and this week's house meeting, the
    outside meeting everyone went to, and the default curfew."""

    chores: dict[uuid.UUID, list[Chore]]
    meetings: dict[uuid.UUID, Meeting]
    outside: Meeting
    curfew: CurfewConfig


def operations(ctx: SeedContext) -> None:
    current = [r for r in ctx.residents if r.current]
    rules = _house_rules(ctx, current)
    _drug_tests(ctx)
    passes = _passes(ctx, current)
    incidents = _incidents(ctx)
    for r in current:
        routines.chores(ctx, r, rules.chores[r.house.id])
        routines.meetings(ctx, r, rules.meetings[r.house.id], rules.outside)
        routines.curfew(ctx, r, rules.curfew, passes.get(r.id), incidents.get(r.id))
        routines.check_ins(ctx, r)
        routines.assessments(ctx, r)
    upkeep.maintenance(ctx, current)
    upkeep.vehicles(ctx, current)
    upkeep.tasks(ctx, incidents)
    ctx.flush()
    _draws(ctx)


def _draws(ctx: SeedContext) -> None:
    """The last week of each house's random drug-test draw, through the service an auditor's
    recomputation reads (last: it draws nothing from the seed's rng)."""
    from core.config import get_settings
    from services.operations import drug_tests

    key = get_settings().draw_key()
    for house in ctx.houses:
        for offset in range(-6, 1):
            ctx.track(drug_tests.make_draw(ctx.s, key, house.id, day_of(offset)))


def _house_rules(ctx: SeedContext, current: list[Plan]) -> HouseRules:
    templates, house_templates = _chore_templates(ctx)
    types = _meeting_types(ctx)
    curfew = _curfews(ctx)
    _meeting_requirements(ctx, types[MeetingKind.HOUSE_MEETING])
    ctx.flush()
    chores = {
        house.id: [
            ctx.new(
                ChoreFactory.build,
                house_id=house.id,
                template=t,
                day_of_week=(k * 2) % 7 if t.frequency is ChoreFrequency.WEEKLY else None,
            )
            for k, t in enumerate([*templates, house_templates[house.id]])
        ]
        for house in ctx.houses
    }
    meetings = _meetings(ctx, types, current)
    outside = ctx.new(
        Meeting,
        meeting_type_id=types[MeetingKind.AA].id,
        kind=MeetingKind.AA,
        title="Noon home group",
        starts_at=day_at(-2, 12),
        ends_at=day_at(-2, 13),
        location="First Street community hall",
        is_external=True,
    )
    ctx.flush()
    return HouseRules(chores, meetings, outside, curfew)


def _chore_template(ctx: SeedContext, spec: ChoreSpec, house_id: uuid.UUID | None = None) -> ChoreTemplate:
    return ctx.new(ChoreTemplate, house_id=house_id, **asdict(spec))


def _chore_templates(ctx: SeedContext) -> tuple[list[ChoreTemplate], dict[uuid.UUID, ChoreTemplate]]:
    """The org's weekly templates and each house's own daily one."""
    org = [_chore_template(ctx, spec) for spec in ORG_CHORES]
    return org, {house.id: _chore_template(ctx, HOUSE_CHORE, house.id) for house in ctx.houses}


def _meeting_types(ctx: SeedContext) -> dict[MeetingKind, MeetingType]:
    return {
        kind: ctx.new(
            MeetingType,
            name=name,
            kind=kind,
            counts_toward_requirement=kind is not MeetingKind.HOUSE_MEETING,
            requires_proof=kind in (MeetingKind.AA, MeetingKind.NA),
            default_duration_minutes=60,
        )
        for kind, name in MEETING_TYPES.items()
    }


def _curfews(ctx: SeedContext) -> CurfewConfig:
    """The curfew rules (`CURFEWS`); returns the org's phase 1 rule."""
    rules = [
        ctx.new(
            CurfewConfigFactory.build,
            house_id=None if house is None else ctx.houses[house].id,
            name=name,
            min_days_in_residence=min_days,
            weeknight_curfew=weeknight,
            weekend_curfew=weekend,
            grace_minutes=grace,
            effective_from_date=day_of(start),
            effective_until_date=None if end is None else day_of(end),
        )
        for house, name, min_days, weeknight, weekend, grace, start, end in CURFEWS
    ]
    return rules[0]


def _meeting_requirements(ctx: SeedContext, house_meeting: MeetingType) -> None:
    """Three outside meetings a week in the first 90 days; the first house adds its own meeting."""
    ctx.new(
        MeetingRequirement,
        required_count=3,
        period_days=7,
        min_days_in_residence=0,
        max_days_in_residence=90,
        effective_from_date=day_of(-400),
    )
    ctx.new(
        MeetingRequirement,
        house_id=ctx.houses[0].id,
        meeting_type_id=house_meeting.id,
        kind=MeetingKind.HOUSE_MEETING,
        required_count=1,
        period_days=7,
        effective_from_date=day_of(-400),
    )


def _meetings(
    ctx: SeedContext, types: dict[MeetingKind, MeetingType], current: list[Plan]
) -> dict[uuid.UUID, Meeting]:
    """Each house's meeting held three days ago (returned) and next week's."""
    held: dict[uuid.UUID, Meeting] = {}
    type_id = types[MeetingKind.HOUSE_MEETING].id
    for house in ctx.houses:
        here = ", ".join(r.person.first for r in current if r.house is house)
        held[house.id] = ctx.new(
            HouseMeetingFactory.build,
            house=house,
            meeting_type_id=type_id,
            starts_at=day_at(-3, 19),
            ends_at=day_at(-3, 20),
            facilitator_user_id=ctx.house_manager.id,
            notes=ctx.p(f"Discussed chore rotation; {here} shared updates on work and step work."),
        )
        ctx.new(
            HouseMeetingFactory.build,
            house=house,
            meeting_type_id=type_id,
            starts_at=day_at(4, 19),
            ends_at=day_at(4, 20),
            facilitator_user_id=ctx.house_manager.id,
        )
    return held


def _drug_tests(ctx: SeedContext) -> None:
    """A screen for everyone who moved in (before passes and incidents, which point at them),
    then the lab's confirmation of each positive screen."""
    for r in ctx.residents:
        if r.move_in is not None:
            r.drug_tests.append(_screen(ctx, r))
    ctx.flush()
    for r in ctx.residents:
        if r.status is ResidentStatus.DISCHARGED and r.drug_tests:
            r.drug_tests.append(_confirmation(ctx, r, r.drug_tests[0]))
    ctx.flush()


def _screen(ctx: SeedContext, r: Plan) -> DrugTest:
    """Observed and negative, except the discharged resident's, which was for cause."""
    ctx.coc_no += 1
    collected = day_at(-ctx.rng.randint(3, 12), 7, 30) if r.current else on_day(r.move_out or day_of(-20), 8)
    positive = r.status is ResidentStatus.DISCHARGED
    first = r.person.first
    return ctx.add(
        DrugTestFactory.build(
            id=ctx.nid(),
            org_id=ctx.org_id,
            plan=r,
            coc=ctx.coc_no,
            result=DrugTestResult.POSITIVE if positive else DrugTestResult.NEGATIVE,
            is_random=not positive,
            collected_at=collected,
            collected_by_user_id=ctx.house_manager.id,
            observed_collection=True,
            sent_to_lab_at=collected + timedelta(hours=3) if positive else None,
            resulted_at=collected + timedelta(minutes=10),
            reviewed_by_user_id=ctx.case_manager.id,
            reviewed_at=collected + timedelta(hours=2),
            fee_cents=2500,
            substances_detected=[{"substance": r.substance, "level_ng_ml": ctx.rng.randint(20, 900)}]
            if positive
            else [],
            lab_details={
                "lab": LAB,
                "panel": "12-panel cup",
                "accession": f"PT{ctx.rng.randint(10**6, 10**7)}",
            },
            declared_medications=[m["name"] for m in MEDICATIONS[:1]] if r.n % 4 == 0 else [],
            reason=ctx.p(f"For cause: {first} seemed impaired at the house meeting") if positive else None,
            notes=ctx.p(f"{first} provided specimen without issue; temperature strip in range.")
            if not positive
            else ctx.p(f"{first} admitted use before the result was read."),
        )
    )


def _confirmation(ctx: SeedContext, r: Plan, screen: DrugTest) -> DrugTest:
    ctx.coc_no += 1
    return ctx.new(
        DrugTestFactory.build,
        plan=r,
        coc=ctx.coc_no,
        result=DrugTestResult.POSITIVE,
        is_random=False,
        collected_at=screen.collected_at,
        sent_to_lab_at=screen.collected_at + timedelta(hours=3),
        resulted_at=screen.collected_at + timedelta(days=2),
        confirms_test_id=screen.id,
        substances_detected=[{"substance": r.substance, "method": "LC-MS/MS confirmation"}],
        lab_details={"lab": LAB, "panel": "GC/MS confirmation", "mro_reviewed": True},
    )


def _passes(ctx: SeedContext, current: list[Plan]) -> dict[uuid.UUID, Pass]:
    """By position in the block: 1 back from a weekend, 2 denied, 3 waiting; whoever is on pass
    is out overnight; 0 and 4 asked for none."""
    passes: dict[uuid.UUID, Pass] = {}
    for r in current:
        # Drawn for every current resident, also those without a pass, so that the rows
        # after it keep their ids and people.
        host = ctx.person()
        request = {
            "id": ctx.nid(),
            "org_id": ctx.org_id,
            "plan": r,
            "destination": ctx.address()["line1"] + ", Weaverville",
            "host_contact": {"name": host.full, "phone": ctx.phone(), "relationship": "aunt"},
            "reason": ctx.p(f"{r.person.first} is visiting family for a birthday and a church service"),
            "requested_at": day_at(-6, 12),
        }
        if r.i not in (0, 4):
            passes[r.id] = ctx.add(PassFactory.build(**request, **_pass_outcome(ctx, r)))
    ctx.flush()
    return passes


def _pass_outcome(ctx: SeedContext, r: Plan) -> dict[str, Any]:
    decided = {"decided_by_user_id": ctx.house_manager.id}
    if r.status is ResidentStatus.ON_PASS:
        return {
            **decided,
            "pass_type": PassType.OVERNIGHT,
            "status": PassStatus.ACTIVE,
            "departs_at": day_at(-1, 10),
            "returns_at": day_at(1, 18),
            "actual_departed_at": day_at(-1, 10, 15),
            "decided_at": day_at(-3, 9),
            "drug_test_required_on_return": True,
        }
    if r.i == 1:
        return {
            **decided,
            "pass_type": PassType.WEEKEND,
            "status": PassStatus.COMPLETED,
            "departs_at": day_at(-9, 17),
            "returns_at": day_at(-7, 18),
            "actual_departed_at": day_at(-9, 17, 5),
            "actual_returned_at": day_at(-7, 17, 40),
            "decided_at": day_at(-10, 9),
            "drug_test_required_on_return": True,
            "return_drug_test_id": r.drug_tests[0].id if r.drug_tests else None,
        }
    if r.i == 2:
        return {
            **decided,
            "pass_type": PassType.DAY,
            "status": PassStatus.DENIED,
            "departs_at": day_at(2, 9),
            "returns_at": day_at(2, 20),
            "decided_at": day_at(-1, 9),
            "denial_reason": ctx.p(f"{r.person.first} is in the first 30 days; day passes start in phase 2."),
        }
    return {
        "pass_type": PassType.DAY,
        "status": PassStatus.REQUESTED,
        "departs_at": day_at(3, 9),
        "returns_at": day_at(3, 21),
    }


def _incidents(ctx: SeedContext) -> dict[uuid.UUID, Incident]:
    """The discharged resident's relapse, a late return (position 3) and a kitchen conflict
    (position 4)."""
    incidents: dict[uuid.UUID, Incident] = {}
    for r in ctx.residents:
        if r.status is ResidentStatus.DISCHARGED and r.drug_tests:
            incidents[r.id] = _relapse(ctx, r)
        elif r.i == 3 and r.current:
            incidents[r.id] = _late_return(ctx, r)
        elif r.i == 4 and r.current:
            incidents[r.id] = _conflict(ctx, r)
    ctx.flush()
    return incidents


def _report(ctx: SeedContext, r: Plan, kind: IncidentType, occurred: datetime) -> dict[str, Any]:
    """What every incident report says (`REPORTS`), as the house manager filed it. Its id is
    drawn here, before the details that follow it."""
    severity, status, reported_after, location = REPORTS[kind]
    return {
        "id": ctx.nid(),
        "org_id": ctx.org_id,
        "plan": r,
        "incident_type": kind,
        "severity": severity,
        "status": status,
        "occurred_at": occurred,
        "reported_at": occurred + reported_after,
        "reported_by_user_id": ctx.house_manager.id,
        "location": location,
    }


def _relapse(ctx: SeedContext, r: Plan) -> Incident:
    witness = ctx.person()
    occurred = r.drug_tests[0].collected_at - timedelta(hours=12)
    first = r.person.first
    return ctx.add(
        IncidentFactory.build(
            **_report(ctx, r, IncidentType.RELAPSE, occurred),
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
                    "statement": ctx.p(f"{witness.first} saw {first} stumble on the porch steps."),
                }
            ],
            actions_taken=ctx.p(f"Stayed with {first}, checked breathing, naloxone ready; paged on-call."),
            resolution_notes=ctx.p(f"{first} chose discharge to intensive outpatient care."),
        )
    )


def _late_return(ctx: SeedContext, r: Plan) -> Incident:
    occurred = day_at(-1, 22, 40)
    return ctx.add(
        IncidentFactory.build(
            **_report(ctx, r, IncidentType.CURFEW_VIOLATION, occurred),
            follow_up_due_date=day_of(2),
            description=ctx.p(f"{r.person.full} came in 40 minutes late; the night-shift bus broke down."),
        )
    )


def _conflict(ctx: SeedContext, r: Plan) -> Incident:
    occurred = day_at(-8, 16)
    first = r.person.first
    return ctx.add(
        IncidentFactory.build(
            **_report(ctx, r, IncidentType.CONFLICT, occurred),
            police_involved=True,
            resolved_at=occurred + timedelta(days=1),
            resolved_by_user_id=ctx.house_manager.id,
            description=ctx.p(
                f"Shouting match between {first} and a housemate over kitchen chores; "
                f"a neighbour called the police."
            ),
            police_report_number=ctx.p(f"WPD-26-{ctx.rng.randint(100000, 999999)}"),
            resolution_notes=ctx.p(f"Mediated house meeting; {first} apologised."),
        )
    )
