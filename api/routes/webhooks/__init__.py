"""Outgoing webhooks over HTTP, one module per part; `router` holds their routes:

- `endpoints`: staff register, list, change, delete endpoints and rotate their secrets;
- `deliveries`: the attempts made to an endpoint, and replays;
- `partners`: a referral partner's own endpoints for open-bed changes, registered with its key;
- `outgoing`: not routes of ours but what we send: OpenAPI's `webhooks` section, one entry
  per event type with an example payload (api/app.py puts it on `app.webhooks`).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.routes.webhooks import deliveries, endpoints, partners

router = APIRouter()
for part in (endpoints, deliveries, partners):
    router.routes.extend(part.router.routes)
