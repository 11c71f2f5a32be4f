"""Workflow payloads are sealed under a key of their own org: one org's operator cannot read
another org's payloads through /codec/decode, and master-key rotation keeps working."""

from __future__ import annotations

import asyncio
import base64
import os
import uuid

import httpx
from google.protobuf.json_format import MessageToDict
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.converter import DataConverter, WorkflowSerializationContext

from core.codec import ENCODING, KEY_ID, EncryptionCodec
from core.enums import UserRole
from core.process import workflow_id
from core.temporal import connect
from tests.factories import OrgFactory
from tests.harness import phi_worker
from tests.phi_workflow import PhiCarrier, PhiInput
from tests.security.conftest import audit_rows

PHI = "Ottoline Featherstonehaugh"


async def _run_for(address: str, org_id: uuid.UUID) -> list[Payload]:
    """Runs a PHI-carrying workflow of `org_id`; returns every payload the server stored."""
    client = await connect(address)
    queue = f"org-keys-{uuid.uuid4().hex[:8]}"
    wid = workflow_id("phi", org_id, uuid.uuid4())
    async with phi_worker(client, queue):
        assert await client.execute_workflow(PhiCarrier.run, PhiInput(PHI), id=wid, task_queue=queue) == (
            f"processed {PHI}"
        )
    plain = await Client.connect(address)  # no codec: what the server (and the UI) holds
    history = await plain.get_workflow_handle(wid).fetch_history()
    text = history.to_json()
    assert PHI not in text and "Featherstonehaugh" not in text
    started = history.events[0].workflow_execution_started_event_attributes
    completed = history.events[-1].workflow_execution_completed_event_attributes
    return [*started.input.payloads, *completed.result.payloads]


def test_an_orgs_workflow_payloads_carry_its_own_key_and_other_orgs_operators_get_ciphertext(
    stack: str, orgs: OrgFactory, temporal_address: str
) -> None:
    a, b = orgs.create((UserRole.COMPLIANCE_OFFICER,)), orgs.create((UserRole.COMPLIANCE_OFFICER,))
    stored = asyncio.run(_run_for(temporal_address, b.org_id))
    for p in stored:
        assert p.metadata["encoding"] == ENCODING
        assert p.metadata[KEY_ID].decode().startswith(f"org/{b.org_id}/")
    body = {"payloads": [MessageToDict(p) for p in stored]}
    with httpx.Client(base_url=stack, timeout=30) as http:
        as_a = http.post("/codec/decode", json=body, headers=a.headers(UserRole.COMPLIANCE_OFFICER))
        as_b = http.post("/codec/decode", json=body, headers=b.headers(UserRole.COMPLIANCE_OFFICER))
    assert as_a.status_code == 200
    assert as_a.json() == body  # still encrypted, byte for byte
    assert PHI not in base64.b64decode(as_a.json()["payloads"][0]["data"]).decode("latin-1")
    assert as_b.status_code == 200
    assert PHI in base64.b64decode(as_b.json()["payloads"][0]["data"]).decode()
    refused = [r for r in audit_rows(a.org_id, "export") if r.outcome == "denied"]
    assert len(refused) == 1 and refused[0].details["refused_foreign_payloads"] == len(stored)


def test_payloads_outside_any_org_use_the_platform_key_and_no_org_operator_can_decode_them(
    stack: str, orgs: OrgFactory
) -> None:
    from core.codec import codec_from_settings

    org = orgs.create((UserRole.ORG_OWNER,))
    codec = codec_from_settings().with_context(WorkflowSerializationContext("default", "adhoc-1234"))
    sealed = asyncio.run(codec.encode(DataConverter.default.payload_converter.to_payloads([PHI])))
    assert sealed[0].metadata[KEY_ID].decode() == codec.active
    body = {"payloads": [MessageToDict(p) for p in sealed]}
    r = httpx.post(f"{stack}/codec/decode", json=body, headers=org.headers(UserRole.ORG_OWNER), timeout=30)
    assert r.json() == body


def test_master_key_rotation_keeps_old_org_payloads_readable() -> None:
    org = uuid.uuid4()
    old, new = os.urandom(32), os.urandom(32)
    before = EncryptionCodec({"k1": old}, "k1").for_org(org)
    after = EncryptionCodec({"k1": old, "k2": new}, "k2").for_org(org)
    payloads = DataConverter.default.payload_converter.to_payloads([PHI])
    sealed_old = asyncio.run(before.encode(payloads))
    sealed_new = asyncio.run(after.encode(payloads))
    assert sealed_old[0].metadata[KEY_ID] == f"org/{org}/k1".encode()
    assert sealed_new[0].metadata[KEY_ID] == f"org/{org}/k2".encode()
    for sealed in (sealed_old, sealed_new):
        assert asyncio.run(after.decode(sealed)) == list(payloads)
    # Another org's derived key cannot open it even with the same master key.
    forged = Payload(
        metadata={"encoding": ENCODING, KEY_ID: f"org/{uuid.uuid4()}/k2".encode()}, data=sealed_new[0].data
    )
    try:
        asyncio.run(after.decode([forged]))
        raise AssertionError("decrypted under the wrong org's key")
    except Exception as exc:
        assert type(exc).__name__ == "InvalidTag"
