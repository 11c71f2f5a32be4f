"""Intake: leads (through services.intake, as the intake workflow records them) and admissions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.contracts.intake import NewLead
from core.enums import (
    AdmissionStatus,
    BillingFrequency,
    HouseGender,
    LeadSource,
    LeadStatus,
    ResidentStatus,
)
from models.residents import Lead
from seed.context import Plan, SeedContext, day_at, day_of, on_day
from seed.factories.intake import AdmissionFactory
from seed.factories.people import NewLeadFactory
from services import idempotency
from services import intake as intake_svc
from services.admission import beds as admission_svc
from workflows.intake import INTAKE


def _lead(ctx: SeedContext, data: NewLead, status: LeadStatus, **details: Any) -> Lead:
    """Recorded and moved on as the intake workflow does; `details` are what staff add later
    (assignment, contact times, screening notes), which no workflow owns."""
    lead = intake_svc.record_lead(ctx.s, ctx.nid(), data, created_by=ctx.case_manager.id)
    for name, value in details.items():
        setattr(lead, name, value)
    if status is not LeadStatus.NEW:
        intake_svc.set_status(ctx.s, lead.id, status)
    ctx.track(lead)
    return lead


# The prospects of each block: how far each got, and how they found us.
PROSPECTS = [
    (LeadStatus.NEW, LeadSource.WEBSITE),
    (LeadStatus.CONTACTED, LeadSource.PHONE),
    (LeadStatus.SCREENING, LeadSource.REFERRAL_COURT),
    (LeadStatus.DECLINED, LeadSource.REFERRAL_FAMILY),
]


def leads(ctx: SeedContext) -> None:
    """Per block: the two residents who came in through the lead pipeline, and `PROSPECTS`."""
    ctx.flush()
    for b in range(ctx.scale):
        for r in ctx.residents[8 * b : 8 * b + 2]:
            r.lead = _converted(ctx, r)
        for k, (status, source) in enumerate(PROSPECTS):
            lead = _prospect(ctx, b, k, status, source)
            if status is LeadStatus.NEW:
                # The website form posts with an Idempotency-Key; the API claims it like this.
                idempotency.claim(
                    ctx.s,
                    INTAKE.name,
                    f"web-form-{lead.id}",
                    idempotency.request_digest({"lead": str(lead.id)}),
                    lead.id,
                    None,
                )
                ctx.counts["idempotency_keys"] = ctx.counts.get("idempotency_keys", 0) + 1
            if status is LeadStatus.SCREENING:
                ctx.screening_leads.append((b, lead))


def _converted(ctx: SeedContext, r: Plan) -> Lead:
    """The lead that became resident `r`, referred by their treatment centre."""
    moved_in = r.move_in or day_of(-60)
    return _lead(
        ctx,
        NewLead(
            first_name=r.person.first,
            last_name=r.person.last,
            phone=ctx.phone(),
            primary_substance=r.substance,
            notes=f"{r.person.first} called from the detox unit; discharge planned "
            f"{ctx.rng.randint(2, 9)} days out, wants a bed close to work.",
            source=LeadSource.REFERRAL_TREATMENT,
            house_preference_id=r.house.id,
            housing_gender=r.gender,
            desired_move_in_date=r.move_in,
        ),
        LeadStatus.CONVERTED,
        assigned_to_user_id=ctx.case_manager.id,
        last_contacted_at=on_day(moved_in, 10) - timedelta(days=3),
        converted_resident_id=r.id,
        converted_at=on_day(moved_in, 11) - timedelta(days=1),
    )


def _prospect(ctx: SeedContext, b: int, k: int, status: LeadStatus, source: LeadSource) -> Lead:
    """The `k`th prospect of block `b`, alternately for the women's and the men's house, with
    what staff noted as it got to `status`."""
    gender = HouseGender.WOMEN if k % 2 == 0 else HouseGender.MEN
    who = ctx.person(gender)
    referrer = ctx.person() if source is LeadSource.REFERRAL_COURT else None
    details: dict[str, Any] = {
        "assigned_to_user_id": ctx.case_manager.id,
        "last_contacted_at": None if status is LeadStatus.NEW else day_at(-ctx.rng.randint(1, 5), 14),
    }
    if status in (LeadStatus.CONTACTED, LeadStatus.SCREENING):
        details["next_follow_up_at"] = day_at(ctx.rng.randint(1, 4), 10)
    if referrer is not None:
        details["referral_source_name"] = "Buncombe County Adult Drug Treatment Court"
        details["referral_contact"] = {
            "name": ctx.p(referrer.full),
            "phone": ctx.p(ctx.phone()),
            "email": ctx.p(ctx.email_for(referrer)),
        }
    if status is LeadStatus.SCREENING:
        details["screening_answers"] = {
            "days_sober": ctx.rng.randint(5, 60),
            "currently_in_treatment": True,
            "housing_situation": ctx.p(f"Staying with {who.first}'s cousin on a couch until Friday"),
        }
    if status is LeadStatus.DECLINED:
        details["disposition_reason"] = (
            f"{who.first} needs medically supervised withdrawal first; referred to detox."
        )
    data = NewLeadFactory.build(
        person=who,
        source=source,
        notes=f"{who.first} {who.last} asked about {'women' if k % 2 == 0 else 'men'}'s "
        f"beds and whether MOUD is allowed; left voicemail #{ctx.rng.randint(1, 4)}.",
        house_preference_id=ctx.houses[2 * b + (0 if gender is HouseGender.MEN else 1)].id,
        housing_gender=gender,
        desired_move_in_date=day_of(ctx.rng.randint(3, 30)),
    )
    return _lead(ctx, data, status, **details)


def admissions(ctx: SeedContext) -> None:
    """Current residents placed in their bed, the discharged one's completed stay, and the
    waitlisted one's cancelled admission."""
    for r in ctx.residents:
        rate = ctx.rent_rates[r.house.id]
        notes = ctx.p(
            f"Intake: {r.person.first} completed 28-day residential care; primary {r.substance} use, "
            f"{ctx.rng.randint(1, 4)} prior treatment episodes; goals are work and family reunification."
        )
        if r.current:
            assert r.bed is not None and r.move_in is not None
            # The first resident of each men's house moved from bed 1 to bed 0 (bed_transfers).
            r.admission = ctx.new(
                AdmissionFactory.build,
                plan=r,
                bed_id=r.bed.id,
                lead_id=r.lead.id if r.lead else None,
                status=AdmissionStatus.ACTIVE,
                scheduled_move_in_date=r.move_in,
                admitted_at=on_day(r.move_in, 15),
                expected_length_days=180,
                intake_by_user_id=ctx.case_manager.id,
                billing_frequency=BillingFrequency.WEEKLY,
                rate_config_id=rate.id,
                payer_config_id=r.payer.id if r.payer else None,
                intake_notes=notes,
            )
        elif r.status is ResidentStatus.DISCHARGED:
            assert r.bed is not None and r.move_in is not None and r.move_out is not None
            r.admission = ctx.new(
                AdmissionFactory.build,
                plan=r,
                bed_id=r.bed.id,
                status=AdmissionStatus.COMPLETED,
                scheduled_move_in_date=r.move_in,
                admitted_at=on_day(r.move_in, 15),
                ended_at=on_day(r.move_out, 12),
                expected_length_days=120,
                intake_by_user_id=ctx.case_manager.id,
                rate_config_id=rate.id,
                intake_notes=notes,
            )
        else:
            # The waitlisted resident had an earlier pending admission that was cancelled.
            r.admission = ctx.new(
                AdmissionFactory.build,
                plan=r,
                status=AdmissionStatus.CANCELLED,
                scheduled_move_in_date=day_of(-10),
                intake_notes=notes,
                cancellation_reason=ctx.p(
                    f"{r.person.first} was readmitted to inpatient care the day before move-in."
                ),
            )
    ctx.flush()


def bed_occupancies(ctx: SeedContext) -> None:
    """Each placed admission holds its bed for its stay, so the bed board and the
    no-double-booking constraint see the demo residents."""
    ctx.flush()
    for r in ctx.residents:
        if r.admission is not None and r.admission.bed_id is not None and r.move_in is not None:
            end = None if r.current else r.move_out
            ctx.track(admission_svc.record_stay(ctx.s, ctx.nid(), r.admission, r.move_in, end))
