"""No PHI reaches Temporal: payloads, results and failures are encrypted by the codec, and
only a signed-in operator can decode them through the codec endpoint."""

from __future__ import annotations

import uuid

import httpx
import pytest
from google.protobuf.json_format import MessageToDict
from temporalio.client import Client, WorkflowFailureError

from core.codec import codec_from_settings
from core.enums import UserRole
from core.temporal import connect
from tests.factories import OrgFactory
from tests.harness import phi_worker
from tests.phi_workflow import PhiCarrier, PhiInput

PHI = "Zebediah Quarrington-Velasquez"


async def _raw_history_text(address: str, workflow_id: str) -> str:
    plain = await Client.connect(address)  # no codec: what the server and the UI really hold
    history = await plain.get_workflow_handle(workflow_id).fetch_history()
    raw = b"".join(e.SerializeToString() for e in history.events)
    return history.to_json() + raw.decode("latin-1")


async def test_phi_in_input_result_and_failure_never_reaches_the_server(temporal_address: str) -> None:
    client = await connect(temporal_address)
    queue = f"phi-{uuid.uuid4().hex[:8]}"
    async with phi_worker(client, queue):
        ok_id, bad_id = f"phi-ok-{uuid.uuid4()}", f"phi-bad-{uuid.uuid4()}"
        result = await client.execute_workflow(PhiCarrier.run, PhiInput(PHI), id=ok_id, task_queue=queue)
        assert result == f"processed {PHI}"
        with pytest.raises(WorkflowFailureError) as failed:
            await client.execute_workflow(
                PhiCarrier.run, PhiInput(PHI, fail=True), id=bad_id, task_queue=queue
            )
        # The codec-enabled client still sees the real message, so it was there to leak.
        assert PHI in str(getattr(failed.value.cause, "cause", None))

    for wid in (ok_id, bad_id):
        text = await _raw_history_text(temporal_address, wid)
        assert "binary/encrypted" in text
        assert PHI not in text
        assert "Quarrington" not in text


def test_lead_intake_history_holds_no_phi(stack: str, orgs: OrgFactory, temporal_address: str) -> None:
    import asyncio

    org = orgs.create((UserRole.CASE_MANAGER,))
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.CASE_MANAGER), timeout=30) as http:
        lead = http.post(
            "/v1/leads",
            json={
                "first_name": "Zebediah",
                "last_name": "Quarrington-Velasquez",
                "notes": "relapsed on opioids in March",
            },
        ).json()
    text = asyncio.run(_raw_history_text(temporal_address, lead["workflow_id"]))
    for secret in ("Zebediah", "Quarrington", "opioids"):
        assert secret not in text
    assert lead["id"] in text  # ids are allowed: the workflow id carries the lead id


async def _encoded_payloads(org_id: uuid.UUID) -> dict:
    from temporalio.converter import DataConverter

    payload = DataConverter.default.payload_converter.to_payloads([{"name": PHI}])
    encoded = await codec_from_settings().for_org(org_id).encode(payload)
    return {"payloads": [MessageToDict(p) for p in encoded]}


def test_codec_endpoint_decodes_for_operators_only(stack: str, orgs: OrgFactory) -> None:
    import asyncio

    org = orgs.create((UserRole.COMPLIANCE_OFFICER, UserRole.HOUSE_MANAGER))
    body = asyncio.run(_encoded_payloads(org.org_id))
    with httpx.Client(base_url=stack, timeout=30) as http:
        assert http.post("/codec/decode", json=body).status_code == 401
        assert (
            http.post("/codec/decode", json=body, headers=org.headers(UserRole.HOUSE_MANAGER)).status_code
            == 403
        )
        r = http.post("/codec/decode", json=body, headers=org.headers(UserRole.COMPLIANCE_OFFICER))
        assert r.status_code == 200, r.text
        import base64

        assert PHI in base64.b64decode(r.json()["payloads"][0]["data"]).decode()

        bad = http.post(
            "/codec/decode", json={"payloads": "nope"}, headers=org.headers(UserRole.COMPLIANCE_OFFICER)
        )
        assert bad.status_code == 422 and "payloads" in bad.json()["detail"]


def test_codec_endpoint_accepts_the_temporal_ui_with_a_session_cookie(stack: str, orgs: OrgFactory) -> None:
    import asyncio

    org = orgs.create((UserRole.ORG_OWNER,))
    ui = "http://localhost:8233"
    body = asyncio.run(_encoded_payloads(org.org_id))
    org.token(UserRole.ORG_OWNER)  # enrols the owner's authenticator
    with httpx.Client(base_url=stack, timeout=30) as http:
        pre = http.options(
            "/codec/decode",
            headers={
                "Origin": ui,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-namespace",
            },
        )
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == ui
        assert pre.headers["access-control-allow-credentials"] == "true"

        login = http.post(
            "/login",
            data={
                "username": org.emails[UserRole.ORG_OWNER],
                "password": "correct horse battery staple",
                "next": "/docs",
            },
        )
        # The owner's role reads Part 2 data: the password alone leaves the second-factor form.
        assert login.status_code == 200 and 'action="/login/mfa"' in login.text
        assert "recoveryos_session" in login.cookies
        assert http.post("/codec/decode", json=body, headers={"Origin": ui}).status_code == 401
        verified = http.post(
            "/login/mfa",
            data={"code": org.next_recovery_code(UserRole.ORG_OWNER), "next": "/docs"},
            headers={"Origin": stack},
        )
        assert verified.status_code == 303
        r = http.post("/codec/decode", json=body, headers={"Origin": ui, "X-Namespace": "default"})
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == ui

        evil = http.options(
            "/codec/decode",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in evil.headers
