"""The data converter: typed payloads, then encrypted, so nothing a workflow carries reaches
Temporal in clear.

Payloads, and through DefaultFailureConverterWithEncodedAttributes also failure messages
and stack traces, are sealed with AES-256-GCM. The key id rides in the payload metadata so
old histories stay readable after the active key changes.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"


class UnknownKeyError(Exception):
    pass


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: Mapping[str, bytes], active: str) -> None:
        super().__init__()
        if active not in keys:
            raise ValueError(f"active codec key {active!r} is not in the ring")
        self.active = active
        self._aead = {kid: AESGCM(key) for kid, key in keys.items()}

    async def encode(self, payloads: Iterable[Payload]) -> list[Payload]:
        out = []
        for p in payloads:
            nonce = os.urandom(12)
            sealed = self._aead[self.active].encrypt(nonce, p.SerializeToString(), None)
            out.append(
                Payload(metadata={"encoding": ENCODING, KEY_ID: self.active.encode()}, data=nonce + sealed)
            )
        return out

    async def decode(self, payloads: Iterable[Payload]) -> list[Payload]:
        out = []
        for p in payloads:
            if p.metadata.get("encoding", b"") != ENCODING:
                out.append(p)
                continue
            kid = p.metadata.get(KEY_ID, b"").decode()
            aead = self._aead.get(kid)
            if aead is None:
                raise UnknownKeyError(f"payload encrypted with unknown key id {kid!r}")
            out.append(Payload.FromString(aead.decrypt(p.data[:12], p.data[12:], None)))
        return out


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
