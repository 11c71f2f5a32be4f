"""Process starts are idempotent: an Idempotency-Key names one resource per org, whatever the
number of retries, 202s or concurrent requests."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from api.processes import ProcessConfig, process_config
from core.config import get_settings
from core.db import tenant_session
from core.enums import UserRole
from core.temporal import connect
from models.residents import Lead
from tests.factories import OrgFactory
from worker import build_worker

LEAD = {"first_name": "Leopoldine", "last_name": "Varga"}


def _lead_count(org_id: uuid.UUID) -> int:
    with tenant_session(org_id, actor_type="test") as s:
        return int(s.scalar(select(func.count()).select_from(Lead)) or 0)


def test_the_same_lead_posted_twice_with_one_key_is_one_lead(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.CASE_MANAGER), timeout=30) as http:
        first = http.post("/v1/leads", json=LEAD, headers=key)
        second = http.post("/v1/leads", json=LEAD, headers=key)
        assert (first.status_code, second.status_code) == (201, 200)
        assert first.json()["id"] == second.json()["id"]
        # Without a key, each POST is a new inquiry.
        third = http.post("/v1/leads", json=LEAD)
        assert third.status_code == 201 and third.json()["id"] != first.json()["id"]
    assert _lead_count(org.org_id) == 2


def test_concurrent_posts_with_one_key_create_one_lead(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}", **org.headers(UserRole.CASE_MANAGER)}

    def post() -> httpx.Response:
        return httpx.post(f"{stack}/v1/leads", json=LEAD, headers=key, timeout=30)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: post(), range(4)))
    assert sorted(r.status_code for r in answers) == [200, 200, 200, 201]
    assert len({r.json()["id"] for r in answers}) == 1
    assert _lead_count(org.org_id) == 1


def test_a_reused_key_with_a_different_body_is_a_422_naming_the_header(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.CASE_MANAGER), timeout=30) as http:
        assert http.post("/v1/leads", json=LEAD, headers=key).status_code == 201
        r = http.post("/v1/leads", json={**LEAD, "last_name": "Other"}, headers=key)
    assert r.status_code == 422
    assert r.json()["field"] == "Idempotency-Key"
    assert "Idempotency-Key" in r.json()["detail"]
    assert _lead_count(org.org_id) == 1


def test_the_same_key_in_two_orgs_names_two_resources(stack: str, orgs: OrgFactory) -> None:
    a, b = orgs.create((UserRole.CASE_MANAGER,)), orgs.create((UserRole.CASE_MANAGER,))
    key = {"Idempotency-Key": f"shared-{uuid.uuid4()}"}
    with httpx.Client(base_url=stack, timeout=30) as http:
        ra = http.post("/v1/leads", json=LEAD, headers={**key, **a.headers(UserRole.CASE_MANAGER)})
        rb = http.post("/v1/leads", json=LEAD, headers={**key, **b.headers(UserRole.CASE_MANAGER)})
    assert (ra.status_code, rb.status_code) == (201, 201)
    assert ra.json()["id"] != rb.json()["id"]


def test_a_network_retry_after_a_202_lands_on_the_same_workflow(
    stack: str, api_app: FastAPI, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    queue = f"late-worker-{uuid.uuid4().hex[:8]}"
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    api_app.dependency_overrides[process_config] = lambda: ProcessConfig(queue, 1.0, False)
    try:
        with httpx.Client(base_url=stack, headers=org.headers(UserRole.CASE_MANAGER), timeout=30) as http:
            accepted = http.post("/v1/leads", json=LEAD, headers=key)
            assert accepted.status_code == 202, accepted.text
            retried = http.post("/v1/leads", json=LEAD, headers=key)
            assert retried.status_code == 202
            assert retried.json() == accepted.json()

            async def with_worker_retry() -> httpx.Response:
                # A worker comes back: the next retry is answered from the one workflow.
                async with build_worker(await connect(), task_queue=queue):
                    return await asyncio.to_thread(http.post, "/v1/leads", json=LEAD, headers=key)

            done = asyncio.run(with_worker_retry())
    finally:
        api_app.dependency_overrides.clear()
    assert done.status_code == 200, done.text
    assert done.json()["id"] == accepted.json()["id"]
    assert _lead_count(org.org_id) == 1

    async def runs() -> list[str]:
        client = await connect()
        wf_id = accepted.json()["workflow_id"]
        for _ in range(50):  # visibility is eventually consistent
            found = [w.run_id async for w in client.list_workflows(f'WorkflowId = "{wf_id}"')]
            if found:
                return found
            await asyncio.sleep(0.2)
        return []

    assert len(asyncio.run(runs())) == 1
    assert get_settings().task_queue != queue
