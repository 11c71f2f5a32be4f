"""Process-wide field cipher and blind-index key, built from settings on first use."""

from __future__ import annotations

from functools import lru_cache

from core.config import get_settings
from core.crypto import FieldCipher, KeyRing, blind_index


@lru_cache(maxsize=1)
def field_cipher() -> FieldCipher:
    s = get_settings()
    assert s.field_active_key is not None
    return FieldCipher(KeyRing(s.field_keyring(), s.field_active_key))


@lru_cache(maxsize=1)
def _blind_key() -> bytes:
    return get_settings().blind_key()


def blind_digest(purpose: str, normalized: str) -> bytes:
    return blind_index(_blind_key(), purpose, normalized)


def reset_caches() -> None:
    field_cipher.cache_clear()
    _blind_key.cache_clear()
