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
# The parts' path operations themselves, not `include_router`: FastAPI nests an included router
# as one route of its own, and whoever walks this router's routes (the permission matrix, the
# no-store walk) reads path operations.
for part in (journey, waitlist, bed_board, residents, history):
    router.routes.extend(part.router.routes)
