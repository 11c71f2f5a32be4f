"""Who may call the admission routes: the permission each kind of caller needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.auth import Principal
from api.deps import require, require_any
from core.permissions import Perm

Manager = Annotated[Principal, Depends(require(Perm.ADMISSION_MANAGE))]
Reader = Annotated[Principal, Depends(require(Perm.RESIDENT_READ))]
BoardReader = Annotated[Principal, Depends(require(Perm.PROPERTY_READ))]
# Staff with resident:read, or a resident (self:service), whom the database shows only themself.
ResidentReader = Annotated[Principal, Depends(require_any(Perm.RESIDENT_READ, Perm.SELF_SERVICE))]
