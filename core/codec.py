"""The data converter: typed payloads, then encrypted, so nothing a workflow carries reaches
Temporal in clear.

Payloads, and through DefaultFailureConverterWithEncodedAttributes also failure messages
and stack traces, are sealed with AES-256-GCM under a key of the workflow's own org:
HKDF-SHA256 of the active master key with the org id. The org comes from the serialization
context's workflow id (`<process>/<org_uuid>/<key>`). The key id in the payload metadata,
`org/<org_uuid>/<master key id>`, names both, so any holder of the master ring re-derives
the key and old histories stay readable after the active master key changes.

With no workflow context (client calls that name no workflow, ids not built by
`core.process.workflow_id`) payloads are sealed with the platform key, the master key
itself under its bare id. Such payloads belong to no org: `/codec/decode` passes them
through still encrypted; only a holder of the master ring (worker, CLI) reads them.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Self

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)

from core.process import org_of

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
_ORG_PREFIX = "org/"


class UnknownKeyError(Exception):
    pass


def org_key_id(org_id: uuid.UUID, master_kid: str) -> str:
    return f"{_ORG_PREFIX}{org_id}/{master_kid}"


def parse_key_id(kid: str) -> tuple[uuid.UUID | None, str]:
    """(org, master key id); org None for the platform key."""
    if kid.startswith(_ORG_PREFIX):
        org, _, master = kid[len(_ORG_PREFIX) :].partition("/")
        try:
            return uuid.UUID(org), master
        except ValueError:
            raise UnknownKeyError(f"payload key id {kid!r} names no org") from None
    return None, kid


def derive_org_key(master: bytes, org_id: uuid.UUID) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"recoveryos-codec/org/" + org_id.bytes
    ).derive(master)


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    """Encodes under the org of its context (or the platform key); decodes any key it can
    derive, or with `only_org` set, only that org's payloads (the rest pass through sealed)."""

    def __init__(
        self,
        keys: Mapping[str, bytes],
        active: str,
        *,
        org_id: uuid.UUID | None = None,
        only_org: uuid.UUID | None = None,
    ) -> None:
        super().__init__()
        if active not in keys:
            raise ValueError(f"active codec key {active!r} is not in the ring")
        self.active = active
        self.org_id = org_id
        self.only_org = only_org
        self._keys = dict(keys)

    def with_context(self, context: SerializationContext) -> Self:
        wf_id = None
        if isinstance(context, WorkflowSerializationContext | ActivitySerializationContext):
            wf_id = context.workflow_id
        return self.for_org(org_of(wf_id or ""))

    def for_org(self, org_id: uuid.UUID | None) -> Self:
        return self._copy(org_id, self.only_org)

    def restricted_to(self, org_id: uuid.UUID) -> Self:
        """Encodes for `org_id` and decodes only its payloads: what an org's operator may see."""
        return self._copy(org_id, org_id)

    def _copy(self, org_id: uuid.UUID | None, only_org: uuid.UUID | None) -> Self:
        return type(self)(self._keys, self.active, org_id=org_id, only_org=only_org)

    def _aead(self, kid: str) -> AESGCM:
        org, master_kid = parse_key_id(kid)
        master = self._keys.get(master_kid)
        if master is None:
            raise UnknownKeyError(f"payload encrypted with unknown key id {kid!r}")
        return _aead(master, org)

    def encode_key_id(self) -> str:
        return self.active if self.org_id is None else org_key_id(self.org_id, self.active)

    async def encode(self, payloads: Iterable[Payload]) -> list[Payload]:
        kid = self.encode_key_id()
        aead = self._aead(kid)
        out = []
        for p in payloads:
            nonce = os.urandom(12)
            sealed = aead.encrypt(nonce, p.SerializeToString(), None)
            out.append(Payload(metadata={"encoding": ENCODING, KEY_ID: kid.encode()}, data=nonce + sealed))
        return out

    def readable(self, p: Payload) -> bool:
        """Whether this codec may open `p` (always true without `only_org`)."""
        if p.metadata.get("encoding", b"") != ENCODING or self.only_org is None:
            return True
        try:
            org, _ = parse_key_id(p.metadata.get(KEY_ID, b"").decode())
        except (UnknownKeyError, UnicodeDecodeError):
            return False
        return org == self.only_org

    async def decode(self, payloads: Iterable[Payload]) -> list[Payload]:
        out = []
        for p in payloads:
            if p.metadata.get("encoding", b"") != ENCODING or not self.readable(p):
                out.append(p)
                continue
            aead = self._aead(p.metadata.get(KEY_ID, b"").decode(errors="replace"))
            out.append(Payload.FromString(aead.decrypt(p.data[:12], p.data[12:], None)))
        return out


@lru_cache(maxsize=4096)
def _aead(master: bytes, org: uuid.UUID | None) -> AESGCM:
    # HKDF per payload would cost more than the AES itself; keys are few (orgs × master ids).
    return AESGCM(master if org is None else derive_org_key(master, org))


def codec_from_settings() -> EncryptionCodec:
    from core.config import get_settings

    s = get_settings()
    assert s.codec_active_key is not None
    return EncryptionCodec(s.codec_keyring(), s.codec_active_key)


def data_converter(codec: PayloadCodec | None = None) -> DataConverter:
    # Pydantic's converter round-trips what our contracts carry (UUID, date, datetime, Decimal,
    # StrEnum, nested dataclasses) with types intact, where the default JSON converter would not.
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=codec or codec_from_settings(),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
