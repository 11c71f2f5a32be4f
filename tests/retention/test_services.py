"""A breach incident's not-notifiable conclusion is kept its six years, then destroyed by a run
like any other record (its assessment erased in PostgreSQL, its closing report deleted from the
store); an incident under a legal hold is not even listed. The run's steps are called as its
activities call them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from core.contracts.breach import report_file
from core.contracts.retention import years_before
from core.db import tenant_session
from core.enums import BreachStatus, UserRole
from core.filestore import LocalFileStore
from models.compliance import BreachIncident
from services.retention import holds, runs
from tests.db import as_owner
from tests.factories import OrgFactory

OFFICER = UserRole.COMPLIANCE_OFFICER


def _not_notifiable(org_id: uuid.UUID, decided: date) -> uuid.UUID:
    at = datetime.combine(decided, datetime.min.time(), UTC)
    with tenant_session(org_id, actor_type="test") as s:
        inc = BreachIncident(
            id=uuid.uuid4(),
            org_id=org_id,
            discovered_at=at - timedelta(days=3),
            status=BreachStatus.CLOSED,
            notification_deadline_at=at + timedelta(days=57),
            notifiable=False,
            safe_harbour=True,
            decided_at=at,
            closed_at=at,
            retain_until_date=decided.replace(year=decided.year + 6),
        )
        inc.description = "A laptop with the Okonkwo-Hale intake file was left on a bus"
        inc.assessment = {"reasons": "The disk was encrypted and the key was not on it"}
        s.add(inc)
        return inc.id


def test_a_not_notifiable_conclusion_is_destroyed_after_six_years_unless_held(
    orgs: OrgFactory, tmp_path: Path
) -> None:
    org = orgs.create((OFFICER,))
    today = datetime.now(UTC).date()
    old = _not_notifiable(org.org_id, years_before(today, 7))
    recent = _not_notifiable(org.org_id, years_before(today, 5))
    held = _not_notifiable(org.org_id, years_before(today, 7))
    files = LocalFileStore(tmp_path)
    files.put(report_file(org.org_id, old), b"%PDF closing report", "application/pdf")
    user = org.users[OFFICER]
    run_id, now = uuid.uuid4(), datetime.now(UTC)
    with tenant_session(org.org_id, user, actor_type="test") as s:
        holds.place(s, uuid.uuid4(), "Regulator's inquiry", user, now, breach_incident_id=held)
        listing = runs.dry_run(s, run_id, today, None, now)
    assert listing.counts["breach_incident"] == 1
    with tenant_session(org.org_id, user, actor_type="test") as s:
        assert runs.get_run(s, run_id).listing["breach_incident"] == [str(old)]
        runs.confirm(s, run_id, user, now)
    with tenant_session(org.org_id, user, actor_type="test") as s:
        done = runs.destroy(s, run_id, now)
    for key in done.file_keys:
        files.delete(key)
    files.delete(report_file(org.org_id, old))  # twice: no error
    assert done.counts["breach_incident"] == 1
    assert not files.exists(report_file(org.org_id, old))
    with as_owner() as c:
        rows: dict[uuid.UUID, bytes | None] = dict(
            c.execute(
                text("SELECT id, assessment FROM breach_incidents WHERE id = ANY(:ids)"),
                {"ids": [old, recent, held]},
            ).all()
        )
    assert rows[old] is None and rows[recent] is not None and rows[held] is not None
