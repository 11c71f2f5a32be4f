"""The base of every activity class: dependencies injected once by the worker, and one way
to open a tenant transaction that attributes its audit rows to the calling process."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from temporalio import activity

from core.config import get_settings
from core.db import tenant_session
from core.egress import Egress
from core.errors import conflict_from_integrity
from core.filestore import FileStore, file_store_from_settings
from core.notify import Notifier, RecordingNotifier
from core.process import Actor
from core.stripe_gateway import StripeGateway


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    """What activities may use. Built once in the worker; tests build their own."""

    engine: Engine
    clock: Callable[[], datetime] = utc_now
    # Document files (signed PDFs, certificates): local or S3 by configuration.
    files: FileStore = field(default_factory=file_store_from_settings)
    # Where signing links go (e-mail/SMS plug in here).
    notifier: Notifier = field(default_factory=RecordingNotifier)
    # None when no Stripe key is configured: card payments then fail with a clear error.
    stripe: StripeGateway | None = None
    # Outbound HTTP to customers' URLs (webhook receivers) under the SSRF guard.
    egress: Egress = field(default_factory=lambda: Egress.from_settings(get_settings()))
    extra: dict[str, Any] = field(default_factory=dict)


class SendProgress:
    """What this activity already sent, kept in its heartbeat details: a retry after a part went
    out (an e-mail sent, then the text gateway failed) skips that part. The first heartbeat
    reaches the server at once; Temporal hands the last details to the next attempt."""

    def __init__(self) -> None:
        details = activity.info().heartbeat_details
        self.done: set[str] = set(details[0]) if details else set()

    def sent(self, ident: str) -> None:
        self.done.add(ident)
        activity.heartbeat(sorted(self.done))


class TenantActivities:
    """Subclass per process family; decorate methods with `@activity.defn`."""

    def __init__(self, deps: Deps) -> None:
        self.engine = deps.engine
        self.clock = deps.clock
        self.stripe = deps.stripe

    @contextmanager
    def session(self, actor: Actor) -> Iterator[Session]:
        """One transaction in the actor's org; a collision a user can cause is a Conflict."""
        info = activity.info()
        process = {
            "workflow_type": info.workflow_type or "",
            "workflow_id": info.workflow_id or "",
            "run_id": info.workflow_run_id or "",
            "activity": info.activity_type,
        }
        try:
            with tenant_session(
                actor.org_id,
                actor.user_id,
                actor_type=f"workflow:{info.workflow_type}",
                request_id=actor.request_id,
                process=process,
                engine=self.engine,
            ) as s:
                yield s
        except IntegrityError as exc:
            conflict = conflict_from_integrity(exc)
            if conflict is None:
                raise
            raise conflict from None

    def methods(self) -> list[Callable[..., Any]]:
        """The bound activity methods to register on a worker."""
        return [
            m
            for _, m in inspect.getmembers(self, inspect.ismethod)
            if getattr(m, "__temporal_activity_definition", None) is not None
        ]
