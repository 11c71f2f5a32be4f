"""A referral partner's own webhook endpoints (`/v1/availability/webhooks`), registered with its
key (`availability:read`): the same delivery, signing and SSRF guard as staff endpoints, for one
event type only, `beds.availability_changed.v1` (a house's open-bed counts, never who).

Only an API key registers here: the endpoint belongs to the key (`webhooks.api_key_id`), the key
lists and deletes only its own, and revoking the key stops them. Staff, who may read the counts
too, register endpoints at `/v1/webhooks` with `integrations:manage`; here they get a 403, so a
house manager cannot open a feed out of the org by this door.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import TenantDep, require
from api.fields import Trimmed
from api.processes import ProcessesDep
from api.routes.webhooks.endpoints import (
    EXAMPLE_URL,
    Policy,
    Url,
    WebhookCreated,
    WebhookOut,
    checked_url,
    start_delivery,
)
from core.events import EventType
from core.permissions import Perm
from services.webhooks import endpoints

router = APIRouter(tags=["referral partners"])

PARTNER_TYPES = (EventType.BEDS_AVAILABILITY_CHANGED,)


async def partner_key(p: Annotated[Principal, Depends(require(Perm.AVAILABILITY_READ))]) -> Principal:
    if p.api_key_id is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "a referral partner's API key subscribes here; staff register endpoints at /v1/webhooks",
        )
    return p


PartnerKey = Annotated[Principal, Depends(partner_key)]


class PartnerWebhookIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"url": EXAMPLE_URL, "description": "County referral line"}]},
    )
    url: Url
    description: Annotated[str, Trimmed(200)] | None = None


def _register(s: Session, body: PartnerWebhookIn, key_id: uuid.UUID) -> WebhookCreated:
    hook, secret = endpoints.create(s, body.url, PARTNER_TYPES, body.description, None, api_key_id=key_id)
    return WebhookCreated.of(hook, secret=secret)


@router.post("/v1/availability/webhooks", status_code=201, response_model=WebhookCreated)
async def subscribe(
    body: PartnerWebhookIn, p: PartnerKey, db: TenantDep, processes: ProcessesDep, policy: Policy
) -> WebhookCreated:
    """Receive `beds.availability_changed.v1` at `url`, signed per Standard Webhooks; the
    secret is in this answer only."""
    await checked_url(policy, body.url)
    assert p.api_key_id is not None
    created: WebhookCreated = await db.run(_register, body, p.api_key_id)
    await start_delivery(processes, created.id)
    return created


@router.get("/v1/availability/webhooks", response_model=list[WebhookOut])
async def my_webhooks(p: PartnerKey, db: TenantDep) -> list[WebhookOut]:
    """This key's endpoints and their health (never their secrets)."""
    return await db.run(lambda s: [WebhookOut.of(h) for h in endpoints.listing(s, p.api_key_id)])


@router.delete("/v1/availability/webhooks/{webhook_id}", status_code=204)
async def unsubscribe(webhook_id: uuid.UUID, p: PartnerKey, db: TenantDep) -> Response:
    """Stop and delete one of this key's endpoints; another's is a 404."""
    assert p.api_key_id is not None
    key_id = p.api_key_id

    def delete(s: Session) -> None:
        endpoints.owned(s, webhook_id, key_id)
        endpoints.delete(s, webhook_id, None)

    await db.run(delete)
    return Response(status_code=204)
