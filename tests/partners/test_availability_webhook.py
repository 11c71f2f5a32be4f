"""`beds.availability_changed.v1`: a house's open-bed counts, recorded when a move-in, a
discharge or a bed taken out of service changes them, and delivered to the webhook a referral
partner registered with its own key: house id and counts, never who."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from core.contracts.admission import DischargeKind
from core.db import tenant_session
from core.enums import BedStatus, DischargeReason, HouseGender, UserRole
from core.events import EventType
from models.events import DomainEvent
from services import availability, housing_setup
from services.admission import discharge, placement
from tests.factories import OrgFactory
from tests.scope.world import Side, build_side
from tests.webhooks.receiver import Receiver, allowed_receiver, wait_for

OWNER = UserRole.ORG_OWNER
CHANGED = EventType.BEDS_AVAILABILITY_CHANGED


_wait = wait_for
__all__ = ["allowed_receiver"]  # a fixture, used by name


def _out_of_service(org_id: uuid.UUID, bed_id: uuid.UUID) -> None:
    with tenant_session(org_id, actor_type="test") as s:
        housing_setup.update(
            s, housing_setup.BED, bed_id, {"status": BedStatus.OUT_OF_SERVICE}, datetime.now(UTC).date()
        )


def _discharge_the_active_resident(org_id: uuid.UUID, side: Side) -> None:
    now = datetime.now(UTC)
    with tenant_session(org_id, actor_type="test") as s:
        discharge.discharge(
            s,
            uuid.uuid4(),
            side.admissions[0],
            DischargeKind.PLANNED,
            DischargeReason.COMPLETED_PROGRAM,
            now.date(),
            now,
            None,
            by=None,
            source="test",
        )


def _move_in_the_waiting_resident(org_id: uuid.UUID, side: Side) -> None:
    now = datetime.now(UTC)
    with tenant_session(org_id, actor_type="test") as s:
        placement.place(
            s, uuid.uuid4(), side.admissions[2], side.beds["3"], now.date(), now, by=None, source="test"
        )


def _counts(org_id: uuid.UUID, house_id: uuid.UUID) -> list[dict[str, str]]:
    with tenant_session(org_id, actor_type="test") as s:
        rows = s.scalars(
            select(DomainEvent)
            .where(DomainEvent.type == CHANGED.value, DomainEvent.subject_id == house_id)
            .order_by(DomainEvent.tx, DomainEvent.seq)
        ).all()
        assert all(r.resident_id is None and r.house_id == house_id for r in rows)
        return [dict(r.data) for r in rows]


def test_each_change_of_a_houses_open_beds_is_one_event_with_its_counts(orgs: OrgFactory) -> None:
    org = orgs.create((OWNER,))
    side = build_side(org.org_id, "Alder", HouseGender.MEN)  # 3 beds: one lived in, two open
    before = _counts(org.org_id, side.house_id)
    assert before[-1]["open_beds"] == "2" and before[-1]["beds_in_service"] == "3"

    _discharge_the_active_resident(org.org_id, side)
    with tenant_session(org.org_id, actor_type="test") as s:
        availability.note_change(s, side.house_id)  # nothing changed since: nothing recorded
    after_discharge = _counts(org.org_id, side.house_id)[len(before) :]
    assert [(e["open_beds"], e["beds_in_service"]) for e in after_discharge] == [("3", "3")]

    _out_of_service(org.org_id, side.beds["1"])
    _move_in_the_waiting_resident(org.org_id, side)
    events = _counts(org.org_id, side.house_id)
    assert [(e["open_beds"], e["beds_in_service"]) for e in events[len(before) :]] == [
        ("3", "3"),
        ("2", "2"),  # a bed out of service
        ("1", "2"),  # a move-in
    ]
    versions = [int(e["version"]) for e in events]
    assert versions == list(range(1, len(events) + 1))
    assert set(events[-1]) == {"open_beds", "beds_in_service", "version"}


def test_a_partner_subscribes_with_its_key_and_receives_a_discharge_and_a_move_in(
    stack: str, orgs: OrgFactory, allowed_receiver: Receiver
) -> None:
    org = orgs.create((OWNER, UserRole.HOUSE_MANAGER))
    side = build_side(org.org_id, "Cedar", HouseGender.MEN)
    with httpx.Client(base_url=stack, headers=org.headers(OWNER), timeout=30) as http:
        key = http.post(
            "/v1/api-keys", json={"name": "County referral line", "scopes": ["availability:read"]}
        )
        assert key.status_code == 201, key.text
        other = http.post("/v1/api-keys", json={"name": "Another partner", "scopes": ["availability:read"]})
        # Staff register endpoints at /v1/webhooks; this door is a partner key's only.
        staff_try = http.post("/v1/availability/webhooks", json={"url": allowed_receiver.url})
        assert staff_try.status_code == 403
    partner = httpx.Client(
        base_url=stack, headers={"Authorization": f"Bearer {key.json()['key']}"}, timeout=30
    )
    stranger = httpx.Client(
        base_url=stack, headers={"Authorization": f"Bearer {other.json()['key']}"}, timeout=30
    )
    with partner, stranger:
        typed = partner.post(
            "/v1/availability/webhooks", json={"url": allowed_receiver.url, "event_types": []}
        )
        assert typed.status_code == 422  # the event type is not the partner's to choose
        made = partner.post("/v1/availability/webhooks", json={"url": allowed_receiver.url})
        assert made.status_code == 201, made.text
        hook = made.json()
        assert hook["event_types"] == [CHANGED.value] and hook["api_key_id"] == key.json()["id"]
        assert [h["id"] for h in partner.get("/v1/availability/webhooks").json()] == [hook["id"]]
        assert stranger.get("/v1/availability/webhooks").json() == []
        assert stranger.delete(f"/v1/availability/webhooks/{hook['id']}").status_code == 404
        assert partner.get("/v1/webhooks").status_code == 403  # not the org's other endpoints

        _discharge_the_active_resident(org.org_id, side)
        _wait(lambda: len(allowed_receiver.requests()) == 1)
        _move_in_the_waiting_resident(org.org_id, side)
        _wait(lambda: len(allowed_receiver.requests()) == 2)
        got = [r.verify(hook["secret"]) for r in allowed_receiver.requests()]
        assert [p["type"] for p in got] == [CHANGED.value, CHANGED.value]
        assert [(p["data"]["open_beds"], p["data"]["house_id"]) for p in got] == [
            ("3", str(side.house_id)),
            ("2", str(side.house_id)),
        ]
        assert int(got[1]["data"]["version"]) == int(got[0]["data"]["version"]) + 1
        assert set(got[0]["data"]) == {"house_id", "open_beds", "beds_in_service", "version"}
        body = b"".join(r.body for r in allowed_receiver.requests())
        assert str(side.active).encode() not in body and b"Testperson" not in body

        # The staff see the partner's endpoint, and whose it is.
        with httpx.Client(base_url=stack, headers=org.headers(OWNER), timeout=30) as http:
            (listed,) = http.get("/v1/webhooks").json()
            assert listed["api_key_id"] == key.json()["id"]
            assert http.delete(f"/v1/api-keys/{key.json()['id']}").status_code in (200, 204)
        # A revoked key's endpoint stops: the next change reaches no one.
        _out_of_service(org.org_id, side.beds["1"])
        time.sleep(3)
        assert len(allowed_receiver.requests()) == 2
