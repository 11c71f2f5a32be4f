"""A house with weekly chores, meeting types and requirements, written through the services
the routes use (and tests/billing/builders.py for the house and its residents' stays)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from core.db import tenant_session
from core.enums import MeetingKind
from models.operations_extended import MeetingRequirement, MeetingType
from models.orgs import House
from services.operations import chores
from services.operations.chores import NewTemplate
from tests.billing.builders import HouseIds, make_house

CHORES = [
    ("Kitchen deep clean", 3, 6),
    ("Bathrooms", 2, 4),
    ("Trash and recycling", 1, 2),
    ("Porch sweep", 1, None),
]


@dataclass(frozen=True)
class ChoreHouse:
    house: HouseIds
    chore_ids: dict[str, uuid.UUID]
    points: dict[uuid.UUID, int]


def chore_house(
    org_id: uuid.UUID,
    beds: int,
    spec: list[tuple[str, int, int | None]] = CHORES,
    manager: uuid.UUID | None = None,
    name: str = "Maple House",
) -> ChoreHouse:
    house = make_house(org_id, beds=beds, name=name)
    ids: dict[str, uuid.UUID] = {}
    points: dict[uuid.UUID, int] = {}
    with tenant_session(org_id, actor_type="test") as s:
        h = s.get(House, house.house_id)
        assert h is not None
        h.house_manager_id = manager
        for chore_name, pts, dow in spec:
            t = chores.add_template(s, house.house_id, NewTemplate(chore_name, default_points=pts))
            c = chores.add_chore(s, house.house_id, t.id, dow)
            ids[chore_name] = c.id
            points[c.id] = pts
    return ChoreHouse(house, ids, points)


@dataclass(frozen=True)
class MeetingRules:
    house_meeting: uuid.UUID
    outside: uuid.UUID


def meeting_rules(org_id: uuid.UUID, house_id: uuid.UUID, since: date) -> MeetingRules:
    """The seed's rules: three outside meetings a week in the first 90 days, two after; the
    weekly house meeting for everyone."""
    with tenant_session(org_id, actor_type="test") as s:
        hm = MeetingType(
            org_id=org_id,
            name="House meeting",
            kind=MeetingKind.HOUSE_MEETING,
            counts_toward_requirement=False,
        )
        out = MeetingType(org_id=org_id, name="Home group", kind=MeetingKind.AA, requires_proof=True)
        s.add_all([hm, out])
        s.flush()
        s.add_all(
            [
                MeetingRequirement(
                    org_id=org_id,
                    required_count=3,
                    min_days_in_residence=0,
                    max_days_in_residence=90,
                    effective_from_date=since,
                ),
                MeetingRequirement(
                    org_id=org_id, required_count=2, min_days_in_residence=90, effective_from_date=since
                ),
                MeetingRequirement(
                    org_id=org_id,
                    house_id=house_id,
                    meeting_type_id=hm.id,
                    required_count=1,
                    effective_from_date=since,
                ),
            ]
        )
        return MeetingRules(hm.id, out.id)
