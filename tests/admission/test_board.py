"""The bed board over real HTTP: what each bed shows, and PostgreSQL's copy of the board, which is
never older than the last committed change, org-wide only, and audited like the names it shows."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import Range

from api.routes.admission.bed_board import BoardOut
from core.db import tenant_session
from core.enums import (
    AdmissionStatus,
    AuditAction,
    BedStatus,
    Priority,
    ResidentStatus,
    UserRole,
    WaitlistStatus,
)
from core.scope import Scope
from models.bed_board import BedBoardSnapshot, BedBoardSnapshotHouse
from models.orgs import Bed
from models.resident_tracking import BedOccupancy, WaitlistEntry
from models.residents import Admission, Resident
from tests.admission.places import house
from tests.audit.helpers import chain
from tests.db import as_owner
from tests.factories import OrgFactory, SampleOrg
from tests.scope.world import add_login

READER = UserRole.CASE_MANAGER  # org-wide
TODAY = datetime.now(UTC).date()


@dataclass
class Street:
    org: SampleOrg
    house_id: uuid.UUID
    property_id: uuid.UUID
    beds: dict[str, uuid.UUID]
    sleeper: uuid.UUID  # in 1A since 40 days ago
    booked: uuid.UUID  # 1B from in 5 days
    offered_to: uuid.UUID  # offered 2A


def _resident(s: Any, org_id: uuid.UUID, first: str, last: str, status: ResidentStatus) -> uuid.UUID:
    r = Resident(org_id=org_id, first_name=first, last_name=last, status=status)
    s.add(r)
    s.flush()
    return r.id


def _stay(
    s: Any,
    org_id: uuid.UUID,
    house_id: uuid.UUID,
    bed_id: uuid.UUID,
    resident_id: uuid.UUID,
    start: date,
    end: date | None,
    status: AdmissionStatus,
) -> None:
    noon = datetime.combine(start, time(12), UTC)
    a = Admission(
        org_id=org_id,
        resident_id=resident_id,
        house_id=house_id,
        bed_id=bed_id,
        status=status,
        scheduled_move_in_date=start,
        admitted_at=None if status is AdmissionStatus.PENDING else noon,
        ended_at=datetime.combine(end, time(12), UTC) if end else None,
        weekly_rate_cents=22_500,
    )
    s.add(a)
    s.flush()
    during = Range(start, end, bounds="[)")
    s.add(
        BedOccupancy(org_id=org_id, bed_id=bed_id, resident_id=resident_id, admission_id=a.id, during=during)
    )


@pytest.fixture
def street(orgs: OrgFactory) -> Street:
    """One house, five beds: 1A occupied, 1B reserved, 2A offered, 2B out of service, 3A free
    since a stay ended ten days ago."""
    org = orgs.create((READER, UserRole.HOUSE_MANAGER))
    layout = house(org.org_id, ["1A", "1B", "2A", "2B", "3A"], name="Juniper House")
    b = layout.beds
    with tenant_session(org.org_id, actor_type="test") as s:

        def stay(label: str, who: uuid.UUID, start: date, end: date | None, status: AdmissionStatus) -> None:
            _stay(s, org.org_id, layout.house_id, b[label], who, start, end, status)

        sleeper = _resident(s, org.org_id, "Marisol", "Quintero", ResidentStatus.ACTIVE)
        stay("1A", sleeper, TODAY - timedelta(days=40), None, AdmissionStatus.ACTIVE)
        booked = _resident(s, org.org_id, "Tobias", "Renner", ResidentStatus.ADMITTED)
        stay("1B", booked, TODAY + timedelta(days=5), None, AdmissionStatus.PENDING)
        gone = _resident(s, org.org_id, "Ilse", "Varga", ResidentStatus.DISCHARGED)
        stay("3A", gone, TODAY - timedelta(days=90), TODAY - timedelta(days=10), AdmissionStatus.COMPLETED)
        offered_to = _resident(s, org.org_id, "Noor", "Haddad", ResidentStatus.WAITLISTED)
        now = datetime.now(UTC)
        s.add(
            WaitlistEntry(
                org_id=org.org_id,
                resident_id=offered_to,
                house_id=layout.house_id,
                status=WaitlistStatus.OFFERED,
                priority=Priority.HIGH,
                added_at=now - timedelta(days=3),
                offered_bed_id=b["2A"],
                offered_at=now,
                offer_expires_at=now + timedelta(hours=48),
            )
        )
        s.get_one(Bed, b["2B"]).status = BedStatus.OUT_OF_SERVICE
    return Street(org, layout.house_id, layout.property_id, b, sleeper, booked, offered_to)


def _board(http: httpx.Client, **params: str) -> dict[str, Any]:
    r = http.get("/v1/beds/board", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    BoardOut.model_validate_json(r.content)  # the bytes are the documented model
    return dict(r.json())


def _beds(board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["label"]: b for h in board["houses"] for b in h["beds"]}


def _copies(org_id: uuid.UUID) -> list[tuple[int, int]]:
    """(copy version, org version) of today's copy, read as the owner."""
    with as_owner() as c:
        return [
            tuple(r)
            for r in c.execute(
                text(
                    "SELECT s.version, v.version FROM bed_board_snapshots s "
                    "JOIN bed_board_versions v USING (org_id) WHERE s.org_id = :o AND s.on_date = :d"
                ),
                {"o": org_id, "d": TODAY},
            )
        ]


def test_the_board_shows_every_state_with_first_name_and_initial_and_counts_vacancies(
    stack: str, street: Street
) -> None:
    with httpx.Client(base_url=stack, headers=street.org.headers(READER), timeout=60) as http:
        board = _board(http)
        again = _board(http)  # from the copy
    assert again == board
    beds = _beds(board)
    assert {k: v["status"] for k, v in beds.items()} == {
        "1A": "occupied",
        "1B": "reserved",
        "2A": "offered",
        "2B": "out_of_service",
        "3A": "free",
    }
    assert (beds["1A"]["occupant"], beds["1A"]["resident_id"]) == ("Marisol Q.", str(street.sleeper))
    assert beds["1A"]["since"] == (TODAY - timedelta(days=40)).isoformat()
    assert (beds["1B"]["next_resident_id"], beds["1B"]["next_from"]) == (
        str(street.booked),
        (TODAY + timedelta(days=5)).isoformat(),
    )
    assert beds["1B"]["occupant"] is None
    assert beds["3A"]["since"] == (TODAY - timedelta(days=10)).isoformat()
    assert beds["2A"]["since"] == TODAY.isoformat()
    assert board["houses"][0]["vacant"] == 1
    assert board["vacancies_by_property"] == {str(street.property_id): 1}
    assert [b["label"] for b in board["houses"][0]["beds"]] == ["1A", "1B", "2A", "2B", "3A"]


def test_the_board_of_a_status_lists_those_beds_and_still_counts_every_vacancy(
    stack: str, street: Street
) -> None:
    with httpx.Client(base_url=stack, headers=street.org.headers(READER), timeout=60) as http:
        occupied = _board(http, status="occupied")
        assert [b["label"] for b in occupied["houses"][0]["beds"]] == ["1A"]
        assert occupied["houses"][0]["vacant"] == 1
        assert _board(http, gender="women")["houses"] == []  # the house is coed
        assert _board(http, house_id=str(street.house_id))["houses"][0]["house_id"] == str(street.house_id)
        assert _board(http, property_id=str(uuid.uuid4())) == {
            "on": TODAY.isoformat(),
            "vacancies_by_property": {},
            "houses": [],
        }


def test_every_committed_change_a_board_shows_is_on_the_next_read_of_the_copy(
    stack: str, street: Street
) -> None:
    org_id = street.org.org_id
    with httpx.Client(base_url=stack, headers=street.org.headers(READER), timeout=60) as http:
        _board(http)
        [(built, current)] = _copies(org_id)
        assert built == current
        _board(http)
        assert _copies(org_id) == [(built, current)]  # read from the copy, not rebuilt

        with tenant_session(org_id, actor_type="test") as s:  # an occupant's name
            s.get_one(Resident, street.sleeper).first_name = "Mara"
        assert _beds(_board(http))["1A"]["occupant"] == "Mara Q."

        with tenant_session(org_id, actor_type="test") as s:  # a bed back in service
            s.get_one(Bed, street.beds["2B"]).status = BedStatus.AVAILABLE
        assert _beds(_board(http))["2B"]["status"] == "free"

        with tenant_session(org_id, actor_type="test") as s:  # a stay ends today
            stay = s.scalars(select(BedOccupancy).where(BedOccupancy.resident_id == street.sleeper)).one()
            stay.during = Range(stay.during.lower, TODAY, bounds="[)")
        after = _board(http)
        assert (_beds(after)["1A"]["status"], _beds(after)["1A"]["since"]) == ("free", TODAY.isoformat())
        assert after["houses"][0]["vacant"] == 3

        with tenant_session(org_id, actor_type="test") as s:  # the offer is declined
            entry = s.scalars(
                select(WaitlistEntry).where(WaitlistEntry.resident_id == street.offered_to)
            ).one()
            entry.status = WaitlistStatus.WAITING
            entry.offered_bed_id = None
        assert _beds(_board(http))["2A"]["status"] == "free"
        [(built_now, current_now)] = _copies(org_id)
        assert built_now == current_now > current


def test_a_copy_that_does_not_decrypt_for_its_house_is_built_again(stack: str, street: Street) -> None:
    org_id = street.org.org_id
    other = house(org_id, ["9A"], name="Alder House")
    with httpx.Client(base_url=stack, headers=street.org.headers(READER), timeout=60) as http:
        before = _board(http)
        # Swap the two houses' ciphertexts: each is bound to its own org, day and house.
        with as_owner() as c:
            c.execute(
                text(
                    "UPDATE bed_board_snapshot_houses h SET payload = o.payload "
                    "FROM bed_board_snapshot_houses o "
                    "WHERE h.org_id = :org AND o.org_id = :org AND h.on_date = o.on_date "
                    "AND h.house_id <> o.house_id AND h.house_id IN (:a, :b) AND o.house_id IN (:a, :b)"
                ),
                {"org": org_id, "a": street.house_id, "b": other.house_id},
            )
            c.commit()
        assert _board(http) == before


def test_reading_the_board_from_the_copy_is_audited_as_reading_the_names_it_shows(
    stack: str, street: Street
) -> None:
    org_id = street.org.org_id

    def reads_of_sleeper() -> int:
        return len(
            [
                r
                for r in chain(org_id)
                if r.action == AuditAction.READ
                and r.entity_type == "residents"
                and r.entity_id == street.sleeper
            ]
        )

    with httpx.Client(base_url=stack, headers=street.org.headers(READER), timeout=60) as http:
        _board(http)
        built = reads_of_sleeper()
        _board(http)
    assert built >= 1
    assert reads_of_sleeper() == built + 1


def test_only_an_org_wide_transaction_can_read_or_write_the_copy(stack: str, street: Street) -> None:
    org_id = street.org.org_id
    with httpx.Client(base_url=stack, headers=street.org.headers(READER), timeout=60) as http:
        _board(http)
    with tenant_session(org_id, actor_type="test") as s:
        assert s.scalar(select(BedBoardSnapshotHouse.house_id)) == street.house_id
    scoped = Scope.houses((street.house_id,), (street.property_id,))
    with tenant_session(org_id, actor_type="test", scope=scoped) as s:
        assert s.scalars(select(BedBoardSnapshotHouse.house_id)).all() == []
        assert s.scalars(select(BedBoardSnapshot.on_date)).all() == []
    refused = pytest.raises(Exception, match="row-level security")
    with refused, tenant_session(org_id, actor_type="test", scope=scoped) as s:
        s.add(BedBoardSnapshot(org_id=org_id, on_date=TODAY + timedelta(days=1), version=1))


def test_replicas_building_the_same_board_at_once_agree_and_none_fails(stack: str, street: Street) -> None:
    org_id = street.org.org_id
    with tenant_session(org_id, actor_type="test") as s:  # a change: the next reads all rebuild
        s.get_one(Resident, street.booked).last_name = "Rahimi"
    headers = street.org.headers(READER)

    def read(_: int) -> bytes:
        with httpx.Client(base_url=stack, headers=headers, timeout=60) as http:
            r = http.get("/v1/beds/board")
            assert r.status_code == 200, r.text
            return r.content

    with ThreadPoolExecutor(6) as pool:
        bodies = set(pool.map(read, range(12)))
    assert len(bodies) == 1
    [(built, current)] = _copies(org_id)
    assert built == current


def test_a_house_manager_sees_their_house_as_the_org_wide_board_shows_it_and_no_other(
    stack: str, street: Street
) -> None:
    org_id = street.org.org_id
    other = house(org_id, ["7A", "7B"], name="Birch House")
    with tenant_session(org_id, actor_type="test") as s:
        someone = _resident(s, org_id, "Wren", "Abara", ResidentStatus.ACTIVE)
        _stay(s, org_id, other.house_id, other.beds["7A"], someone, TODAY, None, AdmissionStatus.ACTIVE)
    _, token = add_login(org_id, UserRole.HOUSE_MANAGER, house_id=street.house_id)
    with httpx.Client(base_url=stack, headers=street.org.headers(READER), timeout=60) as http:
        everything = _board(http)
    with httpx.Client(base_url=stack, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        mine = _board(http)
        assert _board(http, house_id=str(other.house_id))["houses"] == []
    theirs = next(h for h in everything["houses"] if h["house_id"] == str(street.house_id))
    assert len(everything["houses"]) == 2
    assert mine["houses"] == [theirs]
    assert mine["vacancies_by_property"] == {str(street.property_id): theirs["vacant"]}
