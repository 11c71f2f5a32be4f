"""The consent lifecycle's activities: store the consent and its form, mark it signed, unsigned,
expired or revoked, remind staff before it expires, and find the consents a discharge ends.
Each is idempotent: the consent id comes from the caller, and every write checks the status
it moves from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from temporalio import activity

from activities.base import Deps, TenantActivities
from core.config import get_settings
from core.contracts.consent import ConsentTerms, ExpiryEvent, RevocationMethod, Stored
from core.enums import ConsentStatus
from core.process import Actor
from services.consent import consents
from services.consent.consents import Revocation


@dataclass(frozen=True)
class StoreConsent:
    actor: Actor
    consent_id: uuid.UUID
    resident_id: uuid.UUID
    terms: ConsentTerms
    at: datetime


@dataclass(frozen=True)
class ConsentStep:
    actor: Actor
    consent_id: uuid.UUID
    at: datetime
    because: ExpiryEvent | None = None


@dataclass(frozen=True)
class RevokeConsent:
    actor: Actor
    consent_id: uuid.UUID
    method: RevocationMethod
    at: datetime
    file_id: uuid.UUID | None = None
    document_id: uuid.UUID | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RevocationForm:
    actor: Actor
    consent_id: uuid.UUID
    at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class ResidentTreatment:
    actor: Actor
    resident_id: uuid.UUID


class ConsentActivities(TenantActivities):
    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.notifier = deps.notifier

    @activity.defn(name="consent.store")
    def store(self, inp: StoreConsent) -> Stored:
        with self.session(inp.actor) as s:
            return consents.store(
                s, inp.consent_id, inp.resident_id, inp.terms, inp.at.date(), inp.actor.user_id
            )

    @activity.defn(name="consent.adopt")
    def adopt(self, inp: ConsentStep) -> Stored:
        with self.session(inp.actor) as s:
            return consents.adopt(s, inp.consent_id)

    @activity.defn(name="consent.activate")
    def activate(self, inp: ConsentStep) -> ConsentStatus:
        with self.session(inp.actor) as s:
            return consents.activate(s, inp.consent_id, inp.at)

    @activity.defn(name="consent.left_unsigned")
    def left_unsigned(self, inp: ConsentStep) -> ConsentStatus:
        with self.session(inp.actor) as s:
            return consents.left_unsigned(s, inp.consent_id)

    @activity.defn(name="consent.expire")
    def expire(self, inp: ConsentStep) -> ConsentStatus:
        with self.session(inp.actor) as s:
            return consents.expire(s, inp.consent_id, inp.at, inp.because)

    @activity.defn(name="consent.revoke")
    def revoke(self, inp: RevokeConsent) -> ConsentStatus:
        r = Revocation(inp.actor.user_id, inp.method, inp.at, inp.file_id, inp.document_id, inp.reason)
        with self.session(inp.actor) as s:
            return consents.revoke(s, inp.consent_id, r)

    @activity.defn(name="consent.revocation_form")
    def revocation_form(self, inp: RevocationForm) -> uuid.UUID:
        with self.session(inp.actor) as s:
            return consents.store_revocation_form(
                s, inp.consent_id, inp.reason, inp.at.date(), inp.actor.user_id
            )

    @activity.defn(name="consent.remind_expiry")
    def remind_expiry(self, inp: ConsentStep) -> bool:
        """Prepared in a transaction, sent outside it: a retry resends the same Message-ID."""
        with self.session(inp.actor) as s:
            email = consents.expiry_reminder(s, inp.consent_id, get_settings().public_base_url)
        if email is None:
            return False
        self.notifier.send_email(email)
        return True

    @activity.defn(name="consent.ending_with_treatment")
    def ending_with_treatment(self, inp: ResidentTreatment) -> list[uuid.UUID]:
        with self.session(inp.actor) as s:
            return consents.ending_with_treatment(s, inp.resident_id)
