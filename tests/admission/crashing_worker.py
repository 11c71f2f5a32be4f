"""A worker process that freezes right after one activity has committed, before it can report
the result: the moment a crash hurts most. The crash test runs it, waits for the marker file,
then kills it with SIGKILL.

    python -m tests.admission.crashing_worker <address> <task queue> <activity name> <marker>
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    Worker,
)


class FreezeAfter(Interceptor):
    def __init__(self, activity_name: str, marker: Path) -> None:
        self.activity_name, self.marker = activity_name, marker

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Freeze(next, self)


class _Freeze(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, outer: FreezeAfter) -> None:
        super().__init__(next)
        self.outer = outer

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        result = await self.next.execute_activity(input)
        if activity.info().activity_type == self.outer.activity_name:
            self.outer.marker.write_text(activity.info().workflow_id or "")
            await asyncio.Event().wait()  # committed, never reported
        return result


async def main(address: str, queue: str, activity_name: str, marker: str) -> None:
    import registry
    from core.codec import data_converter
    from worker import build_deps

    client = await Client.connect(address, data_converter=data_converter())
    worker = Worker(
        client,
        task_queue=queue,
        workflows=registry.workflows(),
        activities=registry.activities(build_deps()),
        activity_executor=ThreadPoolExecutor(4),
        interceptors=[FreezeAfter(activity_name, Path(marker))],
        # No sticky cache: what this process knew dies with it, as in a real crash.
        max_cached_workflows=0,
    )
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
