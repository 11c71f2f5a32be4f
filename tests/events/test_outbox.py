"""The event outbox against the database itself: an event exists exactly when its change
committed, once however often it is emitted, in an order no late commit can slip behind, and
only where the reader's org and scope may look."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db import tenant_session
from core.enums import LeadStatus, UserRole
from core.events import START, EventType, Position
from core.scope import ORG_WIDE, Scope
from services import events
from services.intake import set_status
from tests.admission import places
from tests.factories import OrgFactory


@pytest.fixture(scope="module")
def org(orgs: OrgFactory) -> uuid.UUID:
    return orgs.create((UserRole.CASE_MANAGER,)).org_id


def _tail(org_id: uuid.UUID) -> Position:
    with tenant_session(org_id, actor_type="test") as s:
        pos = START
        while page := events.read_after(s, pos, limit=500).events:
            pos = page[-1].position
        return pos


def _after(org_id: uuid.UUID, pos: Position, scope: Scope | None = None) -> list[events.Event]:
    with tenant_session(org_id, actor_type="test", scope=scope or ORG_WIDE) as s:
        return events.read_after(s, pos, limit=500).events


def test_an_event_exists_exactly_when_the_change_that_emitted_it_committed(org: uuid.UUID) -> None:
    start = _tail(org)
    kept, lost = uuid.uuid4(), uuid.uuid4()
    with tenant_session(org, actor_type="test") as s:
        events.emit(s, EventType.LEAD_CREATED, kept)
    with pytest.raises(RuntimeError), tenant_session(org, actor_type="test") as s:
        events.emit(s, EventType.LEAD_CREATED, lost)
        raise RuntimeError("the change failed after it emitted")
    assert [e.subject_id for e in _after(org, start)] == [kept]


def test_the_same_event_emitted_again_by_a_retry_is_recorded_once(org: uuid.UUID) -> None:
    start = _tail(org)
    invoice = uuid.uuid4()
    ids = []
    for _ in range(3):
        with tenant_session(org, actor_type="test") as s:
            ids.append(events.emit(s, EventType.DUNNING_STEP_TAKEN, invoice, occurrence="1", step=1))
    with tenant_session(org, actor_type="test") as s:
        ids.append(events.emit(s, EventType.DUNNING_STEP_TAKEN, invoice, occurrence="2", step=2))
    got = _after(org, start)
    assert [(e.id, e.data) for e in got] == [(ids[0], {"step": "1"}), (ids[3], {"step": "2"})]
    assert len(set(ids[:3])) == 1


def test_an_event_carries_ids_enum_values_and_numbers_never_text(org: uuid.UUID) -> None:
    with tenant_session(org, actor_type="test") as s:
        with pytest.raises(TypeError, match="'note'"):
            events.emit(s, EventType.LEAD_CREATED, uuid.uuid4(), note="relapsed on Friday")  # type: ignore[arg-type]
        eid = events.emit(
            s, EventType.LEAD_DECIDED, uuid.uuid4(), status=LeadStatus.APPROVED, by=uuid.UUID(int=7), step=2
        )
    (event,) = [e for e in _after(org, START) if e.id == eid]
    assert event.data == {"by": str(uuid.UUID(int=7)), "status": "approved", "step": "2"}


def test_a_reader_never_skips_an_event_whose_transaction_commits_after_a_later_ones(
    org: uuid.UUID,
) -> None:
    """The slow transaction writes first and commits last: until it finishes, the reader stops
    before the fast one's event too, and then returns both in writing order."""
    start = _tail(org)
    slow_subject, fast_subject = uuid.uuid4(), uuid.uuid4()
    with tenant_session(org, actor_type="test") as slow:
        events.emit(slow, EventType.PAYMENT_RECEIVED, slow_subject)
        slow.flush()
        with tenant_session(org, actor_type="test") as fast:
            events.emit(fast, EventType.PAYMENT_RECEIVED, fast_subject)
        assert _after(org, start) == []
    assert [e.subject_id for e in _after(org, start)] == [slow_subject, fast_subject]
    with tenant_session(org, actor_type="test") as s:
        page = events.read_after(s, start, limit=1)
        rest = events.read_after(s, page.next)
        empty = events.read_after(s, rest.next)
    assert [e.subject_id for e in page.events + rest.events] == [slow_subject, fast_subject]
    assert empty.events == [] and empty.next == rest.next


def test_events_are_never_changed_or_deleted(org: uuid.UUID) -> None:
    with tenant_session(org, actor_type="test") as s:
        eid = events.emit(s, EventType.LEAD_CREATED, uuid.uuid4())
    for sql in (
        "UPDATE domain_events SET type = 'x' WHERE id = :i",
        "DELETE FROM domain_events WHERE id = :i",
    ):
        with pytest.raises(DBAPIError), tenant_session(org, actor_type="test") as s:
            s.execute(text(sql), {"i": eid})


def test_another_org_reads_none_of_an_orgs_events(org: uuid.UUID, orgs: OrgFactory) -> None:
    other = orgs.create((UserRole.CASE_MANAGER,)).org_id
    with tenant_session(org, actor_type="test") as s:
        events.emit(s, EventType.INVOICE_ISSUED, uuid.uuid4())
    assert _after(org, START) != []
    assert _after(other, START) == []
    with tenant_session(other, actor_type="test") as s:
        assert s.execute(text("SELECT count(*) FROM domain_events")).scalar_one() == 0


def test_a_house_manager_reads_the_events_of_their_own_houses_and_residents_only(org: uuid.UUID) -> None:
    mine, theirs = places.house(org, ["M-1"], "Maple House"), places.house(org, ["O-1"], "Oak House")
    start = _tail(org)
    resident_elsewhere = uuid.uuid4()
    with tenant_session(org, actor_type="test") as s:
        here = events.emit(s, EventType.INVOICE_ISSUED, uuid.uuid4(), house_id=mine.house_id)
        there = events.emit(s, EventType.INVOICE_ISSUED, uuid.uuid4(), house_id=theirs.house_id)
        named = events.emit(
            s, EventType.PAYMENT_RECEIVED, uuid.uuid4(), resident_id=resident_elsewhere, house_id=None
        )
        unanchored = events.emit(s, EventType.LEAD_CREATED, uuid.uuid4())
    seen = {e.id for e in _after(org, start, Scope.houses((mine.house_id,), (mine.property_id,)))}
    assert seen == {here, unanchored}
    assert {e.id for e in _after(org, start)} == {here, there, named, unanchored}


def test_a_lead_decided_twice_in_a_retry_is_one_event(org: uuid.UUID) -> None:
    lead = places.approved_lead(org)
    with tenant_session(org, actor_type="test") as s:
        set_status(s, lead, LeadStatus.APPROVED)
        assert events.events_about(s, lead) == [EventType.LEAD_CREATED, EventType.LEAD_DECIDED]


def test_every_event_type_is_described_in_the_catalogue() -> None:
    from core.events import CATALOGUE

    assert set(CATALOGUE) == set(EventType)
    assert all(t.value.endswith(".v1") and t.subject for t in EventType)


def test_the_readme_catalogue_lists_every_event_type_with_its_description() -> None:
    from pathlib import Path

    from core.events import CATALOGUE

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    missing = [t.value for t, d in CATALOGUE.items() if f"| `{t.value}` | {d} |" not in readme]
    assert missing == []
