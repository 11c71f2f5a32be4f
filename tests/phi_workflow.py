"""A workflow that carries PHI in its input, result and failure, for the codec tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError


@dataclass
class PhiInput:
    resident_name: str
    fail: bool = False


@activity.defn
def echo_phi(inp: PhiInput) -> str:
    if inp.fail:
        raise ApplicationError(f"cannot bill {inp.resident_name}", non_retryable=True)
    return f"processed {inp.resident_name}"


@workflow.defn(name="PhiCarrier")
class PhiCarrier:
    @workflow.run
    async def run(self, inp: PhiInput) -> str:
        return await workflow.execute_activity(
            echo_phi,
            inp,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
