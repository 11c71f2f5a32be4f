"""The audit log: append-only even for the app, written by every transaction without a lock,
chained per org without forks or gaps under concurrent writers and racing sequencers,
recording writes and PHI reads but never PHI values, and verifiable after a key change."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from cli.admin import verify_chains
from core import audit, audit_sealer
from core.db import tenant_session
from core.enums import AuditAction, LeadSource, LeadStatus, UserRole
from models.base import note_phi_read_group
from models.residents import Lead
from tests.audit.helpers import chain, pending, write_events
from tests.db import as_app, as_owner
from tests.factories import OrgFactory


def test_the_app_role_cannot_change_or_remove_audit_entries_or_events(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    for table in ("audit_logs", "audit_events"):
        for sql in (f"UPDATE {table} SET outcome = 'x'", f"DELETE FROM {table}", f"TRUNCATE {table}"):
            with as_app(org.org_id) as c, pytest.raises(DBAPIError, match="permission denied"):
                c.execute(text(sql))


def test_even_the_owner_cannot_update_or_delete_audit_entries(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    write_events(org.org_id, 2)
    assert len(chain(org.org_id)) >= 2
    for sql in (
        "UPDATE audit_logs SET outcome = 'x' WHERE org_id = :o",
        "DELETE FROM audit_logs WHERE org_id = :o",
    ):
        with pytest.raises(DBAPIError, match="append-only"), as_owner() as c:
            c.execute(text(sql), {"o": org.org_id})


def test_an_event_leaves_the_outbox_only_once_the_chain_holds_it(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    write_events(org.org_id, 1)
    with pytest.raises(DBAPIError, match="not chained yet"), as_owner() as c:
        c.execute(text("DELETE FROM audit_events WHERE org_id = :o"), {"o": org.org_id})
    with pytest.raises(DBAPIError, match="append-only"), as_owner() as c:
        c.execute(text("UPDATE audit_events SET outcome = 'x' WHERE org_id = :o"), {"o": org.org_id})


def test_the_app_can_write_events_but_not_chain_entries(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    write_events(org.org_id, 1)
    (head,) = chain(org.org_id)[-1:]
    forged = (
        "INSERT INTO audit_logs "
        "(id, org_id, seq, actor_type, action, entity_type, outcome, hmac_key_id, hash) "
        "VALUES (gen_random_uuid(), :o, :s, 'user', 'read', 'leads', 'success', 'k', '\\x00')"
    )
    for seq in (0, -1, head.seq + 1):
        with as_app(org.org_id) as c, pytest.raises(DBAPIError, match="permission denied"):
            c.execute(text(forged), {"o": org.org_id, "s": seq})
    with pytest.raises(DBAPIError, match="seq_positive"), as_owner() as c:
        c.execute(text(forged), {"o": org.org_id, "s": 0})


def test_sealing_refuses_a_caller_that_does_not_extend_the_head(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    write_events(org.org_id, 2)
    chain(org.org_id)
    write_events(org.org_id, 1)
    with as_app(org.org_id) as c:
        event_id = c.execute(text("SELECT id FROM audit_events")).scalar_one()
        for first in (0, 1, -5):  # restarting, forking or going below the chain
            c.execute(text("SAVEPOINT s"))
            with pytest.raises(DBAPIError, match="moved"):
                c.execute(
                    text("SELECT audit_seal(:f, NULL, 'k', ARRAY[CAST(:e AS uuid)], ARRAY['\\x00'::bytea])"),
                    {"f": first, "e": event_id},
                )
            c.execute(text("ROLLBACK TO SAVEPOINT s"))


def test_events_wait_in_the_outbox_until_sealed_and_verify_counts_them(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    before = len(chain(org.org_id))
    write_events(org.org_id, 3)
    assert pending(org.org_id) == 3
    (report,) = verify_chains(org.org_id)
    assert report.ok and report.pending == 3 and report.entries == before
    assert audit_sealer.seal_pending(org.org_id) == 3
    (report,) = verify_chains(org.org_id)
    assert report.ok and report.pending == 0 and report.entries == before + 3


def test_concurrent_writers_and_racing_sequencers_extend_one_chain_without_fork_gap_or_loss(
    orgs: OrgFactory,
) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    before = len(chain(org.org_id))
    errors: list[BaseException] = []
    writing = threading.Event()
    writing.set()

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with tenant_session(org.org_id, org.users[UserRole.ORG_OWNER], request_id=f"w{n}-{i}") as s:
                    audit.record(s, AuditAction.EXECUTE, "test_events", details={"writer": n, "i": i})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def sequencer(wait: bool) -> None:
        try:
            while writing.is_set():
                audit_sealer.seal_pending(org.org_id, batch=7, wait=wait)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    sequencers = [threading.Thread(target=sequencer, args=(w,)) for w in (True, False, True)]
    for t in [*writers, *sequencers]:
        t.start()
    for t in writers:
        t.join()
    writing.clear()
    for t in sequencers:
        t.join()
    assert errors == []
    rows = chain(org.org_id)
    assert len(rows) == before + 120 and pending(org.org_id) == 0
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert len({r.prev_hash for r in rows}) == len(rows)  # no two entries share a parent: no fork
    written = {(r.details["writer"], r.details["i"]) for r in rows if r.entity_type == "test_events"}
    assert written == {(n, i) for n in range(8) for i in range(15)}
    (report,) = verify_chains(org.org_id)
    assert report.ok and report.entries == len(rows)


def test_writes_and_phi_reads_are_audited_with_field_names_but_no_values(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    user = org.users[UserRole.CASE_MANAGER]
    lead_id = uuid.uuid4()
    with tenant_session(org.org_id, user, request_id="req-write", source_ip="203.0.113.7") as s:
        s.add(
            Lead(
                id=lead_id,
                org_id=org.org_id,
                first_name="Theodora",
                last_name="Vantongeren",
                email="theodora.v@example.com",
                source=LeadSource.PHONE,
                status=LeadStatus.NEW,
            )
        )
    with tenant_session(org.org_id, user, request_id="req-read", source_ip="203.0.113.8") as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None and lead.first_name == "Theodora"
    with tenant_session(org.org_id, user, request_id="req-nothing") as s:
        assert s.get(Lead, lead_id) is not None  # loaded but nothing decrypted: not a PHI read

    rows = [r for r in chain(org.org_id) if r.entity_id == lead_id]
    assert [(r.action, r.request_id) for r in rows] == [
        (AuditAction.CREATE, "req-write"),
        (AuditAction.READ, "req-read"),
    ]
    created, read = rows
    assert created.actor_user_id == user and str(created.source_ip) == "203.0.113.7"
    assert "first_name" in created.details["fields"] and "email" in created.details["fields"]
    assert read.details == {"fields": ["first_name"]}
    with as_owner() as c:
        dump = " ".join(
            str(x)
            for x in c.execute(
                text("SELECT a::text FROM audit_logs a WHERE org_id = :o"), {"o": org.org_id}
            ).scalars()
        )
    for phi in ("Theodora", "Vantongeren", "theodora.v@example.com"):
        assert phi not in dump


def test_entries_carry_the_process_that_wrote_them(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    process = {"workflow_type": "Intake", "workflow_id": f"intake/{org.org_id}/x", "run_id": "r1"}
    with tenant_session(org.org_id, actor_type="workflow:intake", process=process) as s:
        audit.record(s, AuditAction.EXECUTE, "test_events", details={"step": 1})
    (entry,) = [r for r in chain(org.org_id) if r.entity_type == "test_events"]
    assert entry.details == {"step": 1, "process": process}


def test_changing_the_audit_key_keeps_old_entries_verifiable_with_the_previous_key(
    orgs: OrgFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64
    import os
    import secrets

    from tests.conftest import _reset_settings

    org = orgs.create((UserRole.ORG_OWNER,))
    chain(org.org_id)
    old = os.environ["RECOVERYOS_AUDIT_HMAC_KEY"]
    new = base64.b64encode(secrets.token_bytes(32)).decode()
    try:
        monkeypatch.setenv("RECOVERYOS_AUDIT_HMAC_KEY", new)
        monkeypatch.setenv("RECOVERYOS_AUDIT_HMAC_PREVIOUS_KEYS", f'["{old}"]')
        _reset_settings()
        with tenant_session(org.org_id, org.users[UserRole.ORG_OWNER]) as s:
            audit.record(s, AuditAction.EXECUTE, "test_events", details={"after": "rotation"})
        rows = chain(org.org_id)
        assert len({r.hmac_key_id for r in rows}) == 2
        (report,) = verify_chains(org.org_id)
        assert report.ok

        monkeypatch.delenv("RECOVERYOS_AUDIT_HMAC_PREVIOUS_KEYS")
        _reset_settings()
        (report,) = verify_chains(org.org_id)
        assert not report.ok and report.broken_seq == 1 and "unknown key" in (report.reason or "")
    finally:
        monkeypatch.undo()
        _reset_settings()


def test_a_list_read_is_one_event_naming_every_row_and_a_few_reads_are_one_event_each(
    orgs: OrgFactory,
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    user = org.users[UserRole.CASE_MANAGER]
    ids = [uuid.uuid4() for _ in range(audit.READ_GROUP_MIN + 2)]
    with tenant_session(org.org_id, user) as s:
        for i, lead_id in enumerate(ids):
            s.add(
                Lead(
                    id=lead_id,
                    org_id=org.org_id,
                    first_name=f"Lee{i}",
                    last_name="Ng",
                    source=LeadSource.PHONE,
                    status=LeadStatus.NEW,
                )
            )
    with tenant_session(org.org_id, user, request_id="req-list") as s:
        assert len([s.get(Lead, i).first_name for i in ids]) == len(ids)  # type: ignore[union-attr]
    with tenant_session(org.org_id, user, request_id="req-two") as s:
        assert [s.get(Lead, i).last_name for i in ids[:2]] == ["Ng", "Ng"]  # type: ignore[union-attr]

    reads = [r for r in chain(org.org_id) if r.action == AuditAction.READ]
    listed = [r for r in reads if r.request_id == "req-list"]
    assert [(r.entity_type, r.entity_id) for r in listed] == [("leads", None)]
    assert listed[0].details == {"fields": ["first_name"], "ids": sorted(map(str, ids)), "count": len(ids)}
    two = [r for r in reads if r.request_id == "req-two"]
    assert sorted((r.entity_id, r.details["fields"]) for r in two) == sorted(
        (i, ["last_name"]) for i in ids[:2]
    )
    # An auditor asking "who read this lead?" finds both kinds with one query.
    with as_owner() as c:
        found = (
            c.execute(
                text(
                    "SELECT request_id FROM audit_logs WHERE org_id = :o AND action = 'read' "
                    "AND (entity_id = :id OR details->'ids' ? :ids) ORDER BY seq"
                ),
                {"o": org.org_id, "id": ids[0], "ids": str(ids[0])},
            )
            .scalars()
            .all()
        )
    assert found == ["req-list", "req-two"]


def test_names_shown_from_a_copy_are_audited_like_rows_read_one_event_for_many_one_each_for_few(
    orgs: OrgFactory,
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    user = org.users[UserRole.CASE_MANAGER]
    many = sorted(str(uuid.uuid4()) for _ in range(audit.READ_GROUP_MIN + 2))
    few = sorted(str(uuid.uuid4()) for _ in range(2))
    with tenant_session(org.org_id, user, request_id="req-copy") as s:
        note_phi_read_group(s, "residents", list(many), ("last_name", "first_name"))
        note_phi_read_group(s, "residents", list(few), ("first_name",))
    reads = [r for r in chain(org.org_id) if r.action == AuditAction.READ and r.request_id == "req-copy"]
    grouped = [r for r in reads if r.entity_id is None]
    assert [r.details for r in grouped] == [
        {"fields": ["first_name", "last_name"], "ids": many, "count": len(many)}
    ]
    assert sorted((str(r.entity_id), r.details["fields"]) for r in reads if r.entity_id) == [
        (i, ["first_name"]) for i in few
    ]
