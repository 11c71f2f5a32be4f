"""API keys, outbound webhooks, provider integrations, notification settings, background jobs.

Secrets (webhook signing secrets, provider credentials) are encrypted; API keys are stored only
as a SHA-256 hash plus a short plaintext prefix used to find the row.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import IntegrationProvider, JobStatus, MessageChannel, WebhookDeliveryStatus
from models.base import (
    AuditColumnsMixin,
    Base,
    Encrypted,
    IdMixin,
    SoftDeleteMixin,
    TenantMixin,
    encrypted_column,
    pg_enum,
)

if TYPE_CHECKING:
    from models.users import User

LIVE = text("deleted_at IS NULL")
EMPTY_LIST = text("'[]'::jsonb")
EMPTY_OBJECT = text("'{}'::jsonb")


class ApiKey(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    __tablename__ = "api_keys"

    name: Mapped[str]
    # The 8 characters after `rok_`: find the row before the hash is compared.
    key_prefix: Mapped[str]
    # SHA-256 of the full key; the key itself is shown once and never stored.
    key_hash: Mapped[bytes]
    scopes: Mapped[list[Any]] = mapped_column(default=list, server_default=EMPTY_LIST)
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # Calls per minute; the current one-minute window and its count (auth_api_key, 0022).
    rate_limit_per_minute: Mapped[int] = mapped_column(Integer, default=600, server_default=text("600"))
    window_started_at: Mapped[datetime | None]
    window_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    __table_args__ = (
        # Platform-wide and not partial: the key arrives before the org is known, and a
        # prefix is never reused even after its key is deleted.
        UniqueConstraint("key_prefix", name="uq_api_keys_key_prefix"),
        Index(
            "ix_api_keys_org_active",
            "org_id",
            "name",
            postgresql_where=text("revoked_at IS NULL AND deleted_at IS NULL"),
        ),
        # Keys about to expire (rotation reminders).
        Index(
            "ix_api_keys_org_expires",
            "org_id",
            "expires_at",
            postgresql_where=text("expires_at IS NOT NULL AND revoked_at IS NULL AND deleted_at IS NULL"),
        ),
        CheckConstraint("char_length(key_prefix) = 8", name="key_prefix_length"),
        CheckConstraint("octet_length(key_hash) = 32", name="key_hash_length"),
        CheckConstraint("jsonb_typeof(scopes) = 'array'", name="scopes_is_array"),
        CheckConstraint("rate_limit_per_minute BETWEEN 1 AND 100000", name="rate_limit_positive"),
    )


class Webhook(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    __tablename__ = "webhooks"

    url: Mapped[str]
    description: Mapped[str | None]
    # e.g. ["payment.succeeded", "resident.admitted"]
    event_types: Mapped[list[Any]] = mapped_column(default=list, server_default=EMPTY_LIST)
    # ENCRYPTED: HMAC signing secret shared with the receiver
    secret_ct: Mapped[bytes] = encrypted_column("secret", nullable=False)
    secret = Encrypted(str)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Consecutive failures; the endpoint is disabled past a threshold.
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    last_success_at: Mapped[datetime | None]
    # ENCRYPTED: the secret before the last rotation; it signs too until the overlap ends.
    previous_secret_ct: Mapped[bytes | None] = encrypted_column("previous_secret")
    previous_secret = Encrypted(str)
    previous_secret_expires_at: Mapped[datetime | None]
    # The last outbox position delivered (services/events.py): any worker continues from here.
    position_tx: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    position_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    # When the event at the head of this endpoint's feed first failed; None while healthy.
    failing_since: Mapped[datetime | None]
    # Since when its delivery has found nothing to send and waits (None: it is sending): the
    # worker's waker pokes such endpoints when their org's outbox grows (core/outbox_waker.py).
    idle_since: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    # "gone" (the receiver answered 410), "failing" (failed for too long), "staff".
    disabled_reason: Mapped[str | None]
    # The referral partner's key that registered it (api/routes/partners.py); it delivers only
    # while that key is live. None: staff registered it.
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))

    deliveries: Mapped[list[WebhookDelivery]] = relationship(back_populates="webhook")

    __table_args__ = (
        Index(
            "ix_webhooks_org_active",
            "org_id",
            postgresql_where=text("is_active AND deleted_at IS NULL"),
        ),
        # Endpoints that are failing (integration health page, auto-disable job).
        Index(
            "ix_webhooks_org_failing",
            "org_id",
            "failure_count",
            postgresql_where=text("failure_count > 0 AND deleted_at IS NULL"),
        ),
        Index(
            "ix_webhooks_org_api_key", "org_id", "api_key_id", postgresql_where=text("api_key_id IS NOT NULL")
        ),
        # What the outbox's trigger asks of every inserted event: has its org an idle endpoint?
        Index(
            "ix_webhooks_org_idle",
            "org_id",
            postgresql_where=text("idle_since IS NOT NULL AND is_active AND deleted_at IS NULL"),
        ),
        # HTTPS outside local mode and allow-listed receivers is the API's rule (README "Webhooks").
        CheckConstraint("url ~ '^https?://'", name="url_http_or_https"),
        CheckConstraint("failure_count >= 0", name="failure_count_nonnegative"),
        CheckConstraint("jsonb_typeof(event_types) = 'array'", name="event_types_is_array"),
    )


class WebhookDelivery(IdMixin, TenantMixin, Base):
    """One attempt to send one event to one webhook: a retry or a replay is a new row. Rows
    are never deleted. The id comes from the delivering workflow, so a retried write is one row."""

    __tablename__ = "webhook_deliveries"

    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID]
    event_type: Mapped[str]
    # ENCRYPTED: payloads are meant to carry ids only, but encrypt in case one carries more
    payload_ct: Mapped[bytes] = encrypted_column("payload", nullable=False)
    payload = Encrypted(dict)
    status: Mapped[WebhookDeliveryStatus] = mapped_column(
        pg_enum(WebhookDeliveryStatus), default=WebhookDeliveryStatus.PENDING
    )
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    response_status: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    # ENCRYPTED: the first bytes of the receiver's answer (it may echo anything back).
    response_body_ct: Mapped[bytes | None] = encrypted_column("response_body")
    response_body = Encrypted(str)
    # Why no answer counted: "timeout", "connection refused", "refused: private address"...
    error: Mapped[str | None]
    # Sent again on staff's request (not the feed's own attempt).
    replay: Mapped[bool] = mapped_column(default=False, server_default=text("false"))

    webhook: Mapped[Webhook] = relationship(back_populates="deliveries")

    __table_args__ = (
        Index("ix_webhook_deliveries_org_webhook_event", "org_id", "webhook_id", "event_id"),
        # Dispatcher queue: due retries.
        Index(
            "ix_webhook_deliveries_org_due",
            "org_id",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'failed')"),
        ),
        Index("ix_webhook_deliveries_org_webhook_time", "org_id", "webhook_id", "created_at"),
        CheckConstraint("attempt >= 0", name="attempt_nonnegative"),
        CheckConstraint(
            "response_status IS NULL OR response_status BETWEEN 100 AND 599", name="response_status_http"
        ),
        CheckConstraint(
            "status <> 'delivered' OR delivered_at IS NOT NULL", name="delivered_has_delivered_at"
        ),
    )


class IntegrationConfig(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    __tablename__ = "integration_configs"

    provider: Mapped[IntegrationProvider] = mapped_column(pg_enum(IntegrationProvider))
    # Non-secret settings (account id, sender number, feature flags).
    config: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=EMPTY_OBJECT)
    # ENCRYPTED: API keys / OAuth tokens for the provider
    credentials_ct: Mapped[bytes | None] = encrypted_column("credentials")
    credentials = Encrypted(dict)
    is_enabled: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        Index(
            "uq_integration_configs_org_provider_live",
            "org_id",
            "provider",
            unique=True,
            postgresql_where=LIVE,
        ),
        Index(
            "ix_integration_configs_org_enabled",
            "org_id",
            postgresql_where=text("is_enabled AND deleted_at IS NULL"),
        ),
        CheckConstraint("jsonb_typeof(config) = 'object'", name="config_is_object"),
    )


class NotificationPreference(IdMixin, TenantMixin, AuditColumnsMixin, Base):
    """Per user, channel and event type: whether to notify. Missing row = the event's default."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[MessageChannel] = mapped_column(pg_enum(MessageChannel))
    # A notification kind (services/notifications.py), e.g. "message.received"; "*" is the
    # user's setting for every kind on this channel.
    event_type: Mapped[str]
    enabled: Mapped[bool] = mapped_column(default=True)
    # Quiet hours in the user's own time zone (on the "*" row): nothing is sent from start to
    # end (across midnight when end < start).
    quiet_start: Mapped[time | None]
    quiet_end: Mapped[time | None]
    time_zone: Mapped[str | None]

    user: Mapped[User] = relationship(back_populates="notification_preferences")

    __table_args__ = (
        UniqueConstraint(
            "user_id", "channel", "event_type", name="uq_notification_preferences_user_channel_event"
        ),
        # Fan-out: who has opted out of this event (org-wide).
        Index("ix_notification_preferences_org_event", "org_id", "event_type", "channel"),
    )


class ScheduledJob(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A recurring background job backed by a Temporal schedule."""

    __tablename__ = "scheduled_jobs"

    # e.g. "rent_invoicing", "consent_expiry", "dunning"
    job_type: Mapped[str]
    temporal_schedule_id: Mapped[str | None]
    cron: Mapped[str | None]
    status: Mapped[JobStatus] = mapped_column(pg_enum(JobStatus), default=JobStatus.SCHEDULED)
    last_run_at: Mapped[datetime | None]
    next_run_at: Mapped[datetime | None]
    # Ids and settings only, never PHI.
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=EMPTY_OBJECT)

    __table_args__ = (
        Index(
            "ix_scheduled_jobs_org_status_next_live", "org_id", "status", "next_run_at", postgresql_where=LIVE
        ),
        Index("ix_scheduled_jobs_org_type_live", "org_id", "job_type", postgresql_where=LIVE),
        Index(
            "uq_scheduled_jobs_temporal_schedule_live",
            "temporal_schedule_id",
            unique=True,
            postgresql_where=text("temporal_schedule_id IS NOT NULL AND deleted_at IS NULL"),
        ),
        CheckConstraint("jsonb_typeof(payload) = 'object'", name="payload_is_object"),
    )


class IdempotencyRecord(IdMixin, TenantMixin, Base):
    """An `Idempotency-Key` a client sent with a POST that starts a process.

    The same key (per org and scope) always names the same resource, so a client's retry after
    a timeout or a 202 reaches the process it already started instead of starting a second one;
    the request digest lets a reused key with a different body be refused.
    """

    __tablename__ = "idempotency_keys"

    scope: Mapped[str]  # the process family, e.g. "intake"
    key: Mapped[str]
    request_digest: Mapped[bytes]  # SHA-256 of the canonical request body
    resource_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    created_by: Mapped[uuid.UUID | None]

    __table_args__ = (
        UniqueConstraint("org_id", "scope", "key"),
        CheckConstraint("length(key) BETWEEN 1 AND 255", name="key_length"),
    )
