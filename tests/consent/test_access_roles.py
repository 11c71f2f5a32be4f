"""The role matrix of the access, break-glass, counseling-notes and patient-notice routes,
enforced over real HTTP (the shape of tests/test_permissions.py): each role gets 403 exactly
when it holds none of a route's permissions, and never 401 or 500."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from api.routes.consent import break_glass, care_team, counseling, notices, record
from core.enums import UserRole
from core.permissions import Perm
from tests.factories import OrgFactory, SampleOrg
from tests.test_permissions import _wrong_answers

P = Perm
READER = frozenset({P.RESIDENT_READ, P.SELF_SERVICE})
ACCESS_MATRIX: dict[tuple[str, str], frozenset[Perm]] = {
    ("GET", "/v1/residents/{resident_id}/record"): READER,
    ("GET", "/v1/residents/{resident_id}/care-team"): frozenset({P.CONSENT_MANAGE}),
    ("POST", "/v1/residents/{resident_id}/care-team"): frozenset({P.CONSENT_MANAGE}),
    ("DELETE", "/v1/residents/{resident_id}/care-team/{user_id}"): frozenset({P.CONSENT_MANAGE}),
    ("POST", "/v1/residents/{resident_id}/break-glass"): frozenset({P.OPERATIONS_WRITE, P.CLINICAL_READ}),
    ("GET", "/v1/break-glass"): frozenset({P.COMPLIANCE_MANAGE}),
    ("GET", "/v1/break-glass/{event_id}"): frozenset({P.COMPLIANCE_MANAGE}),
    ("POST", "/v1/break-glass/{event_id}/review"): frozenset({P.COMPLIANCE_MANAGE}),
    ("POST", "/v1/residents/{resident_id}/counseling-notes"): frozenset({P.CLINICAL_READ}),
    ("GET", "/v1/residents/{resident_id}/counseling-notes"): frozenset({P.CLINICAL_READ}),
    ("GET", "/v1/residents/{resident_id}/counseling-notes/{note_id}"): frozenset({P.CLINICAL_READ}),
    ("POST", "/v1/residents/{resident_id}/patient-notice"): frozenset({P.ADMISSION_MANAGE, P.CONSENT_MANAGE}),
    ("GET", "/v1/residents/{resident_id}/patient-notices"): READER,
}


def test_the_matrix_names_every_access_route() -> None:
    routes = {
        (m, r.path)
        for module in (record, care_team, break_glass, counseling, notices)
        for r in module.router.routes
        if isinstance(r, APIRoute)
        for m in r.methods or ()
    }
    assert set(ACCESS_MATRIX) == routes


@pytest.fixture(scope="module")
def every_role(orgs: OrgFactory) -> SampleOrg:
    return orgs.create()


@pytest.mark.parametrize("role", list(UserRole), ids=lambda r: r.value)
def test_each_role_reaches_exactly_the_access_routes_its_permissions_allow(
    stack: str, every_role: SampleOrg, role: UserRole
) -> None:
    assert _wrong_answers(stack, every_role, role, ACCESS_MATRIX) == []
