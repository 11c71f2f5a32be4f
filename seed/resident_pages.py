"""The demo resident's one-time sign-in link from yesterday, already used (the token itself is
not kept anywhere: a seeded link can never sign anyone in)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from core.enums import UserRole
from models.users import SignInLink
from seed.context import SeedContext, day_at


def sign_in_links(ctx: SeedContext) -> None:
    sent = day_at(-1, 19)
    ctx.new(
        SignInLink,
        user_id=ctx.users[UserRole.RESIDENT].id,
        # A digest of nothing anyone holds.
        token_hash=hashlib.sha256(f"seed-used-link-{ctx.org_id}".encode()).digest(),
        channel="email",
        created_at=sent,
        expires_at=sent + timedelta(minutes=15),
        used_at=sent + timedelta(minutes=2),
    )
