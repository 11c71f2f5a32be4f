"""Managing staff logins over HTTP (`users:manage`, org-wide roles only): invite by e-mail with a
one-time link, set roles and their house or property scopes, deactivate (every session ends at
once) and reactivate; and, for the invited person, the link itself: check it, then choose a
password with it, once.

A manager can only give, change or take away roles whose permissions they hold themselves, so an
executive director cannot make anyone an owner (or manage an owner). The invitation e-mail goes
through the notifier seam (SMTP when `RECOVERYOS_SMTP_HOST` is set) and says nothing about
anyone but the invited person: no org name, no resident, nothing clinical."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import TenantDB, TenantDep, require
from api.errors import problem_responses, replayed_response
from api.fields import Trimmed
from api.pages import Limit, Offset, PageOut
from api.processes import IdempotencyKeyHeader
from core.config import get_settings
from core.db import tenant_session
from core.enums import UserRole, UserStatus
from core.errors import NotFound
from core.notify import Email, Notifier, RecordingNotifier, SmtpNotifier
from core.permissions import Perm, permissions_for
from core.scope import ScopeKind
from models.users import User
from services import idempotency
from services import users as staff
from services.users import Grant, Invitation, NewUser

log = logging.getLogger("recoveryos.users")
router = APIRouter(tags=["setup: users"])


async def _manager(p: Annotated[Principal, Depends(require(Perm.USERS_MANAGE))]) -> Principal:
    if p.scope.kind is not ScopeKind.ORG:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "managing users needs a role that is not limited to houses"
        )
    return p


Manager = Annotated[Principal, Depends(_manager)]
Text = Annotated[str, Trimmed(100)]


@lru_cache(maxsize=1)
def _notifier() -> Notifier:
    return SmtpNotifier.from_settings(get_settings()) or RecordingNotifier()


def invitation_notifier() -> Notifier:
    """How invitations are sent; tests override this dependency."""
    return _notifier()


NotifierDep = Annotated[Notifier, Depends(invitation_notifier)]


def _staff_role(role: UserRole) -> UserRole:
    if role is UserRole.RESIDENT:
        raise ValueError("resident logins are made from the resident's record")
    return role


class GrantIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"role": "house_manager", "house_id": "0b1d1c9e-2f7a-4a8e-8a57-0c5f7e1d2b33"}]
        },
    )
    role: Annotated[UserRole, AfterValidator(_staff_role)] = Field(description="any role but resident")
    house_id: uuid.UUID | None = Field(None, description="limit the role to this house")
    property_id: uuid.UUID | None = Field(None, description="limit the role to this property's houses")


class GrantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    role: UserRole
    house_id: uuid.UUID | None
    property_id: uuid.UUID | None


class UserIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "email": "dana.house@example.org",
                    "first_name": "Dana",
                    "last_name": "Whitfield",
                    "roles": [{"role": "house_manager", "house_id": "0b1d1c9e-2f7a-4a8e-8a57-0c5f7e1d2b33"}],
                }
            ]
        },
    )
    # A plain shape check: staff domains include internal ones (.test, .internal) that strict
    # deliverability rules refuse, and the invitation itself proves the address.
    email: Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    first_name: Text
    last_name: Text
    phone: Annotated[str, Trimmed(40, min_length=3)] | None = None
    roles: list[GrantIn] = Field(min_length=1, max_length=20)


class RolesIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "roles": [
                        {"role": "property_manager", "property_id": "7d4f4d43-52a4-4c43-9a55-1f0b4e0c2a11"}
                    ]
                }
            ]
        },
    )
    roles: list[GrantIn] = Field(min_length=1, max_length=20)


class AcceptIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"password": "a long passphrase"}]}
    )
    password: str = Field(min_length=12, max_length=256, description="at least 12 characters")


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    status: UserStatus
    roles: list[GrantOut]
    mfa_enabled: bool
    last_login_at: datetime | None


class InvitedOut(UserOut):
    invitation_expires_at: datetime | None = Field(description="when the link stops working")
    invitation_sent: bool = Field(description="false when the e-mail could not be sent: re-send it")


class InvitationOut(BaseModel):
    expires_at: datetime
    sent: bool


class DeactivatedOut(BaseModel):
    user_id: uuid.UUID
    sessions_ended: int


class LinkOut(BaseModel):
    expires_at: datetime


def _grants(roles: list[GrantIn]) -> list[Grant]:
    return [Grant(g.role, g.house_id, g.property_id) for g in roles]


def _may_manage(p: Principal, roles: list[UserRole]) -> None:
    beyond = permissions_for(set(roles)) - p.permissions
    if beyond:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"your role does not allow giving or managing {', '.join(sorted(beyond))}",
        )


def _user_out(s: Session, user_id: uuid.UUID) -> UserOut:
    return _shown(staff.get_user(s, user_id), staff.grants_of(s, user_id))


def _shown(u: User, grants: list[Grant]) -> UserOut:
    return UserOut(
        id=u.id,
        email=u.email or "",
        first_name=u.first_name or "",
        last_name=u.last_name or "",
        status=u.status,
        roles=[GrantOut.model_validate(g) for g in grants],
        mfa_enabled=u.mfa_enabled,
        last_login_at=u.last_login_at,
    )


def _held_roles(s: Session, user_id: uuid.UUID) -> list[UserRole]:
    staff.get_user(s, user_id)
    return [g.role for g in staff.grants_of(s, user_id)]


async def _check_target(p: Principal, db: TenantDB, user_id: uuid.UUID) -> None:
    _may_manage(p, await db.run(_held_roles, user_id))


def _invite(
    s: Session, body: UserIn, key: str | None, by: uuid.UUID | None
) -> tuple[UserOut, Invitation | None, str | None]:
    user_id, replayed = uuid.uuid4(), False
    if key is not None:
        digest = idempotency.request_digest(body.model_dump(mode="json"))
        user_id, replayed = idempotency.claim(s, "setup-user", key, digest, user_id, by)
    if replayed:
        return _user_out(s, user_id), None, None
    data = NewUser(body.email, body.first_name, body.last_name, _grants(body.roles), body.phone)
    invitation = staff.invite(s, user_id, data, by, datetime.now(UTC))
    return _user_out(s, user_id), invitation, body.email


def _invitation_email(to: str, invitation: Invitation) -> Email:
    link = f"{get_settings().public_base_url}/v1/auth/invitations/{invitation.token}"
    until = invitation.expires_at.strftime("%B %d, %Y at %H:%M UTC")
    body = (
        "Hello,\n\n"
        "You have been given a staff account. Choose your password with this link:\n\n"
        f"{link}\n\n"
        f"The link works once and stops working on {until}. If you did not expect this message, "
        "ignore it.\n"
    )
    return Email((to,), "Your staff account", body, f"<invitation-{invitation.invitation_id}@recoveryos>")


async def _send(notifier: Notifier, to: str, invitation: Invitation) -> bool:
    try:
        await asyncio.to_thread(notifier.send_email, _invitation_email(to, invitation))
    except (OSError, smtplib.SMTPException) as exc:
        # The invitation is stored: staff re-send it once mail works again.
        log.warning("invitation e-mail not sent", extra={"error": type(exc).__name__})
        return False
    return True


@router.get(
    "/v1/users",
    response_model=PageOut[UserOut],
    responses=problem_responses(403, 422),
    summary="List staff users",
)
async def list_users(
    _: Manager, db: TenantDep, status: UserStatus | None = None, limit: Limit = 50, offset: Offset = 0
) -> PageOut[UserOut]:
    """The org's staff logins (residents' own logins are not listed), oldest first, paged, with
    their roles and scopes; `status` filters invited, active or disabled users."""

    def read(s: Session) -> PageOut[UserOut]:
        found = staff.users(s, status, limit, offset)
        grants = staff.grants_for(s, [u.id for u in found.items])
        return PageOut.of(found, lambda u: _shown(u, grants.get(u.id, [])))

    return await db.run(read)


@router.post(
    "/v1/users",
    status_code=201,
    response_model=InvitedOut,
    responses={**replayed_response(InvitedOut), **problem_responses(403, 404, 409, 422)},
    summary="Invite a user",
)
async def invite_user(
    body: UserIn,
    p: Manager,
    db: TenantDep,
    notifier: NotifierDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> InvitedOut:
    """Create a staff user with their roles (each org-wide, or limited to one house or one
    property) and e-mail them a one-time link to choose a password (valid 7 days). 200 with the
    same user, sending nothing, when this `Idempotency-Key` already invited them; 409 naming
    `email` when the address has an account; 403 for a role whose permissions you lack."""
    _may_manage(p, [g.role for g in body.roles])
    user, invitation, to = await db.run(_invite, body, idempotency_key, p.user_id)
    if invitation is None or to is None:
        response.status_code = 200
        return InvitedOut(**user.model_dump(), invitation_expires_at=None, invitation_sent=False)
    sent = await _send(notifier, to, invitation)
    return InvitedOut(**user.model_dump(), invitation_expires_at=invitation.expires_at, invitation_sent=sent)


@router.get(
    "/v1/users/{user_id}",
    response_model=UserOut,
    responses=problem_responses(403, 404),
    summary="Read a user",
)
async def get_user(user_id: uuid.UUID, _: Manager, db: TenantDep) -> UserOut:
    """One staff user with their status, roles and scopes; 404 for another org's."""
    return await db.run(_user_out, user_id)


@router.put(
    "/v1/users/{user_id}/roles",
    response_model=UserOut,
    responses=problem_responses(403, 404, 422),
    summary="Set a user's roles",
)
async def set_roles(user_id: uuid.UUID, body: RolesIn, p: Manager, db: TenantDep) -> UserOut:
    """Replace the user's roles and scopes. Their sessions see the change on their next
    request (roles and scope are resolved per request). 404 naming `house_id` or `property_id`
    for a scope that is not the org's."""
    await _check_target(p, db, user_id)
    _may_manage(p, [g.role for g in body.roles])

    def write(s: Session) -> UserOut:
        staff.set_grants(s, user_id, _grants(body.roles))
        return _user_out(s, user_id)

    return await db.run(write)


@router.post(
    "/v1/users/{user_id}/invitation",
    response_model=InvitationOut,
    responses=problem_responses(403, 404, 409),
    summary="Send a user a new invitation link",
)
async def resend_invitation(
    user_id: uuid.UUID, p: Manager, db: TenantDep, notifier: NotifierDep
) -> InvitationOut:
    """For a user who has not accepted yet: a new link by e-mail; earlier links stop working.
    409 when the user is active or disabled."""
    await _check_target(p, db, user_id)

    def write(s: Session) -> tuple[Invitation, str]:
        invitation = staff.reinvite(s, user_id, p.user_id, datetime.now(UTC))
        return invitation, staff.get_user(s, user_id).email or ""

    invitation, to = await db.run(write)
    return InvitationOut(expires_at=invitation.expires_at, sent=await _send(notifier, to, invitation))


@router.post(
    "/v1/users/{user_id}/deactivation",
    response_model=DeactivatedOut,
    responses=problem_responses(403, 404, 409),
    summary="Deactivate a user",
)
async def deactivate_user(user_id: uuid.UUID, p: Manager, db: TenantDep) -> DeactivatedOut:
    """Disable the user and end every session they have, in one transaction: their next
    request is a 401 and they cannot sign in until reactivated. Unused invitation links stop
    working. 409 naming `user_id` for yourself."""
    await _check_target(p, db, user_id)
    ended = await db.run(staff.deactivate, user_id, p.user_id)
    return DeactivatedOut(user_id=user_id, sessions_ended=ended)


@router.post(
    "/v1/users/{user_id}/reactivation",
    response_model=UserOut,
    responses=problem_responses(403, 404),
    summary="Reactivate a user",
)
async def reactivate_user(user_id: uuid.UUID, p: Manager, db: TenantDep) -> UserOut:
    """Let a deactivated user sign in again (a user who never chose a password goes back to
    invited: send them a new link). Nothing changes for a user who is not disabled."""
    await _check_target(p, db, user_id)

    def write(s: Session) -> UserOut:
        staff.reactivate(s, user_id)
        return _user_out(s, user_id)

    return await db.run(write)


def _link_db(token: str) -> TenantDB:
    org_id = staff.org_of(token)
    if org_id is None:
        raise NotFound("invitation not found", field="token")
    return TenantDB(None, lambda: tenant_session(org_id, None, actor_type="invitation_link"))


@router.get(
    "/v1/auth/invitations/{token}",
    response_model=LinkOut,
    responses=problem_responses(404, 409),
    summary="Check an invitation link",
)
async def check_invitation(token: str) -> LinkOut:
    """Whether the link can still be used (and until when): 404 for an unknown link, 409 for
    one already used, replaced or expired. No sign-in needed: the link is the credential."""
    state = await _link_db(token).run(staff.check_link, token)
    return LinkOut(expires_at=state.expires_at)


@router.post(
    "/v1/auth/invitations/{token}",
    status_code=204,
    responses=problem_responses(404, 409, 422),
    summary="Accept an invitation",
)
async def accept_invitation(token: str, body: AcceptIn) -> Response:
    """Choose the password (at least 12 characters) and activate the account; then sign in at
    `/v1/auth/token`. The link works once: a second use is 409 naming `token`."""
    await _link_db(token).run(staff.accept, token, body.password)
    return Response(status_code=204)
