"""E-signature's data: who signs (in order), a checked signing link's claims, and where a signer
acted from, as the signing workflow, its activities and the signing page pass them along."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SignerSpec:
    """Who signs, in list order: a resident, a staff user, or (neither) an external signer."""

    role: str
    resident_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Link:
    """A checked token: its claims and its digest (the token itself goes no further)."""

    org_id: uuid.UUID
    document_id: uuid.UUID
    signature_id: uuid.UUID
    expires_at: datetime
    # Hex SHA-256 of the token (payloads carry text, not bytes).
    digest: str


@dataclass(frozen=True)
class Evidence:
    """Where a signer acted from. PII (the IP): kept in the database, encrypted."""

    ip: str | None
    user_agent: str | None
