"""Who may call the chore and meeting routes, and the house in their path resolved under the
caller's scope: a house manager naming another house gets a 404 naming `house_id` before the
handler runs (and before any process is started)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Depends
from pydantic import AfterValidator, AwareDatetime, Field

from api.auth import Principal
from api.deps import TenantDep, require, require_any
from api.fields import Day
from core.permissions import Perm
from services import housing

Writer = Annotated[Principal, Depends(require(Perm.OPERATIONS_WRITE))]
Reader = Annotated[Principal, Depends(require(Perm.RESIDENT_READ))]
# The house as a building (repairs): whoever may see the properties.
PlaceReader = Annotated[Principal, Depends(require(Perm.PROPERTY_READ))]
# Staff, or a resident reporting for themself (the database shows a resident only themself).
SelfReporter = Annotated[Principal, Depends(require_any(Perm.OPERATIONS_WRITE, Perm.SELF_SERVICE))]

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
# A day within the years the house's calendar arithmetic can work with.
Within = Annotated[Day, Field(ge=FIRST_DAY, le=LAST_DAY)]


def _in_range(value: datetime) -> datetime:
    if not FIRST_DAY <= value.astimezone(UTC).date() <= LAST_DAY:
        raise ValueError(f"must fall between {FIRST_DAY} and {LAST_DAY}")
    return value


# A moment with its UTC offset ("2027-01-05T19:00:00-05:00"), within those years.
When = Annotated[AwareDatetime, AfterValidator(_in_range)]


async def _house(house_id: uuid.UUID, db: TenantDep) -> uuid.UUID:
    await db.run(housing.get_house, house_id)
    return house_id


VisibleHouse = Annotated[uuid.UUID, Depends(_house)]
