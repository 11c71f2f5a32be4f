"""Who may call the house-safety routes, and the scope guards that resolve a path id (a pass, a
drug test, a draw, an incident) or a body's resident under the caller's houses: 404 naming the
field for anything outside them, before any workflow is messaged."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from api.auth import Principal
from api.deps import CurrentUser, TenantDB, TenantDep, require, require_any
from core.permissions import Perm
from core.scope import ScopeKind
from services import residents
from services.operations import drug_tests, incidents, passes

Staff = Annotated[Principal, Depends(require(Perm.OPERATIONS_WRITE))]
# An auditor (compliance) recomputes draws as well as house staff.
DrawReader = Annotated[Principal, Depends(require_any(Perm.OPERATIONS_WRITE, Perm.COMPLIANCE_MANAGE))]


def _scoped(p: Principal) -> bool:
    return p.scope.kind is not ScopeKind.ORG


async def _pass(pass_id: uuid.UUID, p: CurrentUser, db: TenantDep) -> uuid.UUID:
    if _scoped(p):
        await db.run(passes.get_pass, pass_id)
    return pass_id


async def _test(test_id: uuid.UUID, p: CurrentUser, db: TenantDep) -> uuid.UUID:
    # Always: recording a result starts its workflow, which must never start for an id the
    # caller's org does not hold.
    await db.run(drug_tests.get_test, test_id)
    return test_id


async def _incident(incident_id: uuid.UUID, p: CurrentUser, db: TenantDep) -> uuid.UUID:
    if _scoped(p):
        await db.run(incidents.get_incident, incident_id)
    return incident_id


VisiblePass = Annotated[uuid.UUID, Depends(_pass)]
VisibleTest = Annotated[uuid.UUID, Depends(_test)]
VisibleIncident = Annotated[uuid.UUID, Depends(_incident)]


async def visible_resident(db: TenantDB, resident_id: uuid.UUID) -> None:
    """A resident named in a body must be one the caller may see (always checked: a pass or a
    test for someone outside the caller's houses is a 404 naming `resident_id`)."""
    await db.run(residents.get_resident, resident_id)
