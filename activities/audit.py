"""The activity that signs a checkpoint of an org's chain head for its anchor workflow
(`workflows/audit.py`); the sequencer loop that starts those workflows is
`workflows/audit_sequencer.py`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from temporalio import activity

from activities.base import TenantActivities
from core import audit, audit_sealer
from core.audit import Checkpoint
from core.enums import AuditAction
from core.process import Actor

# The anchor workflow calls it by name; `audit verify` finds its results in history by name.
CHECKPOINT = "audit_checkpoint"

log = logging.getLogger("recoveryos.audit")


@dataclass(frozen=True)
class CheckpointInput:
    actor: Actor
    previous: Checkpoint | None = None


class AuditActivities(TenantActivities):
    @activity.defn(name=CHECKPOINT)
    def checkpoint(self, inp: CheckpointInput) -> Checkpoint | None:
        try:
            return audit_sealer.checkpoint(inp.actor.org_id, inp.previous)
        except audit.ChainDamaged as damage:
            # Refuse to advance, and say so where an operator looks: the log (ids and seq
            # numbers only) and the org's own audit trail. The anchor keeps its last good
            # checkpoint, so `audit verify` goes on naming the damage.
            log.error(
                "audit chain broken: the anchor refuses to certify it",
                extra={"org_id": str(damage.org_id), "seq": damage.seq, "damage": damage.kind},
            )
            with self.session(inp.actor) as s:
                audit.record(
                    s,
                    AuditAction.EXECUTE,
                    "audit_chain",
                    details={"alert": "chain_broken", "seq": damage.seq, "damage": damage.kind},
                    outcome="failure",
                )
            return inp.previous
