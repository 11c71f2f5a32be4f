"""Webhook endpoints (`/v1/webhooks`): registered by staff holding `integrations:manage`.

The URL passes the egress policy before anything is written (core/egress.py: HTTPS and public
addresses after DNS resolution, outside local mode); the secret is in the answer of the
registration and of a rotation, and nowhere else ever. Registering or enabling an endpoint
starts its delivering workflow (workflows/webhooks.py), which starts at the outbox's next
event: an endpoint receives what happens after it was registered.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Self

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import TenantDep, require
from api.fields import Int, Trimmed
from api.processes import ProcessesDep
from core.config import get_settings
from core.egress import EgressPolicy, Refused
from core.errors import Rejected
from core.events import EventType
from core.permissions import Perm
from core.process import Wait
from models.integrations import Webhook
from services.webhooks import endpoints, payloads
from workflows.webhooks import WEBHOOKS, EndpointInput, WebhookEndpointWorkflow

router = APIRouter(tags=["webhooks"])
Manager = Annotated[Principal, Depends(require(Perm.INTEGRATIONS_MANAGE))]
Url = Annotated[str, StringConstraints(min_length=8, max_length=2000, pattern=r"^https?://\S+$")]
Types = Annotated[list[EventType], Field(min_length=1, max_length=len(EventType))]

EXAMPLE_URL = "https://hooks.example.com/recoveryos"


async def egress_policy() -> EgressPolicy:
    return EgressPolicy.from_settings(get_settings())


Policy = Annotated[EgressPolicy, Depends(egress_policy)]


async def checked_url(policy: EgressPolicy, url: str) -> str:
    """The URL, once the policy allows calling it (DNS resolution runs off the event loop)."""
    try:
        await asyncio.to_thread(policy.check, url)
    except Refused as exc:
        raise Rejected(f"url {exc}", field="url") from None
    return url


class WebhookIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": EXAMPLE_URL,
                    "event_types": ["resident.admitted.v1", "invoice.issued.v1"],
                    "description": "Referral CRM",
                }
            ]
        },
    )
    url: Url
    event_types: Types
    description: Annotated[str, Trimmed(200)] | None = None


class WebhookChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"is_active": True, "event_types": ["lead.created.v1"]}]},
    )
    url: Url | None = None
    event_types: Types | None = None
    description: Annotated[str, Trimmed(200)] | None = None
    is_active: StrictBool | None = None


class WebhookOut(BaseModel):
    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    is_active: bool
    disabled_at: datetime | None
    disabled_reason: str | None = Field(description="gone (410), failing (5 days), staff")
    failing_since: datetime | None
    failure_count: int
    last_success_at: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="until then the previous secret signs beside the current one"
    )
    created_at: datetime
    workflow_id: str
    api_key_id: uuid.UUID | None = Field(None, description="the referral partner's key that registered it")

    @classmethod
    def of(cls, hook: Webhook, **more: str) -> Self:
        """The row as it is, with its workflow's id (and, for a new one, its secret)."""
        row = {f: getattr(hook, f) for f in WebhookOut.model_fields if f != "workflow_id"}
        return cls(**row, workflow_id=WEBHOOKS.id(hook.org_id, hook.id), **more)


class WebhookCreated(WebhookOut):
    secret: str = Field(description="the signing secret (`whsec_...`): shown this once, store it now")


class RotationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"overlap_hours": 24}]})
    overlap_hours: Int = Field(24, ge=0, le=7 * 24, description="how long the old secret still signs")


class RotationOut(BaseModel):
    secret: str = Field(description="the new signing secret: shown this once")
    previous_secret_expires_at: datetime | None


class EventTypeOut(BaseModel):
    type: EventType
    description: str
    example: dict[str, object]


async def start_delivery(processes: ProcessesDep, webhook_id: uuid.UUID) -> None:
    await processes.ensure_running(
        WEBHOOKS, webhook_id, WebhookEndpointWorkflow.run, EndpointInput(processes.actor, webhook_id)
    )
    await processes.signal(WEBHOOKS, webhook_id, WebhookEndpointWorkflow.poke, Wait(processes.actor))


@router.get("/v1/webhooks/event-types", response_model=list[EventTypeOut])
async def event_types(_: Manager) -> list[EventTypeOut]:
    """The outbox's catalogue: every type an endpoint may subscribe to, with an example payload
    (OpenAPI's `webhooks` section has the same)."""
    return [EventTypeOut(type=t, description=d, example=e) for t, d, e in payloads.catalogue()]


def _register(s: Session, body: WebhookIn, user_id: uuid.UUID | None) -> WebhookCreated:
    hook, secret = endpoints.create(s, body.url, body.event_types, body.description, user_id)
    return WebhookCreated.of(hook, secret=secret)


@router.post("/v1/webhooks", status_code=201, response_model=WebhookCreated)
async def register(
    body: WebhookIn, p: Manager, db: TenantDep, processes: ProcessesDep, policy: Policy
) -> WebhookCreated:
    """Register an endpoint; its secret is in this answer only."""
    await checked_url(policy, body.url)
    created: WebhookCreated = await db.run(_register, body, p.user_id)
    await start_delivery(processes, created.id)
    return created


@router.get("/v1/webhooks", response_model=list[WebhookOut])
async def list_webhooks(_: Manager, db: TenantDep) -> list[WebhookOut]:
    """The org's endpoints (never their secrets) with their health."""
    return await db.run(lambda s: [WebhookOut.of(h) for h in endpoints.listing(s)])


@router.get("/v1/webhooks/{webhook_id}", response_model=WebhookOut)
async def get_webhook(webhook_id: uuid.UUID, _: Manager, db: TenantDep) -> WebhookOut:
    """One endpoint: URL, types, whether it delivers, since when it fails, why it was disabled."""
    return await db.run(lambda s: WebhookOut.of(endpoints.get(s, webhook_id)))


@router.patch("/v1/webhooks/{webhook_id}", response_model=WebhookOut)
async def change_webhook(
    webhook_id: uuid.UUID,
    body: WebhookChange,
    p: Manager,
    db: TenantDep,
    processes: ProcessesDep,
    policy: Policy,
) -> WebhookOut:
    """Change the URL, types or description; `is_active` false stops delivery at the next
    event, true resumes it at the first event not delivered."""
    await db.run(endpoints.get, webhook_id)  # 404 before anything else
    if body.url is not None:
        await checked_url(policy, body.url)

    def change(s: Session) -> WebhookOut:
        hook = endpoints.change(
            s,
            webhook_id,
            p.user_id,
            url=body.url,
            event_types=body.event_types,
            description=body.description,
            is_active=body.is_active,
        )
        return WebhookOut.of(hook)

    out: WebhookOut = await db.run(change)
    if out.is_active:
        await start_delivery(processes, webhook_id)
    return out


@router.delete("/v1/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: uuid.UUID, p: Manager, db: TenantDep) -> Response:
    """Delete the endpoint; its workflow ends at its next look (the row is gone for it)."""
    await db.run(endpoints.delete, webhook_id, p.user_id)
    return Response(status_code=204)


@router.post("/v1/webhooks/{webhook_id}/secret/rotation", response_model=RotationOut)
async def rotate_secret(webhook_id: uuid.UUID, body: RotationIn, p: Manager, db: TenantDep) -> RotationOut:
    """A new secret, shown once; the current one keeps signing for `overlap_hours` (both
    signatures are sent), so receivers can switch without missing a delivery."""

    def rotate(s: Session) -> RotationOut:
        secret = endpoints.rotate(s, webhook_id, timedelta(hours=body.overlap_hours), p.user_id)
        return RotationOut(
            secret=secret, previous_secret_expires_at=endpoints.get(s, webhook_id).previous_secret_expires_at
        )

    out: RotationOut = await db.run(rotate)
    return out
