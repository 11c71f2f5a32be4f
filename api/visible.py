"""Scope guards as dependencies. A house- or property-scoped caller may name only what its
scope shows: each guard resolves the path id under the caller's scope (row-level security
decides) and answers 404 naming the field, like any unknown id, before any Temporal message is
sent. Org-wide callers pass straight through; the workflow answers for an id it does not know.

A route declares its permission (`Writer`, `Manager`, ...) before its guarded id, so a role
that may not act at all is a 403 whatever id it names."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from api.auth import Principal
from api.deps import CurrentUser, TenantDB, TenantDep
from core.scope import ScopeKind
from services import housing, intake, residents
from services.admission import applications


def _scoped(p: Principal) -> bool:
    return p.scope.kind is not ScopeKind.ORG


async def _lead(lead_id: uuid.UUID, p: CurrentUser, db: TenantDep) -> uuid.UUID:
    if _scoped(p):
        await db.run(intake.lead_status, lead_id)
    return lead_id


async def _admission(admission_id: uuid.UUID, p: CurrentUser, db: TenantDep) -> uuid.UUID:
    if _scoped(p):
        await db.run(applications.get_admission, admission_id)
    return admission_id


async def _resident(resident_id: uuid.UUID, p: CurrentUser, db: TenantDep) -> uuid.UUID:
    if _scoped(p):
        await db.run(residents.get_resident, resident_id)
    return resident_id


VisibleLead = Annotated[uuid.UUID, Depends(_lead)]
VisibleAdmission = Annotated[uuid.UUID, Depends(_admission)]
VisibleResident = Annotated[uuid.UUID, Depends(_resident)]


async def visible_bed(p: Principal, db: TenantDB, bed_id: uuid.UUID, field: str) -> None:
    """A bed named in a request body (not the path) must be in the caller's scope too."""
    if _scoped(p):
        await db.run(housing.bed_place, bed_id, field)
