"""API keys (`/v1/api-keys`) for integrators' systems, managed by staff holding
`integrations:manage`. A call with `Authorization: Bearer rok_...` is authenticated like a staff
session (api/deps.py) as the key: its org, its scopes as permissions, the whole org as scope,
no user; what it writes is audited with `actor_type` `api_key:<id>`.

A key holds a subset of its creator's permissions, never the ones that need a person: reading
Part 2 data (`clinical:read`, `consent:manage`: people give a second factor for those), managing
users, the org, integrations (a key cannot mint keys or webhooks), decoding Temporal payloads,
or a resident's self-service.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import TenantDep, require
from api.fields import Int, Trimmed
from core.errors import Rejected
from core.permissions import Perm
from services import api_keys

router = APIRouter(tags=["api keys"])
Manager = Annotated[Principal, Depends(require(Perm.INTEGRATIONS_MANAGE))]

NEVER_FOR_KEYS = frozenset(
    {
        Perm.CLINICAL_READ,
        Perm.CONSENT_MANAGE,
        Perm.USERS_MANAGE,
        Perm.ORG_MANAGE,
        Perm.INTEGRATIONS_MANAGE,
        Perm.CODEC_DECODE,
        Perm.SELF_SERVICE,
    }
)


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Accounting export", "scopes": ["billing:read"], "rate_limit_per_minute": 120}
            ]
        },
    )
    name: Annotated[str, Trimmed(100)]
    scopes: list[Perm] = Field(min_length=1, max_length=len(Perm))
    expires_at: datetime | None = None
    rate_limit_per_minute: Int = Field(600, ge=1, le=100_000)


class ApiKeyOut(BaseModel):
    # Read from the row; only the prefix has another name there.
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: uuid.UUID
    name: str
    prefix: str = Field(
        validation_alias="key_prefix",
        description="`rok_<prefix>_...`: how to recognise the key; the rest is never shown again",
    )
    scopes: list[str]
    rate_limit_per_minute: int
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="the key itself: shown this once, store it now")


@router.post("/v1/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_api_key(body: ApiKeyIn, p: Manager, db: TenantDep) -> ApiKeyCreated:
    """A new key for an integrator's system; the key is in this answer only."""
    refused = sorted(s.value for s in set(body.scopes) & NEVER_FOR_KEYS)
    if refused:
        raise Rejected(f"an API key may not hold {', '.join(refused)}", field="scopes")
    lacking = sorted(s.value for s in set(body.scopes) - p.permissions)
    if lacking:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"you cannot grant what you lack: {', '.join(lacking)}"
        )

    def create(s: Session) -> ApiKeyCreated:
        row, key = api_keys.create(
            s, body.name, body.scopes, body.expires_at, body.rate_limit_per_minute, p.user_id
        )
        return ApiKeyCreated(**ApiKeyOut.model_validate(row).model_dump(), key=key)

    return await db.run(create)


@router.get("/v1/api-keys", response_model=list[ApiKeyOut])
async def list_api_keys(_: Manager, db: TenantDep) -> list[ApiKeyOut]:
    """The org's keys (never the keys themselves), with when each was last used."""
    return await db.run(lambda s: [ApiKeyOut.model_validate(r) for r in api_keys.listing(s)])


@router.get("/v1/api-keys/{api_key_id}", response_model=ApiKeyOut)
async def get_api_key(api_key_id: uuid.UUID, _: Manager, db: TenantDep) -> ApiKeyOut:
    """One key: its scopes, limit, expiry, last use, whether it was revoked."""
    return await db.run(lambda s: ApiKeyOut.model_validate(api_keys.get(s, api_key_id)))


@router.delete("/v1/api-keys/{api_key_id}", status_code=204)
async def revoke_api_key(api_key_id: uuid.UUID, p: Manager, db: TenantDep) -> Response:
    """Revoke the key: every later call with it is a 401."""
    await db.run(api_keys.revoke, api_key_id, p.user_id)
    return Response(status_code=204)
