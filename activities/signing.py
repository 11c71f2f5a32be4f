"""Signing activities: each writes through services/signing/ in one tenant transaction and
is idempotent (deterministic signature ids, per-event keys, a finished document is left alone).
The file store and the notifier are called outside any transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from temporalio import activity

from activities.base import Deps, TenantActivities
from core.contracts.signing import Evidence, Link, SignerSpec
from core.enums import DocumentStatus
from core.notify import Delivery
from core.process import Actor
from services import certificate
from services.documents import file_id, sha256, storage_key
from services.signing import ceremony, completion, links, trail


@dataclass(frozen=True)
class PrepareSigners:
    actor: Actor
    document_id: uuid.UUID
    signers: list[SignerSpec]


@dataclass(frozen=True)
class SendLink:
    actor: Actor
    signature_id: uuid.UUID
    expires_at: datetime
    # "invitation" or "reminder"; n counts reminders.
    kind: str
    n: int
    at: datetime


@dataclass(frozen=True)
class LinkAction:
    """A signer's step from the signing page (view, consent, sign, decline), authorised by the
    link. It is also the workflow's update payload: the workflow stamps `at` with its own clock.
    `evidence` (IP) and the signature are PII: stored by the activity, never kept in state."""

    actor: Actor
    link: Link
    evidence: Evidence
    # Signing: a typed name or a drawn PNG (base64; payloads carry text).
    typed: str | None = None
    drawn_png: str | None = None
    # Declining: the signer's reason.
    reason: str | None = None
    at: datetime | None = None

    def when(self) -> datetime:
        assert self.at is not None, "the workflow stamps the time"
        return self.at


@dataclass(frozen=True)
class CloseRequest:
    actor: Actor
    document_id: uuid.UUID
    outcome: DocumentStatus
    at: datetime


@dataclass(frozen=True)
class Complete:
    actor: Actor
    document_id: uuid.UUID
    at: datetime


class SigningActivities(TenantActivities):
    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.files = deps.files
        self.notifier = deps.notifier

    @activity.defn(name="signing.prepare")
    def prepare(self, inp: PrepareSigners) -> list[uuid.UUID]:
        with self.session(inp.actor) as s:
            return links.prepare(s, inp.document_id, inp.signers, inp.actor.user_id)

    @activity.defn(name="signing.send_link")
    def send_link(self, inp: SendLink) -> bool:
        with self.session(inp.actor) as s:
            token = links.issue_link(
                s, inp.signature_id, inp.expires_at, inp.kind, inp.n, inp.at, inp.actor.user_id
            )
        if token is None:
            return False
        self.notifier.deliver(
            Delivery(inp.actor.org_id, inp.signature_id, inp.kind, links.link_url(token), inp.at)
        )
        return True

    @activity.defn(name="signing.record_view")
    def record_view(self, inp: LinkAction) -> None:
        with self.session(inp.actor) as s:
            ceremony.record_view(s, inp.link, inp.evidence, inp.when())

    @activity.defn(name="signing.record_consent")
    def record_consent(self, inp: LinkAction) -> None:
        with self.session(inp.actor) as s:
            ceremony.record_consent(s, inp.link, inp.evidence, inp.when())

    @activity.defn(name="signing.record_signature")
    def record_signature(self, inp: LinkAction) -> bool:
        with self.session(inp.actor) as s:
            return ceremony.record_signature(s, inp.link, inp.typed, inp.drawn_png, inp.evidence, inp.when())

    @activity.defn(name="signing.record_decline")
    def record_decline(self, inp: LinkAction) -> None:
        with self.session(inp.actor) as s:
            ceremony.record_decline(s, inp.link, inp.reason, inp.evidence, inp.when())

    @activity.defn(name="signing.close")
    def close(self, inp: CloseRequest) -> None:
        with self.session(inp.actor) as s:
            completion.close(s, inp.document_id, inp.outcome, inp.at, inp.actor.user_id)

    @activity.defn(name="signing.complete")
    def complete(self, inp: Complete) -> None:
        with self.session(inp.actor) as s:
            done_trail = trail.trail(s, inp.document_id)
        if done_trail.status is DocumentStatus.SIGNED:
            return
        signed_pdf = certificate.signed_document_pdf(done_trail)
        done = certificate.completed(done_trail, sha256(signed_pdf).hex(), inp.at)
        cert_pdf = certificate.certificate_pdf(done)
        org = inp.actor.org_id
        self.files.put(storage_key(org, file_id(inp.document_id, "signed")), signed_pdf, "application/pdf")
        self.files.put(storage_key(org, file_id(inp.document_id, "certificate")), cert_pdf, "application/pdf")
        with self.session(inp.actor) as s:
            completion.finalize(s, inp.document_id, self.files.bucket, signed_pdf, cert_pdf, inp.at)
