"""Staff record a lead through the API; the intake workflow writes it as recoveryos_app."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from api.processes import ProcessConfig, process_config
from core.enums import UserRole
from tests.factories import OrgFactory


def test_creating_a_lead_starts_intake_and_the_lead_reads_back(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.CASE_MANAGER), timeout=30) as http:
        created = http.post(
            "/v1/leads",
            json={
                "first_name": "Marisol",
                "last_name": "Quintero",
                "email": "marisol@example.com",
                "phone": "+1 (555) 010-2233",
                "source": "referral_treatment",
            },
        )
        assert created.status_code == 201, created.text
        lead = created.json()
        assert created.headers["cache-control"] == "no-store"
        got = http.get(f"/v1/leads/{lead['id']}")
        assert got.status_code == 200
        body = got.json()
        assert (body["first_name"], body["last_name"], body["status"]) == ("Marisol", "Quintero", "new")
        assert body["workflow_id"] == f"intake/{org.org_id}/{lead['id']}"

        decided = http.post(f"/v1/leads/{lead['id']}/decision", json={"decision": "approve"})
        assert decided.status_code == 200, decided.text
        assert decided.json()["status"] == "approved"
        assert http.get(f"/v1/leads/{lead['id']}").json()["status"] == "approved"

        again = http.post(f"/v1/leads/{lead['id']}/decision", json={"decision": "decline"})
        assert again.status_code == 409
        assert "already finished" in again.json()["detail"]
        assert http.get(f"/v1/leads/{lead['id']}/intake").json()["history"] == ["new", "approved"]


def test_an_unknown_decision_is_a_422_naming_the_field(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.CASE_MANAGER), timeout=30) as http:
        lead = http.post("/v1/leads", json={"first_name": "Pia", "last_name": "Lindqvist"}).json()
        r = http.post(f"/v1/leads/{lead['id']}/decision", json={"decision": "maybe"})
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["decision"]


def test_a_lead_of_another_org_is_not_found(stack: str, orgs: OrgFactory) -> None:
    a, b = orgs.create((UserRole.CASE_MANAGER,)), orgs.create((UserRole.CASE_MANAGER,))
    with httpx.Client(base_url=stack, timeout=30) as http:
        lead = http.post(
            "/v1/leads",
            json={"first_name": "Ana", "last_name": "B"},
            headers=a.headers(UserRole.CASE_MANAGER),
        ).json()
        assert (
            http.get(f"/v1/leads/{lead['id']}", headers=b.headers(UserRole.CASE_MANAGER)).status_code == 404
        )


def test_bad_input_is_a_422_naming_the_field(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.CASE_MANAGER), timeout=30) as http:
        r = http.post("/v1/leads", json={"first_name": "", "last_name": "X", "email": "not-an-email"})
        assert r.status_code == 422
        fields = {e["field"] for e in r.json()["errors"]}
        assert fields == {"first_name", "email"}
        assert "first_name" in r.json()["detail"]


def test_roles_without_lead_write_are_refused(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.BILLING_SPECIALIST,))
    with httpx.Client(base_url=stack, timeout=30) as http:
        r = http.post(
            "/v1/leads",
            json={"first_name": "A", "last_name": "B"},
            headers=org.headers(UserRole.BILLING_SPECIALIST),
        )
        assert r.status_code == 403
        assert http.post("/v1/leads", json={"first_name": "A", "last_name": "B"}).status_code == 401


def test_operators_can_filter_workflows_by_org_id_and_nothing_else_identifies_the_lead(
    stack: str, orgs: OrgFactory
) -> None:
    import asyncio
    import time

    from core.temporal import ORG_ID, connect

    org = orgs.create((UserRole.CASE_MANAGER,))
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.CASE_MANAGER), timeout=30) as http:
        lead = http.post("/v1/leads", json={"first_name": "Evangeline", "last_name": "Szymanski"}).json()

    async def find() -> list[str]:
        client = await connect()
        return [w.id async for w in client.list_workflows(f'{ORG_ID.name} = "{org.org_id}"')]

    deadline = time.monotonic() + 15
    while (found := asyncio.run(find())) != [lead["workflow_id"]]:
        assert time.monotonic() < deadline, found
        time.sleep(0.3)

    async def attributes() -> dict:
        client = await connect()
        desc = await client.get_workflow_handle(lead["workflow_id"]).describe()
        return {k.name: v for k, v in ((p.key, p.value) for p in desc.typed_search_attributes)}

    attrs = asyncio.run(attributes())
    assert attrs[ORG_ID.name] == str(org.org_id)
    assert not any("Evangeline" in str(v) or "Szymanski" in str(v) for v in attrs.values())


def test_a_lead_is_accepted_with_202_when_no_worker_records_it_in_time(
    stack: str, api_app: FastAPI, orgs: OrgFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """...and the start cut short by the bounded wait leaves no error for asyncio to report as
    never retrieved (the start operation's future holds a CancelledError)."""
    import asyncio
    import gc

    from core.temporal import connect

    org = orgs.create((UserRole.CASE_MANAGER,))
    api_app.dependency_overrides[process_config] = lambda: ProcessConfig(
        task_queue="a-queue-no-worker-polls", wait_seconds=1.0, search_attributes=False
    )
    gc.collect()  # what earlier tests left for the collector is not this test's
    caplog.set_level("ERROR", logger="asyncio")
    try:
        with httpx.Client(base_url=stack, headers=org.headers(UserRole.CASE_MANAGER), timeout=30) as http:
            r = http.post("/v1/leads", json={"first_name": "Ottilie", "last_name": "Brennan"})
            assert r.status_code == 202, r.text
            body = r.json()
            assert body["status"] == "accepted"
            assert body["workflow_id"] == f"intake/{org.org_id}/{body['id']}"
            assert "Ottilie" not in r.text
            assert http.get(f"/v1/leads/{body['id']}").status_code == 404
    finally:
        api_app.dependency_overrides.clear()
    gc.collect()
    assert [r.getMessage() for r in caplog.records if "never retrieved" in r.getMessage()] == []

    async def cleanup() -> None:
        await (await connect()).get_workflow_handle(body["workflow_id"]).terminate("test cleanup")

    asyncio.run(cleanup())


def test_a_replayed_create_whose_process_is_over_leaves_no_unretrieved_exception(
    stack: str, orgs: OrgFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """The start that finds the finished workflow fails with WorkflowAlreadyStartedError; the
    start operation's own future holds that error too and must be retrieved, not left for
    asyncio to log as 'Future exception was never retrieved' when it is collected."""
    import gc

    org = orgs.create((UserRole.CASE_MANAGER,))
    body = {"first_name": "Pia", "last_name": "Lindqvist"}
    key = {"Idempotency-Key": f"lead-{uuid.uuid4()}"}
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.CASE_MANAGER), timeout=30) as http:
        lead = http.post("/v1/leads", json=body, headers=key).json()
        assert http.post(f"/v1/leads/{lead['id']}/decision", json={"decision": "approve"}).status_code == 200
        gc.collect()  # what earlier tests left for the collector is not this test's
        caplog.set_level("ERROR", logger="asyncio")
        for _ in range(3):
            again = http.post("/v1/leads", json=body, headers=key)
            assert again.status_code == 200 and again.json()["id"] == lead["id"], again.text
    gc.collect()
    unretrieved = [r.getMessage() for r in caplog.records if "never retrieved" in r.getMessage()]
    assert [m for m in unretrieved if "WorkflowAlreadyStarted" in m] == []
