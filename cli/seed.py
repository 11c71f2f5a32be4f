"""`recoveryos seed`: create the demo organisation for one seed value, once."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pyotp

import models
import registry
from core.bootstrap import current_revision
from core.config import get_settings
from core.db import tenant_session
from core.enums import UserRole
from core.permissions import ROLE_TITLES, SECOND_FACTOR_ROLES
from models.orgs import Organization
from seed import SeedResult, demo_org_id, demo_password, seed_org
from seed.context import demo_totp_secret
from services.billing import links


def _print_logins(slug: str, seed_value: int) -> None:
    """One line per demo user, with the TOTP secret of those who must give a second factor
    (type it into an authenticator app, or open the otpauth:// URI printed below)."""
    width = max(len(t) for t in ROLE_TITLES.values())
    print(f"  {'role':<20} {'title':<{width}}  {'email':<40}  second factor (TOTP secret)")
    print(f"  {'-' * 20} {'-' * width}  {'-' * 40}  {'-' * 32}")
    uris = []
    for role in UserRole:
        email = f"{role.value}@{slug}.example.com"
        secret = demo_totp_secret(seed_value, role) if role in SECOND_FACTOR_ROLES else ""
        print(f"  {role.value:<20} {ROLE_TITLES[role]:<{width}}  {email:<40}  {secret}".rstrip())
        if secret:
            uris.append(pyotp.TOTP(secret, issuer=get_settings().mfa_issuer).provisioning_uri(name=email))
    print()
    print(f"  password for every user: {demo_password(seed_value)}")
    print("  authenticator links for the users with a second factor:")
    for uri in uris:
        print(f"    {uri}")


def _print_summary(result: SeedResult, name: str, slug: str, seed_value: int) -> None:
    print(f"Seeded demo organisation {name!r} (slug {slug}, id {result.org_id}) in {result.seconds:.1f}s")
    print()
    _print_logins(slug, seed_value)
    print()
    # The audit outbox is empty by now: the seed chained its events.
    tenant_tables = [
        t.name for t in models.metadata.sorted_tables if "org_id" in t.c and t.name != "audit_events"
    ]
    covered = sum(1 for t in tenant_tables if result.counts.get(t, 0) > 0)
    total = sum(result.counts.values())
    print(
        f"  {total} rows in {len([c for c in result.counts.values() if c])} tables "
        f"({covered}/{len(tenant_tables)} tenant tables + organizations):"
    )
    items = [f"{t} {n}" for t, n in sorted(result.counts.items())]
    col = max(len(i) for i in items) + 2
    per_line = max(1, 100 // col)
    for k in range(0, len(items), per_line):
        print("    " + "".join(i.ljust(col) for i in items[k : k + per_line]).rstrip())


def _print_payment_link(org_id: uuid.UUID) -> None:
    """A seeded resident's payment page, so a newcomer can open it and pay (localstripe or
    Stripe test mode). The link is signed now and expires like any other."""
    settings = get_settings()
    with tenant_session(org_id, actor_type="system") as s:
        invoice_id = links.payable_invoice(s)
    if invoice_id is not None:
        url = links.payment_link_url(settings.public_base_url, org_id, invoice_id, datetime.now(UTC))
        print(f"\n  a resident's payment link (open invoice {invoice_id}):\n    {url}")


def seed(scale: int, seed_value: int) -> int:
    """Create the demo org of `seed_value` unless it exists (its id is derived from the value)."""
    settings = get_settings()
    if settings.environment == "production":
        print("refusing to seed demo data: RECOVERYOS_ENVIRONMENT is production")
        return 2
    if scale < 1:
        print("--scale must be at least 1")
        return 2
    if current_revision() is None:
        print("the database is not migrated: run `recoveryos migrate` (`recoveryos dev` migrates on start)")
        return 2
    org_id = demo_org_id(seed_value)
    slug = f"demo-{seed_value}"
    name = f"Demo Recovery Residences (seed {seed_value})"
    with tenant_session(org_id, actor_type="system") as s:
        existing = s.get(Organization, org_id)
        existing_slug = existing.slug if existing is not None else None
    if existing_slug is not None:
        print(
            f"demo organisation for seed {seed_value} is already seeded "
            f"(slug {existing_slug}, id {org_id}).\n"
            f"For a second demo organisation run `recoveryos seed --seed {seed_value + 1}`.\n"
        )
        _print_logins(existing_slug, seed_value)
        _print_payment_link(org_id)
        _schedule(org_id)
        return 0
    result = seed_org(org_id, registry.seed_story(), scale=scale, seed_value=seed_value, name=name, slug=slug)
    _print_summary(result, name, slug, seed_value)
    _print_payment_link(org_id)
    _schedule(org_id)
    return 0


def _schedule(org_id: uuid.UUID) -> None:
    """The new org's daily Schedules and its houses' weekly ones (every family's, registry.py),
    so they fire without a separate `recoveryos schedules sync` (when a Temporal is there)."""
    from cli.schedules import sync, sync_houses
    from core.temporal import connect

    if not get_settings().temporal_address:
        print("\n  schedules: no Temporal running; `recoveryos schedules sync` creates them later")
        return

    async def go() -> tuple[tuple[int, int], tuple[int, int]]:
        client = await asyncio.wait_for(connect(), timeout=15)
        with tenant_session(org_id, actor_type="system") as s:
            org = s.get(Organization, org_id)
            assert org is not None
            tz = org.timezone
        daily = await sync(client, [(org_id, tz)])
        # Each house's weekly chore rotation and meeting check.
        weekly = await sync_houses(client, [(org_id, tz)])
        return daily, weekly

    try:
        # Its own thread: a caller may already run an event loop in this one (a test, a notebook).
        with ThreadPoolExecutor(1) as pool:
            (created, updated), (w_created, w_updated) = pool.submit(asyncio.run, go()).result()
    except (RuntimeError, TimeoutError, OSError) as exc:
        print(
            f"\n  schedules: Temporal did not answer ({type(exc).__name__}); run `recoveryos schedules sync`"
        )
        return
    daily_names = ", ".join(f"{d.process.name} {d.key}" for d in registry.schedules())
    weekly_names = ", ".join(f"{w.process.name} {w.key}" for w in registry.weekly_schedules())
    print(f"\n  schedules: {created} created, {updated} brought up to date ({daily_names})")
    print(f"  house schedules: {w_created} created, {w_updated} brought up to date ({weekly_names})")
