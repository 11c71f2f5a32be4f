"""One org with two houses: two residents living in house A (each with their own login), house
managers of A and of B, and an org-wide case manager. Written org-wide through the services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from core.contracts.admission import Application
from core.db import tenant_session
from core.enums import UserRole
from services.admission import applications, placement
from tests.factories import OrgFactory, SampleOrg
from tests.scope.world import Side, _approved, add_login, build_side

STAFF = UserRole.CASE_MANAGER


@dataclass(frozen=True)
class Login:
    user_id: uuid.UUID
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class World:
    org: SampleOrg
    a: Side
    b: Side
    neighbour: uuid.UUID  # the second resident of house A
    resident: Login  # a.active's login
    other_resident: Login  # the neighbour's login
    manager_a: Login
    manager_b: Login

    @property
    def staff(self) -> dict[str, str]:
        return self.org.headers(STAFF)

    @property
    def staff_id(self) -> uuid.UUID:
        return self.org.users[STAFF]


def second_resident(org_id: uuid.UUID, side: Side) -> uuid.UUID:
    """Another resident placed in the side's bed 3."""
    resident_id, admission_id = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    with tenant_session(org_id, actor_type="test") as s:
        lead = _approved(s, "Neighbour")
        applications.open_application(
            s,
            admission_id,
            resident_id,
            Application(side.house_id, 22500, lead_id=lead),
            now,
            by=None,
            source="test",
        )
        placement.place(
            s, uuid.uuid4(), admission_id, side.beds["3"], now.date(), now, by=None, source="test"
        )
    return resident_id


def build_world(orgs: OrgFactory, roles: tuple[UserRole, ...] = (STAFF,)) -> World:
    org = orgs.create(roles)
    a, b = build_side(org.org_id, "Aspen"), build_side(org.org_id, "Birch")
    neighbour = second_resident(org.org_id, a)
    return World(
        org,
        a,
        b,
        neighbour,
        Login(*add_login(org.org_id, UserRole.RESIDENT, resident_id=a.active)),
        Login(*add_login(org.org_id, UserRole.RESIDENT, resident_id=neighbour)),
        Login(*add_login(org.org_id, UserRole.HOUSE_MANAGER, house_id=a.house_id)),
        Login(*add_login(org.org_id, UserRole.HOUSE_MANAGER, house_id=b.house_id)),
    )
