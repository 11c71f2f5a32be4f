"""AES-256-GCM for fields and payloads, keyed HMAC for blind indexes.

Field ciphertext layout: version(1) | key-id length(1) | key id | nonce(12) | ciphertext+tag.
The key id travels with the ciphertext so rotation can run row by row; the associated data
binds table, column and row id, so a ciphertext pasted into another row or column fails.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = 1
NONCE_BYTES = 12


class DecryptionError(Exception):
    """Ciphertext was tampered with, moved to another row/column, or its key is unknown."""


@dataclass(frozen=True)
class KeyRing:
    keys: Mapping[str, bytes]
    active: str

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise ValueError(f"active key {self.active!r} not in key ring")
        for kid, key in self.keys.items():
            if len(key) != 32:
                raise ValueError(f"key {kid!r} must be 32 bytes for AES-256")
            if len(kid.encode()) > 255:
                raise ValueError("key ids are at most 255 bytes")


class FieldCipher:
    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring
        self._aead = {kid: AESGCM(key) for kid, key in ring.keys.items()}

    def encrypt(self, plaintext: bytes, aad: bytes, key_id: str | None = None) -> bytes:
        kid = key_id or self.ring.active
        nonce = os.urandom(NONCE_BYTES)
        kid_b = kid.encode()
        return (
            bytes([FORMAT_VERSION, len(kid_b)])
            + kid_b
            + nonce
            + self._aead[kid].encrypt(nonce, plaintext, aad)
        )

    def decrypt(self, blob: bytes, aad: bytes) -> bytes:
        kid, nonce, body = split_ciphertext(blob)
        aead = self._aead.get(kid)
        if aead is None:
            raise DecryptionError(f"unknown key id {kid!r}")
        try:
            return aead.decrypt(nonce, body, aad)
        except InvalidTag:
            raise DecryptionError("ciphertext does not authenticate for this row and column") from None


def split_ciphertext(blob: bytes) -> tuple[str, bytes, bytes]:
    if len(blob) < 2 or blob[0] != FORMAT_VERSION:
        raise DecryptionError("not a RecoveryOS field ciphertext")
    n = blob[1]
    kid = blob[2 : 2 + n].decode()
    nonce = blob[2 + n : 2 + n + NONCE_BYTES]
    return kid, nonce, blob[2 + n + NONCE_BYTES :]


def key_id_of(blob: bytes) -> str:
    return split_ciphertext(blob)[0]


def field_aad(table: str, column: str, row_id: object) -> bytes:
    return f"recoveryos:v1:{table}.{column}:{row_id}".encode()


def blind_index(key: bytes, purpose: str, value: str) -> bytes:
    """Deterministic keyed digest for equality lookups; `purpose` keeps indexes unlinkable."""
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()


def normalize_email(value: str) -> str:
    return value.strip().lower()


def normalize_phone(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    # North American numbers are stored without the leading country code.
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
