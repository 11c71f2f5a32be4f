"""Scoped roles in the database itself, as recoveryos_app: a house-scoped session sees and
changes only its houses' rows, a resident's session only its own record, an unscoped one
nothing; the scope a session gets is resolved from its role assignments with the session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Update, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from api.auth import resolve
from core.db import tenant_session
from core.enums import BedStatus, UserRole
from core.scope import ORG_WIDE, Scope, ScopeKind
from models.orgs import Bed, House, Property, Room
from models.resident_tracking import (
    BedOccupancy,
    BedTransfer,
    Discharge,
    ResidentStatusHistory,
    WaitlistEntry,
)
from models.residents import Admission, Lead, Resident
from tests.db import as_app
from tests.factories import OrgFactory
from tests.scope.world import Side, add_login, build_side

OUT = BedStatus.OUT_OF_SERVICE


@pytest.fixture(scope="module")
def world(orgs: OrgFactory) -> tuple[uuid.UUID, Side, Side]:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    return org.org_id, build_side(org.org_id, "Aspen"), build_side(org.org_id, "Birch")


@contextmanager
def scoped(org_id: uuid.UUID, scope: Scope) -> Iterator[Session]:
    with tenant_session(org_id, uuid.uuid4(), actor_type="test", scope=scope) as s:
        yield s


def _changed(s: Session, stmt: Update) -> int:
    return s.execute(stmt).rowcount  # type: ignore[attr-defined]


def _ids(s: Session, col: object) -> set[uuid.UUID]:
    return set(s.scalars(select(col)))  # type: ignore[call-overload]


def _sees(s: Session, side: Side) -> dict[str, set[uuid.UUID]]:
    return {
        "residents": _ids(s, Resident.id),
        "leads": _ids(s, Lead.id),
        "admissions": _ids(s, Admission.id),
        "houses": _ids(s, House.id),
        "properties": _ids(s, Property.id),
        "beds": _ids(s, Bed.id),
        "rooms_houses": _ids(s, Room.house_id),
        "stays_beds": _ids(s, BedOccupancy.bed_id),
        "transfers": _ids(s, BedTransfer.id),
        "discharges": _ids(s, Discharge.id),
        "waitlist": _ids(s, WaitlistEntry.id),
        "history_residents": _ids(s, ResidentStatusHistory.resident_id),
    }


def _expected(*sides: Side) -> dict[str, set[uuid.UUID]]:
    out: dict[str, set[uuid.UUID]] = {}
    for side in sides:
        mine = {
            "residents": side.residents,
            "leads": side.leads,
            "admissions": set(side.admissions),
            "houses": {side.house_id},
            "properties": {side.property_id},
            "beds": set(side.beds.values()),
            "rooms_houses": {side.house_id},
            "stays_beds": {side.beds["1"], side.beds["2"]},
            "transfers": {side.transfer},
            "discharges": {side.discharge},
            "waitlist": {side.entry},
            "history_residents": side.residents,
        }
        for k, v in mine.items():
            out[k] = out.get(k, set()) | v
    return out


def test_a_house_scoped_session_sees_every_scoped_table_only_for_its_house(
    world: tuple[uuid.UUID, Side, Side],
) -> None:
    org_id, a, b = world
    with scoped(org_id, Scope.houses((a.house_id,), (a.property_id,))) as s:
        assert _sees(s, a) == _expected(a)
    with scoped(org_id, Scope.houses((b.house_id,), (b.property_id,))) as s:
        assert _sees(s, b) == _expected(b)
    with scoped(org_id, ORG_WIDE) as s:
        assert _sees(s, a) == _expected(a, b)


def test_a_house_scoped_session_cannot_change_another_houses_rows_nor_move_a_row_out_of_scope(
    world: tuple[uuid.UUID, Side, Side],
) -> None:
    org_id, a, b = world
    mine = Scope.houses((a.house_id,), (a.property_id,))
    with scoped(org_id, mine) as s:
        assert _changed(s, update(Bed).where(Bed.id == b.beds["3"]).values(status=OUT)) == 0
        assert _changed(s, update(Resident).where(Resident.id == b.active).values(resident_number="X-1")) == 0
        assert _changed(s, update(Lead).where(Lead.id == b.prospect).values(last_contacted_at=None)) == 0
        assert s.get(Resident, b.active) is None and s.get(Lead, b.prospect) is None
        # Its own rows it may change.
        assert _changed(s, update(Bed).where(Bed.id == a.beds["3"]).values(status=OUT)) == 1
    with pytest.raises(DBAPIError, match="row-level security"), scoped(org_id, mine) as s:
        s.execute(update(Room).where(Room.house_id == a.house_id).values(house_id=b.house_id))
    with pytest.raises(DBAPIError, match="row-level security"), scoped(org_id, mine) as s:
        s.execute(update(Lead).where(Lead.id == a.prospect).values(house_preference_id=b.house_id))
    with scoped(org_id, ORG_WIDE) as s:
        bed_b = s.get(Bed, b.beds["3"])
        resident_b = s.get(Resident, b.active)
        assert bed_b is not None and bed_b.status is BedStatus.AVAILABLE
        assert resident_b is not None and resident_b.resident_number is None
        assert _ids(s, Room.house_id) == {a.house_id, b.house_id}
        lead_a = s.get(Lead, a.prospect)
        assert lead_a is not None and lead_a.house_preference_id == a.house_id
        s.execute(update(Bed).where(Bed.id == a.beds["3"]).values(status=BedStatus.AVAILABLE))


def test_a_resident_session_sees_only_its_own_record_and_stays(world: tuple[uuid.UUID, Side, Side]) -> None:
    org_id, a, _ = world
    with scoped(org_id, Scope.resident(a.active)) as s:
        assert _ids(s, Resident.id) == {a.active}
        assert _ids(s, Admission.id) == {a.admissions[0]}
        assert _ids(s, BedTransfer.id) == {a.transfer}
        assert _ids(s, ResidentStatusHistory.resident_id) == {a.active}
        assert _ids(s, Lead.id) == set() and _ids(s, House.id) == set() and _ids(s, Discharge.id) == set()
        assert _changed(s, update(Resident).where(Resident.id == a.waiting).values(resident_number="X")) == 0


def test_a_session_without_a_scope_sees_no_scoped_row_and_an_empty_scope_sees_none_either(
    world: tuple[uuid.UUID, Side, Side],
) -> None:
    org_id, _, _ = world
    for scope in (None, Scope.houses(()), Scope.resident(None)):
        with as_app(org_id, scope=scope) as c:
            counts = {
                t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in (
                    "residents",
                    "leads",
                    "admissions",
                    "houses",
                    "beds",
                    "waitlist_entries",
                    "discharges",
                )
            }
        assert set(counts.values()) == {0}, (scope, counts)
    with as_app(org_id) as c:
        assert c.execute(text("SELECT count(*) FROM residents")).scalar_one() == 6


def test_the_session_resolve_derives_the_scope_from_role_assignments(
    world: tuple[uuid.UUID, Side, Side],
) -> None:
    org_id, a, b = world

    def scope_of(token: str) -> Scope:
        p = resolve(token, request_id="t", source_ip=None)
        assert p is not None
        return p.scope

    _, house = add_login(org_id, UserRole.HOUSE_MANAGER, house_id=a.house_id)
    assert scope_of(house) == Scope(ScopeKind.HOUSES, (a.house_id,), (a.property_id,))
    _, prop = add_login(org_id, UserRole.PROPERTY_MANAGER, property_id=b.property_id)
    assert scope_of(prop) == Scope(ScopeKind.HOUSES, (b.house_id,), (b.property_id,))
    # An org-wide staff role besides a scoped one: the whole org.
    _, both = add_login(org_id, UserRole.HOUSE_MANAGER, house_id=a.house_id, also=(UserRole.PEER_SUPPORT,))
    assert scope_of(both).kind is ScopeKind.ORG
    _, res = add_login(org_id, UserRole.RESIDENT, resident_id=a.active)
    assert scope_of(res) == Scope(ScopeKind.RESIDENT, resident_id=a.active)
    assert Scope(ScopeKind.RESIDENT, resident_id=a.active).settings()["resident"] == str(a.active)
