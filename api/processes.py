"""The API's only door to Temporal.

Routes name a process family and a key; this module builds the workflow id from the
authenticated caller's org (so no caller can address another org's workflow: B asking for A's
lead reaches `intake/<B>/<lead>`, which does not exist, and A's history never sees B), picks the
task queue and the search attributes, starts with update-with-start, bounds the wait, and turns
"no worker answered in time" into a 202 with an `Accepted` body.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.types import MethodAsyncSingleParam, MethodSyncOrAsyncNoParam, MethodSyncOrAsyncSingleParam
from temporalio.workflow import UpdateMethodMultiParam

from api.auth import Principal
from api.deps import CurrentUser, temporal_client
from core.config import get_settings
from core.db import tenant_session
from core.errors import Conflict, NotFound
from core.process import Actor, Process
from core.temporal import org_attributes
from services import idempotency

R = TypeVar("R")
W = TypeVar("W")  # the workflow class
A = TypeVar("A")  # a message's payload

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=idempotency.HEADER,
        min_length=1,
        max_length=255,
        description="Retry-safe creation: the same key from the same org returns the same resource.",
    ),
]


class Accepted(BaseModel):
    """The process was started but has not reached the step the caller waits for yet."""

    id: uuid.UUID = Field(description="the resource's id: GET it shortly")
    workflow_id: str
    status: Literal["accepted"] = "accepted"
    detail: str = "accepted; the process is still running, retry the GET shortly"


class StillRunning(Exception):
    """Raised when the bounded wait ends; the API answers 202 with `accepted`."""

    def __init__(self, accepted: Accepted) -> None:
        super().__init__(accepted.detail)
        self.accepted = accepted


def install(app: FastAPI) -> None:
    """A step still running when the bounded wait ends is a 202 naming how to follow it."""

    @app.exception_handler(StillRunning)
    async def still_running(request: Request, exc: StillRunning) -> JSONResponse:
        return JSONResponse(status_code=202, content=exc.accepted.model_dump(mode="json"))


def start_responses(created: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI answers of a POST that starts a process, besides its 201."""
    return {
        200: {
            "model": created,
            "description": "Created earlier with this Idempotency-Key",
        },
        202: {"model": Accepted, "description": "Accepted; the process finishes the step shortly"},
    }


@dataclass(frozen=True)
class ProcessConfig:
    task_queue: str
    wait_seconds: float
    search_attributes: bool


def process_config(request: Request) -> ProcessConfig:
    s = get_settings()
    return ProcessConfig(s.task_queue, s.process_wait_seconds, bool(request.app.state.search_attributes))


class Processes:
    """Bound to one caller: every id it builds carries the caller's org."""

    def __init__(
        self, client: Client, principal: Principal | None, config: ProcessConfig, actor: Actor | None = None
    ) -> None:
        self._client = client
        self._principal = principal
        self._config = config
        if principal is not None:
            actor = Actor(principal.org_id, principal.user_id, principal.request_id)
        assert actor is not None, "a principal or an actor"
        self.actor = actor

    @classmethod
    def for_link(cls, client: Client, actor: Actor, config: ProcessConfig) -> Processes:
        """For callers that are not users (a signing or payment link, a Stripe webhook): the org
        comes from the checked token or event and the system is the actor. There is no user's
        transaction to record an Idempotency-Key in, so `claim` is not available."""
        return cls(client, None, config, actor)

    def workflow_id(self, process: Process, key: uuid.UUID | str) -> str:
        return process.id(self.actor.org_id, key)

    async def claim(self, scope: Process, key: str | None, body: BaseModel) -> tuple[uuid.UUID, bool]:
        """The resource id for a create: new, or the one an earlier request with this
        Idempotency-Key got (then `replayed` is True)."""
        new_id = uuid.uuid4()
        if key is None:
            return new_id, False
        return await asyncio.to_thread(self._claim, scope.name, key, body.model_dump(mode="json"), new_id)

    def _claim(self, scope: str, key: str, body: Any, new_id: uuid.UUID) -> tuple[uuid.UUID, bool]:
        p = self._principal
        assert p is not None, "only an authenticated caller claims idempotency keys"
        with tenant_session(p.org_id, p.user_id, request_id=p.request_id, source_ip=p.source_ip) as s:
            return idempotency.claim(s, scope, key, idempotency.request_digest(body), new_id, p.user_id)

    async def start(
        self,
        process: Process,
        key: uuid.UUID,
        run: MethodAsyncSingleParam[W, Any, Any],
        arg: Any,
        *,
        update: UpdateMethodMultiParam[[Any, A], R],
        update_arg: A,
    ) -> R | None:
        """Start the workflow (or attach to the one already running under this id) and wait,
        boundedly, for `update` to answer; StillRunning (→ 202) when it does not in time.

        None when the workflow under this id has already finished: a replayed create whose
        process is over must not start the process a second time."""
        wf_id = self.workflow_id(process, key)
        op = WithStartWorkflowOperation(
            run,
            arg,
            id=wf_id,
            task_queue=self._config.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=org_attributes(self.actor.org_id) if self._config.search_attributes else None,
        )
        try:
            return await asyncio.wait_for(
                self._client.execute_update_with_start_workflow(
                    update, update_arg, start_workflow_operation=op
                ),
                self._config.wait_seconds,
            )
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            _retrieve_start_error(op)
            raise StillRunning(Accepted(id=key, workflow_id=wf_id)) from None
        except WorkflowAlreadyStartedError:
            _retrieve_start_error(op)
            return None

    async def ensure_running(
        self, process: Process, key: uuid.UUID, run: MethodAsyncSingleParam[W, Any, Any], arg: Any
    ) -> str:
        """Start the workflow unless one runs under this id; a finished one is started anew (an
        endpoint enabled again). Returns the workflow id."""
        wf_id = self.workflow_id(process, key)
        await self._client.start_workflow(
            run,
            arg,
            id=wf_id,
            task_queue=self._config.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            search_attributes=org_attributes(self.actor.org_id) if self._config.search_attributes else None,
        )
        return wf_id

    async def update(
        self, process: Process, key: uuid.UUID | str, update: UpdateMethodMultiParam[[Any, A], R], arg: A
    ) -> R:
        handle = self._client.get_workflow_handle(self.workflow_id(process, key))
        try:
            return await handle.execute_update(update, arg)
        except RPCError as exc:
            raise await self._missing(process, key, exc) from None

    async def query(self, process: Process, key: uuid.UUID, query: MethodSyncOrAsyncNoParam[W, R]) -> R:
        handle = self._client.get_workflow_handle(self.workflow_id(process, key))
        try:
            return await handle.query(query)
        except RPCError as exc:
            raise await self._missing(process, key, exc) from None

    async def signal(
        self, process: Process, key: uuid.UUID, signal: MethodSyncOrAsyncSingleParam[W, A, Any] | str, arg: A
    ) -> None:
        handle = self._client.get_workflow_handle(self.workflow_id(process, key))
        try:
            await handle.signal(signal, arg)
        except RPCError as exc:
            raise await self._missing(process, key, exc) from None

    async def _missing(self, process: Process, key: uuid.UUID | str, exc: RPCError | None) -> Exception:
        """NotFound when no such workflow exists in the caller's org; Conflict when it has
        finished and can take no more messages."""
        if exc is not None and exc.status != RPCStatusCode.NOT_FOUND:
            return exc
        try:
            desc = await self._client.get_workflow_handle(self.workflow_id(process, key)).describe()
        except RPCError as again:
            if again.status == RPCStatusCode.NOT_FOUND:
                return NotFound(f"no {process.name} process for {key}", field="id")
            return again
        if desc.status is not None and desc.status != WorkflowExecutionStatus.RUNNING:
            return Conflict(f"this {process.name} process has already finished", field="id")
        return exc or NotFound(f"no {process.name} process for {key}", field="id")


def processes(
    p: CurrentUser,
    client: Annotated[Client, Depends(temporal_client)],
    config: Annotated[ProcessConfig, Depends(process_config)],
) -> Processes:
    return Processes(client, p, config)


ProcessesDep = Annotated[Processes, Depends(processes)]


def _retrieve_start_error(op: WithStartWorkflowOperation[Any, Any]) -> None:
    """The start operation's own handle future holds the error of a start that failed (the
    workflow already finished) or was cut short by our wait (a CancelledError). Nobody awaits
    it, so asyncio would log "Future exception was never retrieved" when it is collected;
    reading its exception marks it retrieved. (temporalio keeps the future private.)"""
    fut = getattr(op, "_workflow_handle", None)
    if isinstance(fut, asyncio.Future) and fut.done() and not fut.cancelled():
        fut.exception()
