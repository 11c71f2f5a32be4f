"""Webhook endpoints as staff set them up: reference data, plain CRUD under row-level security.

The signing secret is shown once, when it is made (registration or rotation), and kept only
encrypted. A rotation keeps the previous secret signing beside the new one until the overlap
ends, so receivers can switch without losing a delivery. Whether a URL may be called at all
is the egress policy's question (core/egress.py), asked by the route before anything is
written and again by every delivery.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.events import EventType
from models.integrations import Webhook
from services import events
from services.webhooks.signing import new_secret


def get(session: Session, webhook_id: uuid.UUID) -> Webhook:
    hook = session.get(Webhook, webhook_id)
    if hook is None or hook.deleted_at is not None:
        raise NotFound(f"webhook {webhook_id} not found", field="webhook_id")
    return hook


def listing(session: Session, api_key_id: uuid.UUID | None = None) -> list[Webhook]:
    """The live endpoints; only those a partner's key registered when `api_key_id` is given."""
    stmt = select(Webhook).where(Webhook.deleted_at.is_(None))
    if api_key_id is not None:
        stmt = stmt.where(Webhook.api_key_id == api_key_id)
    return list(session.scalars(stmt.order_by(Webhook.created_at, Webhook.id)))


def owned(session: Session, webhook_id: uuid.UUID, api_key_id: uuid.UUID) -> Webhook:
    """An endpoint the key registered; any other is as unknown as one that never existed."""
    hook = get(session, webhook_id)
    if hook.api_key_id != api_key_id:
        raise NotFound(f"webhook {webhook_id} not found", field="webhook_id")
    return hook


def create(
    session: Session,
    url: str,
    event_types: Sequence[EventType],
    description: str | None,
    user_id: uuid.UUID | None,
    api_key_id: uuid.UUID | None = None,
) -> tuple[Webhook, str]:
    """A new, active endpoint and its secret (the only time it is readable); a partner's
    when `api_key_id` registered it. It starts at the outbox's current end: an endpoint gets
    what happens after it exists."""
    secret = new_secret()
    hook = Webhook(
        id=uuid.uuid4(),
        org_id=session.info["actor"]["org_id"],
        url=url,
        description=description,
        event_types=[t.value for t in event_types],
        secret=secret,
        is_active=True,
        failure_count=0,
        created_by=user_id,
        updated_by=user_id,
        api_key_id=api_key_id,
    )
    start = events.end(session)
    hook.position_tx, hook.position_seq = start.tx, start.seq
    session.add(hook)
    session.flush()
    return hook, secret


def change(
    session: Session,
    webhook_id: uuid.UUID,
    user_id: uuid.UUID | None,
    *,
    url: str | None = None,
    event_types: Sequence[EventType] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> Webhook:
    """Change what was given. Enabling again clears why it was disabled and resumes delivery
    where it stopped (the stored position); disabling by staff stops it at the next event."""
    hook = get(session, webhook_id)
    if url is not None:
        hook.url = url
    if event_types is not None:
        hook.event_types = [t.value for t in event_types]
    if description is not None:
        hook.description = description
    if is_active is True and not hook.is_active:
        hook.is_active, hook.disabled_at, hook.disabled_reason = True, None, None
        hook.failing_since, hook.failure_count = None, 0
    elif is_active is False and hook.is_active:
        hook.is_active, hook.disabled_reason = False, "staff"
        hook.disabled_at = _now(session)
    hook.updated_by = user_id
    return hook


def delete(session: Session, webhook_id: uuid.UUID, user_id: uuid.UUID | None) -> None:
    hook = get(session, webhook_id)
    hook.deleted_at, hook.is_active, hook.updated_by = _now(session), False, user_id


def rotate(session: Session, webhook_id: uuid.UUID, overlap: timedelta, user_id: uuid.UUID | None) -> str:
    """A new secret (returned once); the current one keeps signing for `overlap`."""
    hook = get(session, webhook_id)
    secret = new_secret()
    if overlap > timedelta(0):
        hook.previous_secret = hook.secret
        hook.previous_secret_expires_at = _now(session) + overlap
    else:
        hook.previous_secret, hook.previous_secret_expires_at = None, None
    hook.secret = secret
    hook.updated_by = user_id
    return secret


def signing_secrets(hook: Webhook, at: datetime) -> list[str]:
    """The secrets that sign an attempt at `at`: the current one, and the previous one while
    its overlap lasts."""
    assert hook.secret is not None
    out = [hook.secret]
    expires = hook.previous_secret_expires_at
    if hook.previous_secret is not None and expires is not None and at < expires:
        out.append(hook.previous_secret)
    return out


def _now(session: Session) -> datetime:
    """The transaction's time, as every other timestamp of the row."""
    now = session.scalar(select(func.now()))
    assert now is not None
    return now
