"""Staff with consent:manage assign and remove the care team over HTTP; the treatment-team basis
starts and ends with the assignment."""

from __future__ import annotations

import httpx

from core.enums import UserRole
from tests.consent import access_builders as build
from tests.documents.factories import make_resident
from tests.factories import OrgFactory

R = UserRole


def test_a_care_team_assignment_starts_and_ends_the_treatment_team_basis(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((R.CASE_MANAGER, R.COMPLIANCE_OFFICER, R.HOUSE_MANAGER))
    resident = make_resident(org.org_id, "Tamsin", "Teamwell")
    build.part2_fields(org.org_id, resident)
    officer = org.users[R.COMPLIANCE_OFFICER]
    team = f"/v1/residents/{resident}/care-team"
    with (
        httpx.Client(base_url=stack, headers=org.headers(R.CASE_MANAGER), timeout=60) as manager,
        httpx.Client(base_url=stack, headers=org.headers(R.COMPLIANCE_OFFICER), timeout=60) as reader,
    ):
        assert reader.get(f"/v1/residents/{resident}/record").json()["access_basis"] is None
        added = manager.post(team, json={"user_id": str(officer), "role": "counselor"})
        assert added.status_code == 201, added.text
        again = manager.post(team, json={"user_id": str(officer), "role": "counselor"})
        assert again.status_code == 201 and again.json()["id"] == added.json()["id"]
        assert [m["user_id"] for m in manager.get(team).json()] == [str(officer)]
        assert reader.get(f"/v1/residents/{resident}/record").json()["access_basis"] == "treatment-team"

        removed = manager.delete(f"{team}/{officer}")
        assert removed.status_code == 204
        assert manager.get(team).json() == []
        body = reader.get(f"/v1/residents/{resident}/record").json()
        assert body["access_basis"] is None and "diagnoses" not in body
        assert manager.delete(f"{team}/{officer}").json()["field"] == "user_id"

        unknown = manager.post(team, json={"user_id": str(resident), "role": "counselor"})
        assert (unknown.status_code, unknown.json()["field"]) == (422, "user_id")
        bad_role = manager.post(team, json={"user_id": str(officer), "role": "Counselor!"})
        assert bad_role.status_code == 422 and "role" in bad_role.text
    with httpx.Client(base_url=stack, headers=org.headers(R.HOUSE_MANAGER), timeout=60) as house:
        assert house.post(team, json={"user_id": str(officer), "role": "counselor"}).status_code == 403
