"""The attempts made to an endpoint (`/v1/webhooks/<id>/deliveries`) and replays.

A replay is a message to the endpoint's workflow: it sends the event(s) again between feed
events, one attempt each, recorded with `replay: true`. The endpoint must be enabled (its
workflow running): a replay to a disabled endpoint is a 409.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import TenantDep, require
from api.pages import Limit, Offset, PageOut
from api.processes import ProcessesDep
from core.enums import WebhookDeliveryStatus
from core.errors import Conflict, Rejected
from core.permissions import Perm
from models.integrations import WebhookDelivery
from services.webhooks import deliveries, endpoints
from workflows.webhooks import WEBHOOKS, Replay, WebhookEndpointWorkflow

router = APIRouter(tags=["webhooks"])
Manager = Annotated[Principal, Depends(require(Perm.INTEGRATIONS_MANAGE))]


class DeliveryOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    attempt: int
    status: WebhookDeliveryStatus
    replay: bool
    attempted_at: datetime | None
    response_status: int | None
    latency_ms: int | None
    response_body: str | None = Field(description="the first 1 KiB of the receiver's answer")
    error: str | None = Field(description="why no answer counted (timeout, refused address...)")

    @classmethod
    def of(cls, d: WebhookDelivery) -> DeliveryOut:
        return cls(
            id=d.id,
            event_id=d.event_id,
            event_type=d.event_type,
            attempt=d.attempt,
            status=d.status,
            replay=d.replay,
            attempted_at=d.last_attempt_at,
            response_status=d.response_status,
            latency_ms=d.latency_ms,
            response_body=d.response_body,
            error=d.error,
        )


class ReplayIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"since": "2026-12-05T00:00:00Z"}]}
    )
    delivery_id: uuid.UUID | None = Field(None, description="send this attempt's event again")
    since: datetime | None = Field(None, description="send every event since then again")


class ReplayOut(BaseModel):
    webhook_id: uuid.UUID
    event_id: uuid.UUID | None
    since: datetime | None
    status: str = "accepted"


@router.get("/v1/webhooks/{webhook_id}/deliveries", response_model=PageOut[DeliveryOut])
async def list_deliveries(
    webhook_id: uuid.UUID,
    _: Manager,
    db: TenantDep,
    event_id: Annotated[uuid.UUID | None, Query(description="one event's attempts")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[DeliveryOut]:
    """Every attempt, newest first: status, response code, latency, the start of the answer."""

    def read(s: Session) -> PageOut[DeliveryOut]:
        # Converted inside the transaction: the answer's body is decrypted (and audited) there.
        found = deliveries.attempts(s, webhook_id, event_id, limit, offset)
        return PageOut[DeliveryOut].of(found, DeliveryOut.of)

    return await db.run(read)


@router.post("/v1/webhooks/{webhook_id}/replay", status_code=202, response_model=ReplayOut)
async def replay(
    webhook_id: uuid.UUID, body: ReplayIn, _: Manager, db: TenantDep, processes: ProcessesDep
) -> ReplayOut:
    """Send one delivery's event again (`delivery_id`) or every event since a time (`since`,
    up to the last one delivered); 202: the endpoint's workflow sends them shortly."""
    if (body.delivery_id is None) == (body.since is None):
        raise Rejected("give exactly one of delivery_id and since", field="delivery_id")
    hook = await db.run(endpoints.get, webhook_id)
    event_id = None
    if body.delivery_id is not None:
        event_id = (await db.run(deliveries.attempt_of, webhook_id, body.delivery_id)).event_id
    if not hook.is_active:
        raise Conflict("the endpoint is disabled: enable it, then replay", field="webhook_id")
    await processes.signal(
        WEBHOOKS, webhook_id, WebhookEndpointWorkflow.replay, Replay(processes.actor, body.since, event_id)
    )
    return ReplayOut(webhook_id=webhook_id, event_id=event_id, since=body.since)
