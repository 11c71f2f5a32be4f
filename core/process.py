"""What every process shares: the actor on every message, workflow ids that carry the org,
and step presets for activities.

A workflow id is `<process>/<org_id>/<key>`. The API builds ids only from the authenticated
caller's org, so a caller can never name another org's workflow; the payload codec reads the
org back out of the id to pick that org's key.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError


@dataclass(frozen=True)
class Actor:
    """Who caused a message: org, user (None for the system) and the request that carried it.

    Never PHI: it rides in workflow inputs, updates and activity inputs.
    """

    org_id: uuid.UUID
    user_id: uuid.UUID | None = None
    request_id: str | None = None

    @classmethod
    def system(cls, org_id: uuid.UUID, request_id: str | None = None) -> Actor:
        return cls(org_id=org_id, user_id=None, request_id=request_id)


def workflow_id(process: str, org_id: uuid.UUID | str, key: str | uuid.UUID) -> str:
    if "/" in process or not process:
        raise ValueError(f"process name {process!r} must be non-empty and contain no '/'")
    return f"{process}/{uuid.UUID(str(org_id))}/{key}"


def org_of(wf_id: str) -> uuid.UUID | None:
    """The org a workflow id belongs to, or None for an id not built by `workflow_id`."""
    parts = wf_id.split("/", 2)
    if len(parts) != 3:
        return None
    try:
        return uuid.UUID(parts[1])
    except ValueError:
        return None


@dataclass(frozen=True)
class Step:
    """Timeouts and retries for one kind of activity, passed as `**STEP.options()`."""

    start_to_close: timedelta
    retry: RetryPolicy

    def options(self) -> dict[str, Any]:
        return {"start_to_close_timeout": self.start_to_close, "retry_policy": self.retry}


# A database transaction: short, retried with backoff while PostgreSQL restarts. Domain errors
# (NotFound, Conflict, Rejected) are non-retryable by construction.
DB_STEP = Step(
    timedelta(seconds=30),
    RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)),
)
# A call to a service outside our network (Stripe, mail, webhook receivers).
EXTERNAL_CALL = Step(
    timedelta(seconds=60),
    RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=5)),
)


@dataclass(frozen=True)
class Process:
    """A process family's name in workflow ids: `Process("intake").id(org, lead_id)`."""

    name: str

    def id(self, org_id: uuid.UUID | str, key: str | uuid.UUID) -> str:
        return workflow_id(self.name, org_id, key)


@dataclass(frozen=True)
class Wait:
    """The payload of an update that only waits for a milestone (e.g. "recorded")."""

    actor: Actor


@dataclass(frozen=True)
class Daily:
    """A per-org Temporal Schedule that starts one workflow a day, declared by its family in
    `registry.py`; `recoveryos schedules sync` creates or updates it for every active org.

    The schedule id is the workflow id (`process.id(org, key)`): a day's run and a catch-up
    after downtime can never run twice at once. At `hour:minute` in the org's timezone, or in
    UTC when `utc` (Stripe's day is UTC whatever the org's).
    """

    process: Process
    key: str
    run: Callable[..., Any]
    input: Callable[[Actor], Any]
    hour: int
    minute: int
    utc: bool = False

    def schedule_id(self, org_id: uuid.UUID) -> str:
        return self.process.id(org_id, self.key)

    def request_id(self) -> str:
        return f"schedule:{self.process.name}-{self.key}"


@dataclass(frozen=True)
class Weekly:
    """A per-house Temporal Schedule that starts one workflow a week, declared by its family in
    `registry.py` beside the daily ones; `recoveryos schedules sync` creates or updates it for
    every house of every active org (house operations: a chore rotation, a meeting check).

    The schedule id is `process.id(org, "<key>-<house_id>")` (a house id is no PHI). At
    `hour:minute` on `weekday` (0 = Monday) in the org's timezone. `input(actor, house_id)`
    builds the workflow's input.
    """

    process: Process
    key: str
    run: Callable[..., Any]
    input: Callable[[Actor, uuid.UUID], Any]
    weekday: int
    hour: int
    minute: int

    def schedule_id(self, org_id: uuid.UUID, house_id: uuid.UUID) -> str:
        return self.process.id(org_id, f"{self.key}-{house_id}")

    def request_id(self) -> str:
        return f"schedule:{self.process.name}-{self.key}"


def answer_for_waiters(err: ActivityError) -> ApplicationError:
    """What an update still waiting on a run answers when the step the run failed on failed:
    the activity's own domain error (its type, message and details, so the API answers as it
    would had it raised it itself), not a closed run that the caller cannot tell apart from a
    missing one."""
    cause = err.cause
    if isinstance(cause, ApplicationError):
        return ApplicationError(cause.message, *cause.details, type=cause.type, non_retryable=True)
    return ApplicationError("the request could not be completed", type="Conflict", non_retryable=True)
