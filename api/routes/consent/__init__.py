"""Part 2 over HTTP, one module (and router) per subject; `router` holds their routes (not the
routers included), so whoever reads `router.routes` sees every route as it is served."""

from __future__ import annotations

from types import ModuleType

from fastapi import APIRouter

from api.routes.consent import (
    accounting,
    break_glass,
    care_team,
    consents,
    counseling,
    disclosures,
    notices,
    record,
    restrictions,
)

# `accounting` before `disclosures`: its `/disclosures/accounting.csv` must be matched before a
# disclosure id.
PARTS: tuple[ModuleType, ...] = (
    consents,
    accounting,
    disclosures,
    restrictions,
    record,
    care_team,
    break_glass,
    counseling,
    notices,
)

router = APIRouter()
for part in PARTS:
    router.routes.extend(part.router.routes)
