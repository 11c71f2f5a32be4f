"""Outgoing webhooks over HTTP, one module per part; `router` holds their routes:

- `endpoints`: staff register, list, change, delete endpoints and rotate their secrets;
- `deliveries`: the attempts made to an endpoint, and replays;
- `outgoing`: not routes of ours but what we send: OpenAPI's `webhooks` section, one entry
  per event type with an example payload (api/app.py puts it on `app.webhooks`).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.routes.webhooks import deliveries, endpoints

router = APIRouter()
for part in (endpoints, deliveries):
    router.routes.extend(part.router.routes)
