"""The audit log: append-only even for the app, HMAC-chained per org without forks or gaps
under concurrent writers, recording writes and PHI reads but never PHI values, and
`recoveryos audit verify` catching tampering."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from cli.admin import verify_chains
from core import audit
from core.db import tenant_session
from models.audit import AuditLog
from models.enums import AuditAction, LeadSource, LeadStatus, UserRole
from models.residents import Lead
from tests.db import as_app, as_owner
from tests.factories import OrgFactory

BIN = Path(sys.executable).parent


def _entries(org_id: uuid.UUID) -> list[AuditLog]:
    with tenant_session(org_id, actor_type="test") as s:
        rows = list(s.scalars(select(AuditLog).order_by(AuditLog.seq)))
        s.expunge_all()
        return rows


def test_the_app_role_cannot_change_or_remove_audit_entries(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    for sql in ("UPDATE audit_logs SET outcome = 'x'", "DELETE FROM audit_logs", "TRUNCATE audit_logs"):
        with as_app(org.org_id) as c, pytest.raises(DBAPIError, match="permission denied"):
            c.execute(text(sql))


def test_even_the_owner_cannot_update_or_delete_audit_entries(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    for sql in (
        "UPDATE audit_logs SET outcome = 'x' WHERE org_id = :o",
        "DELETE FROM audit_logs WHERE org_id = :o",
    ):
        with pytest.raises(DBAPIError, match="append-only"), as_owner() as c:
            c.execute(text(sql), {"o": org.org_id})


def test_concurrent_writers_extend_one_chain_without_fork_or_gap(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    before = len(_entries(org.org_id))
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with tenant_session(org.org_id, org.users[UserRole.ORG_OWNER], request_id=f"w{n}-{i}") as s:
                    audit.record(s, AuditAction.EXECUTE, "test_events", details={"writer": n, "i": i})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = _entries(org.org_id)
    assert len(rows) == before + 120
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert len({r.prev_hash for r in rows}) == len(rows)  # no two entries share a parent: no fork
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

    rows = [r for r in _entries(org.org_id) if r.entity_id == lead_id]
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


def _verify_cli(org_id: uuid.UUID) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "recoveryos"), "audit", "verify", "--org", str(org_id)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _tamper(sql: str, **params: object) -> None:
    # A superuser can switch triggers off for its session: what an attacker with the
    # database password could do, and what the chain exists to reveal.
    with as_owner() as c:
        c.execute(text("SET LOCAL session_replication_role = replica"))
        c.execute(text(sql), params)


def test_audit_verify_names_the_first_altered_entry(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    for i in range(5):
        with tenant_session(org.org_id, org.users[UserRole.ORG_OWNER]) as s:
            audit.record(s, AuditAction.EXECUTE, "test_events", details={"i": i})
    ok = _verify_cli(org.org_id)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "ok" in ok.stdout

    victim = _entries(org.org_id)[3]
    _tamper("UPDATE audit_logs SET actor_user_id = NULL WHERE id = :id", id=victim.id)
    bad = _verify_cli(org.org_id)
    assert bad.returncode == 1
    assert f"seq {victim.seq}" in bad.stdout and str(victim.id) in bad.stdout and "altered" in bad.stdout


def test_audit_verify_catches_a_deleted_entry(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    for i in range(4):
        with tenant_session(org.org_id, org.users[UserRole.ORG_OWNER]) as s:
            audit.record(s, AuditAction.EXECUTE, "test_events", details={"i": i})
    victim = _entries(org.org_id)[2]
    _tamper("DELETE FROM audit_logs WHERE id = :id", id=victim.id)
    (report,) = verify_chains(org.org_id)
    assert not report.ok and report.broken_seq == victim.seq + 1 and "gap" in (report.reason or "")


def test_changing_the_audit_key_keeps_old_entries_verifiable_with_the_previous_key(
    orgs: OrgFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64
    import os
    import secrets

    from tests.conftest import _reset_settings

    org = orgs.create((UserRole.ORG_OWNER,))
    old = os.environ["RECOVERYOS_AUDIT_HMAC_KEY"]
    new = base64.b64encode(secrets.token_bytes(32)).decode()
    try:
        monkeypatch.setenv("RECOVERYOS_AUDIT_HMAC_KEY", new)
        monkeypatch.setenv("RECOVERYOS_AUDIT_HMAC_PREVIOUS_KEYS", f'["{old}"]')
        _reset_settings()
        with tenant_session(org.org_id, org.users[UserRole.ORG_OWNER]) as s:
            audit.record(s, AuditAction.EXECUTE, "test_events", details={"after": "rotation"})
        rows = _entries(org.org_id)
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
