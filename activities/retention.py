"""Retention-run activities: each writes through services/retention/ in one tenant transaction
and is idempotent (a run is listed once per day; a destruction done returns what it did; a file
already gone is no error; the certificate is written under a key derived from the run)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from temporalio import activity

from activities.base import Deps, TenantActivities
from core.contracts.retention import Destroyed, Listing, certificate_file
from core.filestore import sha256
from core.process import Actor
from services.retention import runs
from services.retention.certificate import certificate_pdf, facts


@dataclass(frozen=True)
class DryRun:
    actor: Actor
    run_id: uuid.UUID
    run_on: date
    at: datetime


@dataclass(frozen=True)
class Answer:
    """A confirmation, a refusal or a lapse of a run; `actor` is who answered."""

    actor: Actor
    run_id: uuid.UUID
    answer: str
    at: datetime


@dataclass(frozen=True)
class Destroy:
    # Whoever confirmed the run: the erasure is theirs in the audit log.
    actor: Actor
    run_id: uuid.UUID
    at: datetime


@dataclass(frozen=True)
class DeleteFiles:
    actor: Actor
    # Opaque object keys (`<org_id>/<uuid>`), never names.
    keys: list[str]


@dataclass(frozen=True)
class Certify:
    actor: Actor
    run_id: uuid.UUID


class RetentionActivities(TenantActivities):
    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.files = deps.files

    @activity.defn(name="retention.dry_run")
    def dry_run(self, inp: DryRun) -> Listing:
        with self.session(inp.actor) as s:
            return runs.dry_run(s, inp.run_id, inp.run_on, activity.info().workflow_id, inp.at)

    @activity.defn(name="retention.answer")
    def answer(self, inp: Answer) -> Listing:
        with self.session(inp.actor) as s:
            if inp.answer == "confirmed":
                return runs.confirm(s, inp.run_id, inp.actor.user_id, inp.at)
            if inp.answer == "declined":
                return runs.decline(s, inp.run_id, inp.actor.user_id, inp.at)
            return runs.lapse(s, inp.run_id, inp.at)

    @activity.defn(name="retention.destroy")
    def destroy(self, inp: Destroy) -> Destroyed:
        with self.session(inp.actor) as s:
            return runs.destroy(s, inp.run_id, inp.at)

    @activity.defn(name="retention.delete_files")
    def delete_files(self, inp: DeleteFiles) -> int:
        """Outside any transaction: the store is a network call when it is S3."""
        for key in inp.keys:
            self.files.delete(key)
        return len(inp.keys)

    @activity.defn(name="retention.certify")
    def certify(self, inp: Certify) -> None:
        with self.session(inp.actor) as s:
            pdf = certificate_pdf(facts(s, inp.run_id))
        self.files.put(certificate_file(inp.actor.org_id, inp.run_id), pdf, "application/pdf")
        with self.session(inp.actor) as s:
            runs.certified(s, inp.run_id, sha256(pdf))
