"""What the consent routes share: the caller as the access policy sees it, and who may call."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.auth import Principal
from api.deps import require, require_any
from core.permissions import Perm
from services.consent.access import Caller

# Staff with resident:read, or a resident reading themself (the database shows them only that).
ResidentReader = Annotated[Principal, Depends(require_any(Perm.RESIDENT_READ, Perm.SELF_SERVICE))]
ConsentManager = Annotated[Principal, Depends(require(Perm.CONSENT_MANAGE))]
ComplianceManager = Annotated[Principal, Depends(require(Perm.COMPLIANCE_MANAGE))]
ClinicalReader = Annotated[Principal, Depends(require(Perm.CLINICAL_READ))]
# Who may open break-glass: staff who may respond to an emergency on site (operations:write:
# owners, directors, property and house managers, case managers, peer support) or clinically
# (clinical:read: also compliance officers). Billing specialists and residents may not.
Responder = Annotated[Principal, Depends(require_any(Perm.OPERATIONS_WRITE, Perm.CLINICAL_READ))]
# The patient notice is given at admission by whoever admits, or by privacy staff.
NoticeGiver = Annotated[Principal, Depends(require_any(Perm.ADMISSION_MANAGE, Perm.CONSENT_MANAGE))]


def caller(p: Principal) -> Caller:
    return Caller(p.person, p.permissions, p.resident_id)
