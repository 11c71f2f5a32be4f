"""The resident journey over HTTP, one router for the admission family built from:

- `journey`: applications (from an approved lead, or a readmission) and the messages to their
  workflow: bed, waitlist, offer answer, transfer, discharge, unaccounted
- `waitlist`: the queue in offer order, reprioritising and removing entries
- `bed_board`: the live bed board
- `residents`: the residents the caller may see, and one resident
- `history`: the lists of transfers and discharges
- `access`: the permission each kind of caller needs

Every read goes through a tenant transaction carrying the caller's scope, so PostgreSQL shows
a house manager only their houses' rows and a resident only their own (migration 0011).
Everything here is under /v1, so every response is `Cache-Control: no-store`."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes.admission import bed_board, history, journey, residents, waitlist

router = APIRouter()
router.include_router(journey.router)
router.include_router(waitlist.router)
router.include_router(bed_board.router)
router.include_router(residents.router)
router.include_router(history.router)
