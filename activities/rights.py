"""Access-request activities: each writes through services/rights/ in one tenant transaction
and is idempotent (a step already taken is left alone; files under keys derived from the
request). PDFs and JSON are made and stored outside any transaction."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from temporalio import activity

from activities.base import Deps, TenantActivities
from core.contracts.rights import Amendment, AmendmentDenial, Denial, export_file
from core.filestore import sha256
from core.notify import Email
from core.process import Actor
from services.rights import amendments, export, requests


@dataclass(frozen=True)
class Receive:
    actor: Actor
    request_id: uuid.UUID
    resident_id: uuid.UUID
    # PHI (what the resident asked for): stored encrypted by this activity, never kept in state.
    details: str | None
    at: datetime
    # An amendment request: what to change and whom to tell (PHI: stored encrypted).
    amendment: Amendment | None = None


@dataclass(frozen=True)
class Extend:
    actor: Actor
    request_id: uuid.UUID
    # The written reason given to the resident (PHI-adjacent: stored encrypted).
    reason: str
    due_at: datetime
    at: datetime


@dataclass(frozen=True)
class Fulfil:
    actor: Actor
    request_id: uuid.UUID
    resident_id: uuid.UUID
    link_expires_at: datetime
    at: datetime


@dataclass(frozen=True)
class Deny:
    actor: Actor
    request_id: uuid.UUID
    resident_id: uuid.UUID
    requested_at: datetime
    denial: Denial
    at: datetime


@dataclass(frozen=True)
class Accept:
    actor: Actor
    request_id: uuid.UUID
    at: datetime


@dataclass(frozen=True)
class DenyAmendment:
    actor: Actor
    request_id: uuid.UUID
    resident_id: uuid.UUID
    requested_at: datetime
    denial: AmendmentDenial


@dataclass(frozen=True)
class Disagree:
    actor: Actor
    request_id: uuid.UUID
    # The resident's own words (PHI): stored encrypted, never kept in state.
    statement: str
    at: datetime


@dataclass(frozen=True)
class Overdue:
    actor: Actor
    request_id: uuid.UUID


class RightsActivities(TenantActivities):
    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.files = deps.files
        self.notifier = deps.notifier

    @activity.defn(name="rights.receive")
    def receive(self, inp: Receive) -> None:
        with self.session(inp.actor) as s:
            requests.record(
                s, inp.request_id, inp.resident_id, inp.details, inp.actor.user_id, inp.at, inp.amendment
            )

    @activity.defn(name="rights.extend")
    def extend(self, inp: Extend) -> None:
        with self.session(inp.actor) as s:
            requests.extend(s, inp.request_id, inp.reason, inp.due_at, inp.at)

    @activity.defn(name="rights.fulfil")
    def fulfil(self, inp: Fulfil) -> None:
        """Export every record of the resident, decrypted, as JSON and PDF under the request's
        derived keys, then record their digests and the link's expiry."""
        with self.session(inp.actor) as s:
            records = export.resident_records(s, inp.resident_id, inp.at.date())
            operator = export.operator_name(s)
        as_json = export.export_json(records)
        as_pdf = export.export_pdf(operator, records)
        org = inp.actor.org_id
        self.files.put(export_file(org, inp.request_id, "json"), as_json, "application/json")
        self.files.put(export_file(org, inp.request_id, "pdf"), as_pdf, "application/pdf")
        with self.session(inp.actor) as s:
            requests.fulfilled(
                s, inp.request_id, sha256(as_json), sha256(as_pdf), inp.link_expires_at, inp.at
            )

    @activity.defn(name="rights.deny")
    def deny(self, inp: Deny) -> None:
        with self.session(inp.actor) as s:
            operator, name = export.operator_name(s), export.resident_name(s, inp.resident_id)
        letter = export.denial_letter_pdf(operator, name, inp.requested_at, inp.denial)
        self.files.put(export_file(inp.actor.org_id, inp.request_id, "denial"), letter, "application/pdf")
        with self.session(inp.actor) as s:
            requests.denied(s, inp.request_id, inp.denial, sha256(letter), inp.at)

    @activity.defn(name="rights.overdue")
    def overdue(self, inp: Overdue) -> None:
        with self.session(inp.actor) as s:
            requests.overdue(s, inp.request_id)

    @activity.defn(name="rights.accept_amendment")
    def accept_amendment(self, inp: Accept) -> int:
        """Make the amendment, then tell the people the resident named (164.526(c)(3)); the
        message says a correction exists and whom to ask, never whose or what."""
        with self.session(inp.actor) as s:
            to = amendments.accept(s, inp.request_id, inp.at)
            operator = export.operator_name(s)
        for address in to:
            self.notifier.send_email(
                Email(
                    (address,),
                    "A correction to records we shared with you",
                    f"{operator} has corrected information it shared with you earlier about a person "
                    "in its care. Please contact our privacy officer to receive the corrected "
                    "information. This message names no one on purpose.",
                    f"<amendment-{inp.request_id}-{hashlib.sha256(address.encode()).hexdigest()[:12]}@recoveryos>",
                )
            )
        with self.session(inp.actor) as s:
            amendments.notified(s, inp.request_id, inp.at)
        return len(to)

    @activity.defn(name="rights.deny_amendment")
    def deny_amendment(self, inp: DenyAmendment) -> None:
        with self.session(inp.actor) as s:
            operator, name = export.operator_name(s), export.resident_name(s, inp.resident_id)
        letter = export.amendment_denial_letter_pdf(operator, name, inp.requested_at, inp.denial)
        self.files.put(export_file(inp.actor.org_id, inp.request_id, "denial"), letter, "application/pdf")
        with self.session(inp.actor) as s:
            amendments.denied(s, inp.request_id, inp.denial, sha256(letter))

    @activity.defn(name="rights.disagree")
    def disagree(self, inp: Disagree) -> None:
        with self.session(inp.actor) as s:
            amendments.disagree(s, inp.request_id, inp.statement, inp.at)
