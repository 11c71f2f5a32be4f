"""Counseling notes over real HTTP: their author reads them; another clinician does not, not
even under a TPO consent or on the care team, until the resident's own counseling-notes consent
covers the program's staff; they are never part of the record; bad input writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select

from core.contracts.consent import ConsentKind
from core.db import tenant_session
from core.enums import UserRole
from models.compliance import Consent
from models.part2 import CounselingNote
from tests.consent import access_builders as build
from tests.documents.factories import make_resident
from tests.factories import OrgFactory
from tests.scope.world import add_login

R = UserRole
NOTE = "Explored triggers around the anniversary of a relapse; plans a call to sponsor."


def test_counseling_notes_are_read_by_their_author_or_under_their_own_consent(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((R.CASE_MANAGER, R.COMPLIANCE_OFFICER, R.PEER_SUPPORT))
    resident = make_resident(org.org_id, "Celestine", "Consejo")
    build.part2_fields(org.org_id, resident)
    build.consent(org.org_id, resident)  # a TPO consent: not enough
    build.on_care_team(org.org_id, resident, org.users[R.COMPLIANCE_OFFICER])  # neither is this
    _, self_token = add_login(org.org_id, R.RESIDENT, resident_id=resident)
    notes = f"/v1/residents/{resident}/counseling-notes"
    today = datetime.now(UTC).date()
    with (
        httpx.Client(base_url=stack, headers=org.headers(R.CASE_MANAGER), timeout=60) as author,
        httpx.Client(base_url=stack, headers=org.headers(R.COMPLIANCE_OFFICER), timeout=60) as other,
    ):
        written = author.post(
            notes, json={"session_date": str(today), "session_kind": "individual", "body": NOTE}
        )
        assert written.status_code == 201, written.text
        note = written.json()
        assert [n["body"] for n in author.get(notes).json()] == [NOTE]
        assert author.get(f"{notes}/{note['id']}").json()["body"] == NOTE

        assert other.get(notes).json() == []
        hidden = other.get(f"{notes}/{note['id']}")
        assert (hidden.status_code, hidden.json()["field"]) == (404, "note_id")
        record = other.get(f"/v1/residents/{resident}/record")
        assert record.json()["access_basis"] == "treatment-team"
        assert NOTE not in record.text and "counseling" not in record.text

        consent = build.consent(org.org_id, resident, kind=ConsentKind.COUNSELING_NOTES)
        assert [n["id"] for n in other.get(notes).json()] == [note["id"]]
        assert other.get(f"{notes}/{note['id']}").json()["body"] == NOTE

        with tenant_session(org.org_id, actor_type="test") as s:
            c = s.get(Consent, consent)
            assert c is not None
            c.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        assert other.get(notes).json() == []  # past its date, whatever its status says

        future = author.post(
            notes,
            json={"session_date": str(today + timedelta(days=2)), "session_kind": "individual", "body": NOTE},
        )
        assert (future.status_code, future.json()["field"]) == (422, "session_date")
        blank = author.post(notes, json={"session_date": str(today), "session_kind": "group", "body": "  "})
        assert (blank.status_code, blank.json()["field"]) == (422, "body")
        kind = author.post(notes, json={"session_date": str(today), "session_kind": "chat", "body": "x"})
        assert (kind.status_code, kind.json()["field"]) == (422, "session_kind")
    with tenant_session(org.org_id, actor_type="test") as s:
        assert s.scalar(select(func.count()).select_from(CounselingNote)) == 1

    with httpx.Client(base_url=stack, headers=org.headers(R.PEER_SUPPORT), timeout=60) as peer:
        assert peer.get(notes).status_code == 403
    with httpx.Client(base_url=stack, headers={"Authorization": f"Bearer {self_token}"}, timeout=60) as me:
        assert me.get(notes).status_code == 403  # like psychotherapy notes: not in the patient's own access
        mine = me.get(f"/v1/residents/{resident}/record").json()
        assert mine["access_basis"] == "self" and NOTE not in str(mine)
