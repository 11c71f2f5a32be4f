"""Retention in the demo organisation: each record type's policy beside the document types', a
legal hold on a former resident's records (a lawsuit about their stay) and yesterday's dry run,
which found nothing past its period yet (the demo's records are all younger than their floors)."""

from __future__ import annotations

from core.contracts.retention import DEFAULT_YEARS, FLOORS, RESIDENT_DEFAULT_BASIS, RecordType, run_id
from core.enums import UserRole
from models.documents import RetentionPolicy
from models.retention import DestructionRun, LegalHold
from seed.context import SeedContext, day_at, day_of


def retention(ctx: SeedContext) -> None:
    for rt, floor in FLOORS.items():
        ctx.new(
            RetentionPolicy,
            record_type=rt.value,
            document_type=None,
            retain_years=DEFAULT_YEARS.get(rt, floor.years),
            retain_from=floor.retain_from,
            legal_basis=RESIDENT_DEFAULT_BASIS if rt is RecordType.RESIDENT else floor.basis,
        )
    former = [r for r in ctx.residents if not r.current] or ctx.residents
    officer = ctx.users[UserRole.COMPLIANCE_OFFICER]
    ctx.new(
        LegalHold,
        resident_id=former[0].id,
        reason=ctx.p("Litigation hold: a claim about the resident's stay was filed with the county court."),
        placed_by_user_id=officer.id,
        placed_at=day_at(-20, 10),
    )
    yesterday = day_of(-1)
    ctx.add(
        DestructionRun(
            id=run_id(ctx.org_id, yesterday),
            org_id=ctx.org_id,
            run_on=yesterday,
            status="listed",
            listing={
                k.value: [] for k in (RecordType.DOCUMENT, RecordType.RESIDENT, RecordType.BREACH_INCIDENT)
            },
            counts={
                k.value: 0 for k in (RecordType.DOCUMENT, RecordType.RESIDENT, RecordType.BREACH_INCIDENT)
            },
            listed_at=day_at(-1, 3, 30),
        )
    )
    ctx.flush()
