"""The demo organisation: one module per process family, each telling its part of the story
through factories (`seed.factories`, the shapes of its rows) and the domain code the processes
run (ledger postings through `services.ledger`, leads through `services.intake`, idempotency keys
and workflow-owned statuses through `services.billing`).

Everything is written in one `tenant_session` as `recoveryos_app`, so row-level security,
the audit-column triggers, the balanced-journal trigger and the audit chain apply exactly as
they do for the application. Secrets (API keys, session and signing-link tokens, webhook
secrets) come from `secrets`, never from the seed value: a demo database must not hand out
predictable credentials.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from core.audit_sealer import seal_pending
from core.db import tenant_session
from core.enums import UserRole
from core.passwords import hash_password
from models.audit import AuditEvent, AuditLog
from models.bed_board import BedBoardSnapshot, BedBoardSnapshotHouse, BedBoardVersion
from models.events import DomainEvent
from seed.context import SeedContext
from seed.story import Step
from services.bed_board import board_json

# Fixed namespace for the CLI's demo org id: uuid5(DEMO_NAMESPACE, "recoveryos-demo-<seed>").
DEMO_NAMESPACE = uuid.UUID("6f1c9a2e-4b7d-4e15-9a0c-2d8e5b3f7a41")


@dataclass
class SeedResult:
    org_id: uuid.UUID
    users: dict[UserRole, tuple[uuid.UUID, str]]
    password: str
    phi: list[str]
    counts: dict[str, int]
    seconds: float = 0.0


def demo_org_id(seed_value: int) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, f"recoveryos-demo-{seed_value}")


def demo_password(seed_value: int) -> str:
    return f"recovery-demo-{seed_value}"


def seed_org(
    org_id: uuid.UUID,
    story: Sequence[Step],
    *,
    scale: int = 1,
    seed_value: int = 42,
    name: str | None = None,
    slug: str | None = None,
) -> SeedResult:
    """Create one fully populated demo organisation with id `org_id`, telling `story` (every
    family's steps, in order: `registry.seed_story()`)."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    started = time.monotonic()
    slug = slug or f"demo-{org_id.hex[:8]}"
    name = name or f"Blue Heron Recovery Residences ({slug})"
    password = demo_password(seed_value)
    with tenant_session(org_id, actor_type="system") as s:
        ctx = SeedContext(
            s,
            org_id,
            scale=scale,
            seed_value=seed_value,
            name=name,
            slug=slug,
            password_hash=hash_password(password),
        )
        for step in story:
            step.run(ctx)
        ctx.flush()
    counts = dict(ctx.counts)
    counts["organizations"] = 1
    # Today's bed board, built once as the first reader would: the demo's copy (migration 0013).
    with tenant_session(org_id, actor_type="system") as s:
        board_json(s, datetime.now(UTC).date())
        # The events the services emitted while the story ran (the outbox, migration 0019).
        for written in (BedBoardVersion, BedBoardSnapshot, BedBoardSnapshotHouse, DomainEvent):
            counts[written.__tablename__] = int(s.scalar(select(func.count()).select_from(written)) or 0)
    # The demo's audit trail is chained before it is reported, not a second later by the worker.
    seal_pending(org_id)
    with tenant_session(org_id, actor_type="system") as s:
        for model in (AuditLog, AuditEvent):
            counts[model.__tablename__] = int(s.scalar(select(func.count()).select_from(model)) or 0)
    return SeedResult(
        org_id=org_id,
        users={role: (u.id, ctx.emails[role]) for role, u in ctx.users.items()},
        password=password,
        phi=list(ctx.phi),
        counts=dict(sorted(counts.items())),
        seconds=time.monotonic() - started,
    )
