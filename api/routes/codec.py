"""Temporal codec server protocol (POST /codec/encode, /codec/decode) for the Web UI and CLI.

Only a signed-in operator with `codec:decode` may call it, and only for payloads of the
operator's own org: payloads under another org's key (or the platform key) come back
unchanged, still encrypted, and the attempt is audited. Every call is audited with the
number of payloads, never their contents.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from temporalio.api.common.v1 import Payloads

from api.auth import Principal
from api.deps import require, tenant
from core import audit
from core.codec import EncryptionCodec, UnknownKeyError
from core.enums import AuditAction
from core.permissions import Perm

router = APIRouter(prefix="/codec", tags=["codec"])
Operator = Annotated[Principal, Depends(require(Perm.CODEC_DECODE))]


def _codec(request: Request, op: Principal) -> EncryptionCodec:
    codec: EncryptionCodec = request.app.state.codec
    return codec.restricted_to(op.org_id)


def _parse(body: dict[str, Any]) -> Payloads:
    try:
        return ParseDict(body, Payloads())
    except ParseError as exc:
        raise HTTPException(422, f"payloads: not a Temporal Payloads JSON object ({exc})") from None


@router.post("/decode")
async def decode(request: Request, op: Operator, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """The Temporal Web UI's codec: decrypts workflow payloads of the caller's organisation for
    display (`codec:decode`, owners and compliance officers); every decode is audited."""
    payloads = _parse(body)
    codec = _codec(request, op)
    foreign = sum(1 for p in payloads.payloads if not codec.readable(p))
    try:
        out = await codec.decode(payloads.payloads)
    except UnknownKeyError as exc:
        raise HTTPException(422, f"payloads: {exc}") from None
    except Exception:
        raise HTTPException(422, "payloads: could not be decrypted") from None
    await asyncio.to_thread(
        _audit, op, "decode", len(out) - foreign, request.headers.get("x-namespace"), foreign
    )
    return MessageToDict(Payloads(payloads=out))


@router.post("/encode")
async def encode(request: Request, op: Operator, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """The Temporal Web UI's codec: encrypts payloads the UI sends (signals, queries) with the
    caller's organisation key."""
    payloads = _parse(body)
    out = await _codec(request, op).encode(payloads.payloads)
    await asyncio.to_thread(_audit, op, "encode", len(out), request.headers.get("x-namespace"))
    return MessageToDict(Payloads(payloads=out))


def _audit(op: Principal, what: str, count: int, namespace: str | None, foreign: int = 0) -> None:
    with tenant(op) as s:
        audit.record(
            s,
            AuditAction.EXPORT if what == "decode" else AuditAction.EXECUTE,
            "temporal_payloads",
            details={"operation": what, "payloads": count, "namespace": namespace},
        )
        if foreign:
            # Another org's (or the platform's) payloads: refused, and the attempt recorded.
            audit.record(
                s,
                AuditAction.EXPORT,
                "temporal_payloads",
                details={"operation": what, "refused_foreign_payloads": foreign, "namespace": namespace},
                outcome="denied",
            )
