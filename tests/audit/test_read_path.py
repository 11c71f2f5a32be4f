"""The PHI read path stays cheap without giving anything up: a request through an unchanged
session writes nothing to it, a transaction that only read PHI commits its read events
without waiting for the WAL flush while any transaction that wrote waits as before, and a
pooled connection that died while idle is replaced instead of failing a request."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import core.db
from core import audit
from core.config import get_settings
from core.db import app_url, tenant_session
from core.enums import LeadSource, LeadStatus, UserRole
from models.residents import Lead
from tests.audit.helpers import pending
from tests.db import as_owner
from tests.factories import OrgFactory, SampleOrg


def _lead(org: SampleOrg, user: uuid.UUID) -> uuid.UUID:
    lead_id = uuid.uuid4()
    with tenant_session(org.org_id, user) as s:
        s.add(
            Lead(
                id=lead_id,
                org_id=org.org_id,
                first_name="Marisol",
                last_name="Quennell",
                source=LeadSource.PHONE,
                status=LeadStatus.NEW,
            )
        )
    return lead_id


def _session_row_version(user: uuid.UUID) -> list[tuple[str, object]]:
    # xmin names the transaction that wrote the row version: any UPDATE, even one that sets
    # the same values, gives the row a new one.
    with as_owner() as c:
        return [
            (str(r.xmin), r.last_seen_at)
            for r in c.execute(
                text("SELECT xmin, last_seen_at FROM user_sessions WHERE user_id = :u ORDER BY id"),
                {"u": user},
            )
        ]


def test_requests_through_an_unchanged_session_write_nothing_to_it(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    user, headers = org.users[UserRole.HOUSE_MANAGER], org.headers(UserRole.HOUSE_MANAGER)
    lead_id = _lead(org, user)
    with httpx.Client(base_url=stack, headers=headers, timeout=30) as http:
        assert http.get("/v1/auth/me").status_code == 200
        before = _session_row_version(user)
        for _ in range(3):
            assert http.get("/v1/auth/me").status_code == 200
            assert http.get(f"/v1/leads/{lead_id}").json()["first_name"] == "Marisol"
        assert _session_row_version(user) == before
        # The control: once last_seen_at is older than the touch interval, a request writes it.
        with as_owner() as c:
            c.execute(
                text(
                    "UPDATE user_sessions SET last_seen_at = now() - interval '2 minutes' WHERE user_id = :u"
                ),
                {"u": user},
            )
        aged = _session_row_version(user)
        assert http.get("/v1/auth/me").status_code == 200
        assert _session_row_version(user) != aged


@pytest.fixture
def commit_modes() -> Iterator[list[str]]:
    """synchronous_commit as each tenant transaction is about to commit (after its audit events)."""
    seen: list[str] = []

    def record(session: Session) -> None:
        seen.append(session.connection().exec_driver_sql("SHOW synchronous_commit").scalar_one())

    event.listen(Session, "before_commit", record)
    yield seen
    event.remove(Session, "before_commit", record)


def test_a_transaction_that_only_read_phi_commits_its_read_event_without_waiting_for_the_flush(
    orgs: OrgFactory, commit_modes: list[str]
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    user = org.users[UserRole.CASE_MANAGER]
    lead_id = _lead(org, user)
    events = pending(org.org_id)
    commit_modes.clear()
    with tenant_session(org.org_id, user) as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None and lead.last_name == "Quennell"
    assert commit_modes == ["off"]
    assert pending(org.org_id) == events + 1  # the read is audited all the same


def test_a_transaction_that_wrote_anything_waits_for_the_flush(
    orgs: OrgFactory, commit_modes: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    user = org.users[UserRole.CASE_MANAGER]
    lead_id, other = _lead(org, user), _lead(org, user)
    commit_modes.clear()
    with tenant_session(org.org_id, user) as s:  # an ORM write next to the read
        lead = s.get(Lead, lead_id)
        assert lead is not None and lead.first_name == "Marisol"
        lead.notes = "called back"
    with tenant_session(org.org_id, user) as s:  # a write the ORM does not see
        lead = s.get(Lead, lead_id)
        assert lead is not None and lead.first_name == "Marisol"
        s.execute(text("UPDATE leads SET status = 'contacted' WHERE id = :i"), {"i": other})
    with tenant_session(org.org_id, user) as s:  # an explicit audit record
        lead = s.get(Lead, lead_id)
        assert lead is not None and lead.first_name == "Marisol"
        audit.record(s, audit.AuditAction.EXPORT, "leads", lead_id)
    monkeypatch.setattr(get_settings(), "read_audit_async_commit", False)
    with tenant_session(org.org_id, user) as s:  # a pure read, with the policy switched off
        lead = s.get(Lead, lead_id)
        assert lead is not None and lead.first_name == "Marisol"
    assert commit_modes == ["on", "on", "on", "on"]


def test_a_pooled_connection_that_died_while_idle_is_replaced_before_use(
    orgs: OrgFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    user = org.users[UserRole.CASE_MANAGER]
    lead_id = _lead(org, user)
    engine = core.db._engine(app_url(), 1)  # a pool of its own: no other test's connection dies

    def read() -> int:
        with tenant_session(org.org_id, user, engine=engine) as s:
            lead = s.get(Lead, lead_id)
            assert lead is not None and lead.first_name == "Marisol"
            return int(s.execute(text("SELECT pg_backend_pid()")).scalar_one())

    def kill(pid: int) -> None:
        with as_owner() as c:
            c.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})

    try:
        monkeypatch.setattr(core.db, "PING_AFTER_IDLE_SECONDS", 0.05)
        first = read()
        kill(first)
        time.sleep(0.2)
        assert read() != first
        # The control: a connection used again within the idle limit is not pinged.
        monkeypatch.setattr(core.db, "PING_AFTER_IDLE_SECONDS", 60.0)
        kill(second := read())
        time.sleep(0.2)
        with pytest.raises(OperationalError):
            read()
        assert read() != second  # the disconnect invalidated the pool
    finally:
        engine.dispose()
