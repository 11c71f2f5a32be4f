"""House operations over HTTP, one module (and router) per subject; `router` holds their routes
(not the routers included), so whoever reads `router.routes` sees every route as it is served."""

from __future__ import annotations

from types import ModuleType

from fastapi import APIRouter

from api.routes.operations import (
    assessments,
    checkins,
    chores,
    curfew,
    drug_tests,
    incidents,
    maintenance,
    meetings,
    passes,
    vehicles,
)

PARTS: tuple[ModuleType, ...] = (
    # Chores and meetings; upkeep.
    chores,
    meetings,
    maintenance,
    vehicles,
    checkins,
    assessments,
    # Passes, curfew, drug tests and incidents.
    passes,
    curfew,
    drug_tests,
    incidents,
)

router = APIRouter()
for part in PARTS:
    router.routes.extend(part.router.routes)
