"""Reports over HTTP, one module per kind; `router` holds all their routes (as billing's does):

- `financial`: rent roll, AR aging, deposits held, collections, write-offs and late fees, the
  trial balance;
- `occupancy`: occupancy and census, length of stay, admissions and discharges, waitlist time
  to bed, referral sources;
- `export`: a period's journals for QuickBooks Online, Xero or beancount, and the org's
  chart-of-accounts mapping;
- `outcomes`: a resident's consent to follow-up after discharge, and the outcomes report;
- `survey`: the follow-up survey page behind its link (`/follow-up/<token>`).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.routes.reports import export, financial, occupancy, outcomes, survey

router = APIRouter()
for part in (financial, occupancy, export, outcomes, survey):
    router.routes.extend(part.router.routes)
