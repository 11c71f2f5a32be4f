"""Typed payloads and domain errors: what a workflow carries comes back with its type, and a
collision a user can cause is a Conflict naming what collided, never a 500 or a retry loop."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from core.codec import data_converter
from core.contracts.intake import NewLead
from core.db import tenant_session
from core.enums import LeadStatus, UserRole
from core.errors import Conflict, NotFound, Rejected, conflict_from_integrity
from core.process import Actor, org_of, workflow_id
from models.integrations import IdempotencyRecord
from tests.factories import OrgFactory


class Colour(StrEnum):
    RED = "red"


@dataclass(frozen=True)
class Everything:
    actor: Actor
    id: uuid.UUID
    day: date
    at: datetime
    amount: Decimal
    colour: Colour
    status: LeadStatus
    lead: NewLead


@pytest.mark.parametrize(
    "value",
    [
        uuid.uuid4(),
        date(2028, 2, 29),
        datetime(2026, 11, 25, 8, 30, 1, 123456, tzinfo=UTC),
        Decimal("1234.56"),
        Colour.RED,
        LeadStatus.APPROVED,
    ],
    ids=lambda v: type(v).__name__,
)
async def test_each_contract_type_round_trips_through_the_encrypting_converter(value: object) -> None:
    conv = data_converter()
    payloads = await conv.encode([value])
    assert payloads[0].metadata["encoding"] == b"binary/encrypted"
    [back] = await conv.decode(payloads, [type(value)])
    assert back == value and type(back) is type(value)


async def test_a_nested_contract_round_trips_with_its_types() -> None:
    value = Everything(
        Actor(uuid.uuid4(), uuid.uuid4(), "req-1"),
        uuid.uuid4(),
        date(2026, 12, 31),
        datetime(2026, 1, 1, tzinfo=UTC),
        Decimal("0.10"),
        Colour.RED,
        LeadStatus.NEW,
        NewLead("A", "B", date_of_birth=date(1990, 5, 17)),
    )
    conv = data_converter()
    [back] = await conv.decode(await conv.encode([value]), [Everything])
    assert back == value
    assert isinstance(back.lead.date_of_birth, date) and isinstance(back.actor.org_id, uuid.UUID)


def test_workflow_ids_carry_the_org_and_nothing_else_of_the_caller() -> None:
    org = uuid.uuid4()
    wf = workflow_id("intake", org, "k1")
    assert wf == f"intake/{org}/k1" and org_of(wf) == org
    assert org_of("intake-lead-123") is None and org_of("intake/not-a-uuid/x") is None
    with pytest.raises(ValueError):
        workflow_id("in/take", org, "k")


def test_domain_errors_are_non_retryable_with_their_status() -> None:
    for cls, status in ((NotFound, 404), (Conflict, 409), (Rejected, 422)):
        err = cls("bed B-12 is occupied", field="bed_id")
        assert (err.status, err.non_retryable, err.type, err.field) == (status, True, cls.kind, "bed_id")


def test_a_unique_violation_becomes_a_conflict_naming_what_collided(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    row = {
        "org_id": org.org_id,
        "scope": "intake",
        "key": "dup",
        "request_digest": b"x",
        "resource_id": uuid.uuid4(),
    }
    with tenant_session(org.org_id, actor_type="test") as s:
        s.execute(insert(IdempotencyRecord), [{**row, "id": uuid.uuid4()}])
    with pytest.raises(IntegrityError) as caught, tenant_session(org.org_id, actor_type="test") as s:
        s.execute(insert(IdempotencyRecord), [{**row, "id": uuid.uuid4()}])
    err = conflict_from_integrity(caught.value)
    assert isinstance(err, Conflict)
    assert err.field == "org_id_scope_key"
    assert "idempotency_keys" in err.message
