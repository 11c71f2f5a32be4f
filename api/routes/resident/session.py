"""Who is signed in to the resident's pages: the session cookie resolved like any API session
(same expiry and inactivity limit), held by a resident (self:service, linked to their record).
Everything a page reads then runs in that session's own scope: PostgreSQL shows the resident
their own rows only."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from api.auth import SESSION_COOKIE, Principal, resolve
from api.deps import TenantDB, client_ip
from api.routes.resident import render
from core.db import tenant_session
from core.permissions import Perm
from core.scope import ORG_WIDE
from core.wording import neutral
from models.orgs import House
from models.residents import Resident


@dataclass(frozen=True)
class Me:
    p: Principal
    resident_id: uuid.UUID
    user_id: uuid.UUID
    csrf: str
    house: str

    @property
    def db(self) -> TenantDB:
        return TenantDB(self.p)

    @property
    def org_db(self) -> TenantDB:
        """Org-wide, for the few reads (and the curfew check-in) that measure this resident
        against their house's rules, which a resident's scope cannot see (services/resident/
        house.py says why). Only ever called with this session's own resident id."""
        p = self.p
        return TenantDB(
            None,
            lambda: tenant_session(
                p.org_id, p.user_id, request_id=p.request_id, source_ip=p.source_ip, scope=ORG_WIDE
            ),
        )


def _house_name(p: Principal, resident_id: uuid.UUID) -> str:
    """The resident's own house's name for the top bar. Residents cannot read houses (scope
    policies), so this one column is read org-wide, for their own record only."""
    with tenant_session(p.org_id, p.user_id, request_id=p.request_id, scope=ORG_WIDE) as s:
        name = s.scalar(
            select(House.name)
            .join(Resident, Resident.current_house_id == House.id)
            .where(Resident.id == resident_id)
        )
    return neutral(name, "Home")


async def current_resident(request: Request) -> Me | None:
    """The signed-in resident, or None (no cookie, expired, or not a resident)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    p = await asyncio.to_thread(
        resolve, token, request_id=request.state.request_id, source_ip=client_ip(request)
    )
    if (
        p is None
        or p.mfa_pending
        or not p.can(Perm.SELF_SERVICE)
        or p.resident_id is None
        or p.user_id is None
    ):
        return None
    house = await asyncio.to_thread(_house_name, p, p.resident_id)
    return Me(p, p.resident_id, p.user_id, render.csrf_token(p.session_id), house)


def to_sign_in() -> Response:
    """Where a page sends someone not signed in (or whose session ended)."""
    return RedirectResponse("/me/sign-in", status_code=303, headers={"Cache-Control": "no-store"})


def forged(request: Request, me: Me, csrf: str) -> Response | None:
    """The refusal of a form sent from another origin or without the session's CSRF token;
    None for a form the resident's own page sent."""
    if render.foreign_origin(request) or not render.csrf_ok(me.p.session_id, csrf):
        return render.refused(me.csrf, me.house)
    return None
