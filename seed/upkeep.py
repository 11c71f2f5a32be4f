"""Keeping the houses running: maintenance requests, vehicles, and the staff tasks that follow
incidents and training."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from core.enums import IncidentStatus, MaintenanceStatus, Priority, TaskStatus, UserRole
from models.operations import Incident, Task
from models.operations_extended import MaintenanceRequest, Vehicle
from models.orgs import House
from seed.context import Plan, SeedContext, day_at, day_of


def maintenance(ctx: SeedContext, current: list[Plan]) -> None:
    """A fixed leak at every house; a window latch a resident broke at every other one."""
    for h, house in enumerate(ctx.houses):
        _repair(
            ctx,
            house,
            category="plumbing",
            title="Leaking kitchen faucet",
            description="Drip under the sink; cabinet floor is wet.",
            priority=Priority.NORMAL,
            status=MaintenanceStatus.RESOLVED,
            reported_at=day_at(-12, 9),
            vendor_name="Ridgeline Plumbing Co.",
            scheduled_for=day_at(-10, 10),
            resolved_at=day_at(-10, 12),
            entry_permitted=True,
            estimated_cost_cents=18000,
            actual_cost_cents=16500,
        )
        if h % 2 == 0:
            damager = next((r for r in current if r.house is house), None)
            _repair(
                ctx,
                house,
                room_id=ctx.house_rooms[house.id][1].id,
                category="structural",
                title="Broken window latch",
                priority=Priority.HIGH,
                status=MaintenanceStatus.SCHEDULED,
                reported_at=day_at(-2, 18),
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


def _repair(ctx: SeedContext, house: House, **details: Any) -> None:
    """Reported by the house manager, given to the property manager."""
    ctx.new(
        MaintenanceRequest,
        house_id=house.id,
        reported_by_user_id=ctx.house_manager.id,
        assigned_to_user_id=ctx.users[UserRole.PROPERTY_MANAGER].id,
        **details,
    )


def vehicles(ctx: SeedContext, current: list[Plan]) -> None:
    """A car for each resident in position 1, and the org's van."""
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


def tasks(ctx: SeedContext, incidents: dict[uuid.UUID, Incident]) -> None:
    """A case manager's follow-up of each incident (done once it is closed) and the compliance
    officer's training task."""
    for resident_id, incident in incidents.items():
        _follow_up(ctx, ctx.plan_of(resident_id), incident)
    ctx.new(
        Task,
        assigned_to_user_id=ctx.users[UserRole.COMPLIANCE_OFFICER].id,
        status=TaskStatus.IN_PROGRESS,
        priority=Priority.NORMAL,
        due_at=day_at(10, 17),
        title="Annual HIPAA and Part 2 staff training",
        description="Schedule the refresher and collect attestations from every staff member.",
    )


def _follow_up(ctx: SeedContext, r: Plan, incident: Incident) -> None:
    done = incident.status in (IncidentStatus.CLOSED, IncidentStatus.RESOLVED)
    ctx.new(
        Task,
        assigned_to_user_id=ctx.case_manager.id,
        resident_id=r.id,
        house_id=r.house.id,
        related_entity_type="incidents",
        related_entity_id=incident.id,
        status=TaskStatus.DONE if done else TaskStatus.OPEN,
        priority=Priority.HIGH,
        due_at=incident.occurred_at + timedelta(days=2),
        completed_at=incident.occurred_at + timedelta(days=1) if done else None,
        completed_by_user_id=ctx.case_manager.id if done else None,
        source="incident_follow_up",
        title=ctx.p(f"Follow up with {r.person.full} after the {incident.incident_type.value} report"),
        description=ctx.p(f"Review the incident with {r.person.first} and update the recovery plan."),
    )
