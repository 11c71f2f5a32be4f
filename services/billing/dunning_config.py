"""Dunning schedules: the org's default collections ladder and each house's override (a
`dunning_configs` row), normalised to the ladder as it will run.

Each step is `{"step": n, "days_after_due": d, "action_type": ..., "template_key": ...}`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.enums import AuditAction, DunningActionType
from core.errors import Conflict, NotFound, Rejected
from models.orgs import House
from models.payment_extended import DunningConfig

# The action types the ladder can run today (SMS and card retries are not wired yet).
SUPPORTED = (DunningActionType.REMINDER_EMAIL, DunningActionType.LATE_FEE, DunningActionType.STAFF_ESCALATION)
MAX_STEPS = 20
DEFAULT_STEPS: list[dict[str, Any]] = [
    {"step": 1, "days_after_due": 3, "action_type": "reminder_email", "template_key": "dunning.reminder"},
    {"step": 2, "days_after_due": 5, "action_type": "late_fee", "template_key": None},
    {
        "step": 3,
        "days_after_due": 7,
        "action_type": "reminder_email",
        "template_key": "dunning.reminder.second",
    },
    {
        "step": 4,
        "days_after_due": 14,
        "action_type": "staff_escalation",
        "template_key": "dunning.escalation",
    },
]


DEFAULT_LATE_FEE_CENTS = 2500


DEFAULT_LATE_FEE_CAP_CENTS = 7500


@dataclass(frozen=True)
class StepSpec:
    step: int
    days_after_due: int
    action_type: DunningActionType
    template_key: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "days_after_due": self.days_after_due,
            "action_type": self.action_type.value,
            "template_key": self.template_key,
        }


@dataclass(frozen=True)
class NewConfig:
    name: str
    steps: Sequence[StepSpec]
    house_id: uuid.UUID | None = None
    grace_days: int = 0
    late_fee_cents: int = 0
    late_fee_cap_cents: int | None = None
    is_active: bool = True


def steps_of(raw: Sequence[dict[str, Any]]) -> list[StepSpec]:
    """Stored steps as specs; steps of a type the ladder cannot run are left out."""
    out = []
    for x in raw:
        try:
            kind = DunningActionType(x["action_type"])
        except (KeyError, ValueError):
            continue
        if kind in SUPPORTED:
            out.append(StepSpec(int(x["step"]), int(x["days_after_due"]), kind, x.get("template_key")))
    return sorted(out, key=lambda s: s.step)


def normalise(data: NewConfig) -> NewConfig:
    """The schedule as the ladder runs it. Whatever the request schema allows is accepted, so the
    rules that relate one field to another are applied here rather than refused: no late fee
    falls inside the grace period (an earlier late-fee step moves to the period's last day);
    steps run in order of their day (a given `step` number only breaks ties) and are numbered
    1, 2, 3... in that order; a fee above the cap becomes the cap. A late-fee step with no fee
    set is skipped when it comes (see `dunning._late_fee`)."""
    steps = list(data.steps)
    if not steps:
        raise Rejected("give at least one step", field="steps")
    if len(steps) > MAX_STEPS:
        raise Rejected(f"at most {MAX_STEPS} steps", field="steps")
    for s in steps:
        if s.action_type not in SUPPORTED:
            raise Rejected(f"{s.action_type.value} steps are not supported", field="steps")

    def day(s: StepSpec) -> int:
        late = s.action_type is DunningActionType.LATE_FEE
        return max(s.days_after_due, data.grace_days) if late else s.days_after_due

    ordered = sorted(enumerate(steps), key=lambda p: (day(p[1]), p[1].step, p[0]))
    numbered = [
        StepSpec(n, day(s), s.action_type, s.template_key) for n, (_, s) in enumerate(ordered, start=1)
    ]
    fee = data.late_fee_cents
    if data.late_fee_cap_cents is not None:
        fee = min(fee, data.late_fee_cap_cents)
    return replace(data, steps=numbered, late_fee_cents=fee)


def _live_config(session: Session, house_id: uuid.UUID | None) -> DunningConfig | None:
    target = DunningConfig.house_id.is_(None) if house_id is None else DunningConfig.house_id == house_id
    return session.scalars(select(DunningConfig).where(target, DunningConfig.deleted_at.is_(None))).first()


def configure(session: Session, config_id: uuid.UUID, data: NewConfig) -> DunningConfig:
    """Set the org's default schedule (house_id None) or one house's override: the live config
    for that target is updated in place, or created with `config_id`. Running ladders keep the
    steps they planned; the new steps apply to invoices that become overdue from now on."""
    data = normalise(data)
    if data.house_id is not None and session.get(House, data.house_id) is None:
        raise NotFound("house not found", field="house_id")
    conf = session.get(DunningConfig, config_id) or _live_config(session, data.house_id)
    values = {
        "name": data.name,
        "steps": [s.as_json() for s in data.steps],
        "grace_days": data.grace_days,
        "late_fee_cents": data.late_fee_cents,
        "late_fee_cap_cents": data.late_fee_cap_cents,
        "is_active": data.is_active,
    }
    if conf is None:
        conf = DunningConfig(
            id=config_id, org_id=session.info["actor"]["org_id"], house_id=data.house_id, **values
        )
        session.add(conf)
        session.flush()
        audit.record(session, AuditAction.CREATE, "dunning_configs", conf.id)
    else:
        if conf.house_id != data.house_id:
            raise Conflict("this config belongs to another house", field="house_id")
        for k, v in values.items():
            setattr(conf, k, v)
        session.flush()
        audit.record(session, AuditAction.UPDATE, "dunning_configs", conf.id)
    return conf


def list_configs(session: Session) -> list[DunningConfig]:
    return list(
        session.scalars(
            select(DunningConfig)
            .where(DunningConfig.deleted_at.is_(None))
            .order_by(DunningConfig.house_id.is_not(None), DunningConfig.name)
        ).all()
    )


def config_for(session: Session, house_id: uuid.UUID | None) -> DunningConfig | None:
    """The house's own active config, else the org's active default, else None."""
    for target in ([house_id] if house_id else []) + [None]:
        conf = _live_config(session, target)
        if conf is not None and conf.is_active:
            return conf
    return None
