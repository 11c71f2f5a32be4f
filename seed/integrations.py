"""The platform side: API keys, integrations, webhooks and deliveries, notification preferences,
scheduled jobs, sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from core.enums import (
    IntegrationProvider,
    JobStatus,
    MessageChannel,
    UserRole,
    WebhookDeliveryStatus,
)
from core.events import EventType
from models.integrations import (
    ApiKey,
    IntegrationConfig,
    NotificationPreference,
    ScheduledJob,
    Webhook,
    WebhookDelivery,
)
from models.users import UserSession
from seed.context import SeedContext, day_at
from services.webhooks import signing


def platform(ctx: SeedContext) -> None:
    _api_key(ctx)
    _webhooks(ctx)
    _integrations(ctx)
    _notification_preferences(ctx)
    _scheduled_jobs(ctx)
    _sessions(ctx)


def _api_key(ctx: SeedContext) -> None:
    key = secrets.token_hex(24)
    ctx.new(
        ApiKey,
        name="Accounting export",
        key_prefix=key[:8],
        key_hash=hashlib.sha256(key.encode()).digest(),
        scopes=["billing:read", "property:read"],
        last_used_at=day_at(-1, 6),
        expires_at=day_at(365, 0),
    )


def _webhooks(ctx: SeedContext) -> None:
    """The accounting system's webhook, delivered; the referral CRM's, failing and retried."""
    hooks = [
        ctx.new(
            Webhook,
            url=f"https://hooks.example.com/recoveryos/{ctx.slug}/billing",
            description="Accounting system",
            event_types=[EventType.PAYMENT_RECEIVED.value, EventType.INVOICE_ISSUED.value],
            secret=signing.new_secret(),
            last_success_at=day_at(-1, 10),
        ),
        ctx.new(
            Webhook,
            url=f"https://crm.example.org/webhooks/{ctx.slug}",
            description="Referral CRM",
            event_types=[EventType.RESIDENT_ADMITTED.value],
            secret=signing.new_secret(),
            failure_count=2,
        ),
    ]
    ctx.flush()
    for k, hook in enumerate(hooks):
        ok = k == 0
        event = (EventType.PAYMENT_RECEIVED if ok else EventType.RESIDENT_ADMITTED).value
        ctx.add(
            WebhookDelivery(
                id=ctx.nid(),
                org_id=ctx.org_id,
                webhook_id=hook.id,
                event_id=ctx.nid(),
                event_type=event,
                payload={"event": event, "org_id": str(ctx.org_id)},
                status=WebhookDeliveryStatus.DELIVERED if ok else WebhookDeliveryStatus.FAILED,
                attempt=1 if ok else 2,
                last_attempt_at=day_at(-1, 10),
                next_attempt_at=None if ok else day_at(0, 10),
                response_status=200 if ok else 503,
                delivered_at=day_at(-1, 10) if ok else None,
                latency_ms=180 if ok else 15000,
            )
        )


def _integrations(ctx: SeedContext) -> None:
    """Stripe in test mode; Twilio configured but off. Credentials are fresh secrets."""
    ctx.new(
        IntegrationConfig,
        provider=IntegrationProvider.STRIPE,
        config={"account_id": f"acct_demo{ctx.seed_value}", "mode": "test"},
        credentials={"api_key": "sk_test_" + secrets.token_hex(12)},
        is_enabled=True,
    )
    ctx.new(
        IntegrationConfig,
        provider=IntegrationProvider.TWILIO,
        config={"from_number": "+18285550100"},
        credentials={"account_sid": "AC" + secrets.token_hex(16), "auth_token": secrets.token_hex(16)},
        is_enabled=False,
    )


def _notification_preferences(ctx: SeedContext) -> None:
    """E-mail for the events each login cares about; announcements by text for the house
    manager only."""
    for role, user in ctx.users.items():
        events = (
            ["payment.due"] if role is UserRole.RESIDENT else ["incident.reported", "announcement.published"]
        )
        prefs = [(MessageChannel.EMAIL, ev, True) for ev in events]
        prefs.append((MessageChannel.SMS, "announcement.published", role is UserRole.HOUSE_MANAGER))
        for channel, ev, enabled in prefs:
            ctx.new(NotificationPreference, user_id=user.id, channel=channel, event_type=ev, enabled=enabled)


def _scheduled_jobs(ctx: SeedContext) -> None:
    for job, cron in [
        ("rent_invoicing", "0 6 * * 1"),
        ("consent_expiry", "0 2 * * *"),
        ("dunning", "0 9 * * *"),
    ]:
        ctx.new(
            ScheduledJob,
            job_type=job,
            temporal_schedule_id=f"{job}-{ctx.org_id}",
            cron=cron,
            status=JobStatus.SCHEDULED,
            last_run_at=day_at(-1, 6),
            next_run_at=day_at(1, 6),
            payload={"org_id": str(ctx.org_id)},
        )


def _sessions(ctx: SeedContext) -> None:
    """The owner and the house manager signed in; sessions expire from now, not the anchor."""
    now = datetime.now(UTC)
    for role in (UserRole.ORG_OWNER, UserRole.HOUSE_MANAGER):
        ctx.add(
            UserSession(
                id=ctx.nid(),
                org_id=ctx.org_id,
                user_id=ctx.users[role].id,
                token_hash=hashlib.sha256(secrets.token_urlsafe(32).encode()).digest(),
                expires_at=now + timedelta(hours=12),
                ip_address=ctx.p(f"203.0.113.{ctx.rng.randint(2, 250)}"),
                user_agent="RecoveryOS demo seed",
            )
        )
