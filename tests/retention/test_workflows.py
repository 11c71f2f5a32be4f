"""Retention runs in Temporal time on the real database and a real file store: the dry run lists
what is past its period and not held and changes nothing; once a named person confirms, exactly
that is destroyed (ciphertext gone in PostgreSQL, files gone from the store), a held record is
left whole, a destruction retried does nothing twice, the certificate is written and
`audit verify` still passes."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from cli.admin import verify_chains
from core import audit_sealer
from core.contracts.retention import certificate_file, run_id, years_before
from core.crypto import field_aad
from core.db import tenant_session
from core.enums import UserRole
from core.events import EventType
from core.fieldcrypt import field_cipher
from core.process import Actor, Wait
from services.events import events_about
from services.retention import holds, runs
from tests.breach.conftest import BreachWorker
from tests.db import as_owner
from tests.factories import OrgFactory, SampleOrg
from tests.retention.builders import Former, former_resident, house
from workflows.retention import RETENTION, RetentionInput, RetentionRunWorkflow, RunState

OFFICER = UserRole.COMPLIANCE_OFFICER


def _row(table: str, row_id: uuid.UUID, *cols: str) -> dict[str, Any]:
    """Columns of one row as the database holds them (ciphertext as bytes), read as the owner."""
    with as_owner() as c:
        row = c.execute(text(f"SELECT {', '.join(cols)} FROM {table} WHERE id = :i"), {"i": row_id}).one()
    return dict(zip(cols, row, strict=True))


def _phi(f: Former) -> dict[str, Any]:
    return {
        "document": _row("documents", f.document_id, "content", "deleted_at"),
        "version": _row("document_versions", f.version_id, "content", "change_summary"),
        "signature": _row("signatures", f.signature_id, "signer_name", "typed_signature"),
        "resident": _row("residents", f.resident_id, "first_name", "last_name", "deleted_at"),
        "drug_test": _row("drug_tests", f.drug_test_id, "notes", "substances_detected"),
        "file": _row("file_uploads", f.file_id, "original_filename", "deleted_at"),
    }


async def _dry_run(
    env: WorkflowEnvironment, w: BreachWorker, org: SampleOrg
) -> tuple[WorkflowHandle, RunState]:
    officer = Actor(org.org_id, org.users[OFFICER], "req-retention")
    today = (await _now(env)).date()
    handle = await env.client.start_workflow(
        RetentionRunWorkflow.run,
        RetentionInput(officer, today),
        id=RETENTION.id(org.org_id, run_id(org.org_id, today)),
        task_queue=w.queue,
    )
    return handle, await handle.execute_update(RetentionRunWorkflow.wait_listed, Wait(officer))


async def _now(env: WorkflowEnvironment) -> datetime:
    return (await env.get_current_time()).astimezone(UTC)


def _three_former_residents(org: SampleOrg, w: BreachWorker, today: Any) -> tuple[Former, Former, Former]:
    """Discharged seven years ago (past the default six) with a document past its own date; the
    same but under a legal hold; discharged two years ago, their document kept five more."""
    where = house(org.org_id)
    old = years_before(today, 7)
    expired = former_resident(org.org_id, where, w.files, old, today - timedelta(days=365), bed=0)
    held = former_resident(org.org_id, where, w.files, old, today - timedelta(days=365), bed=1)
    young = former_resident(
        org.org_id, where, w.files, years_before(today, 2), today + timedelta(days=5 * 365), bed=2
    )
    with tenant_session(org.org_id, org.users[OFFICER], actor_type="test") as s:
        holds.place(
            s,
            uuid.uuid4(),
            "Subpoena in a county court case",
            org.users[OFFICER],
            datetime.now(UTC),
            resident_id=held.resident_id,
        )
    return expired, held, young


@dataclass
class World:
    org: SampleOrg
    expired: Former
    held: Former
    young: Former
    before: dict[uuid.UUID, dict[str, Any]]
    handle: WorkflowHandle
    listed: RunState

    def now(self) -> dict[uuid.UUID, dict[str, Any]]:
        return {f.resident_id: _phi(f) for f in (self.expired, self.held, self.young)}


async def _listed(env: WorkflowEnvironment, w: BreachWorker, orgs: OrgFactory) -> World:
    """Three former residents (see above) and today's dry run over them."""
    org = orgs.create((OFFICER,))
    expired, held, young = _three_former_residents(org, w, (await _now(env)).date())
    before = {f.resident_id: _phi(f) for f in (expired, held, young)}
    handle, listed = await _dry_run(env, w, org)
    return World(org, expired, held, young, before, handle, listed)


async def test_a_confirmed_run_destroys_what_expired_skips_what_is_held_and_audit_verify_passes(
    time_skipping: WorkflowEnvironment, breach_worker: BreachWorker, orgs: OrgFactory
) -> None:
    w = await _listed(time_skipping, breach_worker, orgs)
    org, expired, held, young, before, handle, listed = (
        w.org,
        w.expired,
        w.held,
        w.young,
        w.before,
        w.handle,
        w.listed,
    )
    # Listed: the expired resident and their document; not the held one, not the young one.
    assert listed.status == "listed"
    assert listed.counts == {"document": 1, "resident": 1, "breach_incident": 0}
    with tenant_session(org.org_id, actor_type="test") as s:
        run = runs.get_run(s, listed.run_id)
        assert run.listing["document"] == [str(expired.document_id)]
        assert run.listing["resident"] == [str(expired.resident_id)]
    # The dry run changed nothing.
    assert w.now() == before
    assert breach_worker.files.exists(expired.storage_key)

    officer = Actor(org.org_id, org.users[OFFICER], "req-confirm")
    await handle.execute_update(RetentionRunWorkflow.confirm, Wait(officer))
    done = await handle.result()
    assert done.status == "destroyed"
    assert done.destroyed == {"document": 1, "resident": 1, "breach_incident": 0}
    assert done.skipped == {"document": 0, "resident": 0, "breach_incident": 0}

    # In PostgreSQL: the ciphertext is gone (NULL, or overwritten where NOT NULL), the rows stay.
    gone = _phi(expired)
    assert gone["document"]["content"] is None and gone["document"]["deleted_at"] is not None
    assert gone["version"] == {"content": None, "change_summary": None}
    assert gone["signature"] == {"signer_name": None, "typed_signature": None}
    assert gone["drug_test"] == {"notes": None, "substances_detected": None}
    assert gone["resident"]["deleted_at"] is not None
    for table, col in (("resident", "first_name"), ("resident", "last_name"), ("file", "original_filename")):
        assert gone[table][col] != before[expired.resident_id][table][col]
    name = field_cipher().decrypt(
        gone["resident"]["first_name"], field_aad("residents", "first_name", expired.resident_id)
    )
    assert name == b"[destroyed]"
    # In the file store: the expired resident's file is gone; the held and the young are whole.
    assert not breach_worker.files.exists(expired.storage_key)
    assert breach_worker.files.exists(held.storage_key) and breach_worker.files.exists(young.storage_key)
    assert _phi(held) == before[held.resident_id] and _phi(young) == before[young.resident_id]

    # The certificate, and the events (ids and counts only).
    pdf = breach_worker.files.get(certificate_file(org.org_id, listed.run_id))
    words = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Certificate of destruction" in words and "audit log was not altered" in words
    assert "Quennell" not in words
    with tenant_session(org.org_id, actor_type="test") as s:
        assert events_about(s, listed.run_id) == [EventType.RETENTION_LISTED, EventType.RETENTION_DESTROYED]
        run = runs.get_run(s, listed.run_id)
        assert run.status == "destroyed" and run.certificate_sha256 is not None
        assert run.confirmed_by_user_id == org.users[OFFICER]
        # A destruction retried after it committed does nothing twice and does not fail.
        again = runs.destroy(s, listed.run_id, datetime.now(UTC))
    assert again.counts == {"document": 1, "resident": 1, "breach_incident": 0}

    # `audit verify`: the chain, every destruction's audit rows included, is whole.
    audit_sealer.seal_pending(org.org_id)
    (report,) = verify_chains(org.org_id)
    assert report.ok and report.entries > 0 and report.pending == 0


async def test_a_dry_run_changes_nothing_and_a_declined_run_destroys_nothing(
    time_skipping: WorkflowEnvironment, breach_worker: BreachWorker, orgs: OrgFactory
) -> None:
    w = await _listed(time_skipping, breach_worker, orgs)
    org, expired, handle, listed = w.org, w.expired, w.handle, w.listed
    assert listed.counts is not None and listed.counts["resident"] == 1
    officer = Actor(org.org_id, org.users[OFFICER], "req-decline")
    await handle.execute_update(RetentionRunWorkflow.decline, Wait(officer))
    assert (await handle.result()).status == "declined"
    assert w.now() == w.before
    assert breach_worker.files.exists(expired.storage_key)
    # The database itself refuses an erasure under a run that was not confirmed.
    with (
        pytest.raises(DBAPIError, match="signed and cannot change"),
        tenant_session(org.org_id, actor_type="test") as s,
    ):
        s.execute(
            text("SELECT set_config('recoveryos.destruction_run', :r, true)"), {"r": str(listed.run_id)}
        )
        s.execute(text("UPDATE documents SET content = NULL WHERE id = :d"), {"d": expired.document_id})


async def test_a_run_confirmed_before_its_workflow_ended_is_finished_when_started_again(
    time_skipping: WorkflowEnvironment, breach_worker: BreachWorker, orgs: OrgFactory
) -> None:
    w = await _listed(time_skipping, breach_worker, orgs)
    officer = w.org.users[OFFICER]
    # The confirmation reached the database, then the run's workflow ended (terminated here).
    with tenant_session(w.org.org_id, officer, actor_type="test") as s:
        runs.confirm(s, w.listed.run_id, officer, datetime.now(UTC))
    await w.handle.terminate("lost")
    handle, _ = await _dry_run(time_skipping, breach_worker, w.org)
    done = await handle.result()
    assert done.status == "destroyed" and done.destroyed == {
        "document": 1,
        "resident": 1,
        "breach_incident": 0,
    }
    assert not breach_worker.files.exists(w.expired.storage_key)
    assert breach_worker.files.exists(w.held.storage_key)
