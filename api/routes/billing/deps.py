"""What the billing routes share: who may read and who may write money, and the amount of cents
a request may carry."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from pydantic import Field

from api.auth import Principal
from api.deps import require
from api.fields import NUMBER
from core.permissions import Perm

Writer = Annotated[Principal, Depends(require(Perm.BILLING_WRITE))]
Reader = Annotated[Principal, Depends(require(Perm.BILLING_READ))]
Cents = Annotated[int, Field(gt=0, le=100_000_000), NUMBER]
