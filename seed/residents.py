"""Residents and their lifecycle: status history, bed transfers, discharges, the waitlist."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from core.enums import (
    DischargeReason,
    HouseGender,
    PayerType,
    Priority,
    ResidentStatus,
    UserRole,
    WaitlistStatus,
)
from models.orgs import Bed
from models.resident_tracking import BedTransfer, Discharge, ResidentStatusHistory, WaitlistEntry
from models.residents import Resident
from seed.context import BLOCK, Plan, SeedContext, day_at, day_of, on_day
from seed.factories.people import (
    ALLERGIES,
    DIAGNOSES,
    INSURERS,
    LEGAL,
    MEDICATIONS,
    OPIOIDS,
    SUBSTANCES,
    RoleAssignmentFactory,
    UserFactory,
    birth_date,
)

# A status change: from, to, when, why.
Step = tuple[ResidentStatus | None, ResidentStatus, datetime, str | None]


def residents(ctx: SeedContext) -> None:
    for b in range(ctx.scale):
        _plan_block(ctx, b)
    for r in ctx.residents:
        _profile(ctx, r)
    ctx.flush()
    # The resident login belongs to the first resident.
    first_res = ctx.residents[0]
    email = ctx.p(f"{UserRole.RESIDENT.value}@{ctx.slug}.example.com")
    user = ctx.new(
        UserFactory.build,
        email=email,
        person=first_res.person,
        password_hash=ctx.password_hash,
        resident_id=first_res.id,
    )
    ctx.users[UserRole.RESIDENT] = user
    ctx.emails[UserRole.RESIDENT] = email
    ctx.flush()
    ctx.new(RoleAssignmentFactory.build, user=user, role=UserRole.RESIDENT)


def _plan_block(ctx: SeedContext, b: int) -> None:
    """Block `b` of eight (see BLOCK): current residents in the even beds of their house, the
    discharged one's bed 3, no bed for the waitlisted one."""
    men_house, women_house = ctx.houses[2 * b], ctx.houses[2 * b + 1]
    slot = {men_house.id: 0, women_house.id: 0}
    for i, status in enumerate(BLOCK):
        gender = HouseGender.MEN if i % 2 == 0 else HouseGender.WOMEN
        house = men_house if gender is HouseGender.MEN else women_house
        beds = ctx.house_beds[house.id]
        bed: Bed | None = None
        move_in: date | None = None
        move_out: date | None = None
        if status in (ResidentStatus.ACTIVE, ResidentStatus.ON_PASS):
            bed = beds[2 * slot[house.id]]
            slot[house.id] += 1
            move_in = day_of(-ctx.rng.randint(35, 200))
        elif status is ResidentStatus.DISCHARGED:
            bed = beds[3]
            move_in = day_of(-ctx.rng.randint(120, 240))
            move_out = day_of(-ctx.rng.randint(15, 30))
        ctx.residents.append(
            Plan(
                id=ctx.nid(),
                n=len(ctx.residents) + 1,
                i=i,
                person=ctx.person(gender),
                status=status,
                gender=gender,
                house=house,
                bed=bed,
                move_in=move_in,
                move_out=move_out,
                substance=ctx.pick(SUBSTANCES),
                weekly_rate=25000 if bed is not None and bed is beds[4] else 22500,
            )
        )


def _profile(ctx: SeedContext, r: Plan) -> None:
    """The resident's row: PHI drawn from the fixed vocabularies; position 4 funded by the
    recovery court."""
    sub = ctx.p(r.substance)
    second = ctx.p(ctx.pick([x for x in SUBSTANCES if x != sub]))
    meds = [ctx.pick(MEDICATIONS)] if sub in OPIOIDS else []
    for m in meds:
        ctx.p(m["prescriber"])
    court = r.i == 4
    if court:
        r.payer = ctx.court_payer
    first = r.person.first
    men = r.gender is HouseGender.MEN
    ctx.add(
        Resident(
            id=r.id,
            org_id=ctx.org_id,
            resident_number=f"R-{r.n:05d}",
            first_name=r.person.first,
            last_name=r.person.last,
            preferred_name=ctx.p(f"{first[:4]}ie") if r.n % 3 == 0 else None,
            date_of_birth=birth_date(),
            email=ctx.email_for(r.person),
            phone=ctx.phone(),
            ssn_last4=ctx.p(f"{ctx.rng.randint(1000, 9999)}"),
            gender_identity="man" if men else "woman",
            pronouns="he/him" if men else "she/her",
            prior_address=ctx.address(),
            emergency_medical_info=ctx.p(
                f"{first} carries naloxone; history of {sub} overdose in "
                f"{ctx.rng.randint(2019, 2025)}. Seizure precautions; physician "
                f"Dr. Ophelia Strandberg, (828) 555-01{ctx.rng.randint(0, 99):02d}."
            ),
            primary_substance=sub,
            drugs_of_choice=[sub, second],
            diagnoses=[ctx.p(DIAGNOSES[sub])],
            medications=meds,
            allergies=[ctx.pick(ALLERGIES)],
            sobriety_date=(r.move_in or day_of(-20)) - timedelta(days=ctx.rng.randint(10, 90)),
            legal_status=ctx.p(ctx.pick(LEGAL)),
            insurance_carrier=ctx.p(ctx.pick(INSURERS)),
            insurance_member_id=ctx.p(f"MBR{ctx.rng.randint(10**8, 10**9 - 1)}"),
            insurance_group_number=ctx.p(f"GRP-{ctx.rng.randint(10000, 99999)}"),
            status=r.status,
            housing_gender=r.gender,
            current_house_id=r.house.id if r.current else None,
            current_bed_id=r.bed.id if r.current and r.bed is not None else None,
            move_in_date=r.move_in,
            move_out_date=r.move_out,
            primary_payer_type=PayerType.COURT if court else PayerType.SELF_PAY,
            payer_config_id=ctx.court_payer.id if court else None,
        )
    )


def lifecycle(ctx: SeedContext) -> None:
    for r in ctx.residents:
        _status_history(ctx, r)
    for b in range(ctx.scale):
        block = ctx.residents[8 * b : 8 * b + 8]
        _transfer(ctx, block[0])
        _discharge(ctx, block[6])
        _waitlist(ctx, b, block)


def _status_history(ctx: SeedContext, r: Plan) -> None:
    """Applicant, then admitted and active (or waitlisted), then on pass or discharged."""
    adm = r.admission
    assert adm is not None
    first = r.person.first
    start = on_day(r.move_in, 14) if r.move_in else day_at(-12, 10)
    steps: list[Step] = [(None, ResidentStatus.APPLICANT, start - timedelta(days=5), None)]
    if r.status is ResidentStatus.WAITLISTED:
        why = ctx.p(f"{first} returned to inpatient care; keep on the women's house list.")
        steps.append((ResidentStatus.APPLICANT, ResidentStatus.WAITLISTED, day_at(-9, 9), why))
    else:
        steps.append((ResidentStatus.APPLICANT, ResidentStatus.ADMITTED, start, None))
        steps.append((ResidentStatus.ADMITTED, ResidentStatus.ACTIVE, start + timedelta(hours=2), None))
    if r.status is ResidentStatus.ON_PASS:
        steps.append((ResidentStatus.ACTIVE, ResidentStatus.ON_PASS, day_at(-1, 10), None))
    if r.status is ResidentStatus.DISCHARGED:
        assert r.move_out is not None
        why = ctx.p(f"{first} used {r.substance} at the house; declined residential care.")
        steps.append((ResidentStatus.ACTIVE, ResidentStatus.DISCHARGED, on_day(r.move_out, 12), why))
    for frm, to, when, reason in steps:
        ctx.new(
            ResidentStatusHistory,
            resident_id=r.id,
            admission_id=adm.id if to is not ResidentStatus.APPLICANT else None,
            from_status=frm,
            to_status=to,
            occurred_at=when,
            changed_by=ctx.case_manager.id,
            source="user",
            reason=reason,
        )


def _transfer(ctx: SeedContext, mover: Plan) -> None:
    """The block's first resident moved from bed 1 to bed 0 of their house."""
    assert mover.admission is not None and mover.bed is not None
    beds = ctx.house_beds[mover.house.id]
    ctx.new(
        BedTransfer,
        resident_id=mover.id,
        admission_id=mover.admission.id,
        from_bed_id=beds[1].id,
        to_bed_id=mover.bed.id,
        from_house_id=mover.house.id,
        to_house_id=mover.house.id,
        effective_at=day_at(-20, 11),
        completed_at=day_at(-20, 13),
        requested_by_user_id=ctx.house_manager.id,
        approved_by_user_id=ctx.users[UserRole.PROPERTY_MANAGER].id,
        reason=ctx.p(f"{mover.person.first} asked to move after a roommate conflict over night shifts."),
    )


def _discharge(ctx: SeedContext, gone: Plan) -> None:
    assert gone.admission is not None and gone.move_out is not None
    stay_days = (gone.move_out - (gone.move_in or gone.move_out)).days
    ctx.new(
        Discharge,
        resident_id=gone.id,
        admission_id=gone.admission.id,
        house_id=gone.house.id,
        bed_id=gone.bed.id if gone.bed else None,
        discharged_at=on_day(gone.move_out, 12),
        reason=DischargeReason.RELAPSE,
        is_planned=False,
        discharged_by_user_id=ctx.house_manager.id,
        approved_by_user_id=ctx.users[UserRole.EXECUTIVE_DIRECTOR].id,
        eligible_for_readmission=True,
        readmission_eligible_date=gone.move_out + timedelta(days=30),
        belongings_hold_until_date=gone.move_out + timedelta(days=14),
        deposit_refund_cents=35000,
        reason_details=ctx.p(
            f"{gone.person.first} had a positive screen for {gone.substance} and admitted use "
            f"at a family gathering."
        ),
        summary=ctx.p(
            f"{gone.person.full} stayed {stay_days} days, "
            f"completed phase one and held a job at a bakery before the relapse."
        ),
        aftercare_plan=ctx.p(
            f"Intensive outpatient three evenings a week; continue MOUD; {gone.person.first} "
            f"to call "
            f"sponsor daily."
        ),
        referred_to=ctx.p("Blue Ridge Intensive Outpatient Program"),
        forwarding_address=ctx.address(),
        forwarding_phone=ctx.phone(),
    )


def _waitlist(ctx: SeedContext, b: int, block: list[Plan]) -> None:
    """The block's waitlisted resident; a bed offered to the lead in screening; the placed
    entry of the second resident, who came in as a lead."""
    waiting = block[7]
    ctx.new(
        WaitlistEntry,
        resident_id=waiting.id,
        house_id=waiting.house.id,
        housing_gender=waiting.gender,
        status=WaitlistStatus.WAITING,
        priority=Priority.HIGH,
        added_at=day_at(-9, 9),
        requested_move_in_date=day_of(10),
        notes=ctx.p(f"{waiting.person.first} expects discharge from inpatient care in about ten days."),
    )
    women = ctx.houses[2 * b + 1]
    for lead in [lead for block_no, lead in ctx.screening_leads if block_no == b]:
        ctx.new(
            WaitlistEntry,
            lead_id=lead.id,
            house_id=women.id,
            housing_gender=HouseGender.WOMEN,
            status=WaitlistStatus.OFFERED,
            priority=Priority.NORMAL,
            added_at=day_at(-6, 9),
            requested_move_in_date=day_of(5),
            offered_bed_id=ctx.house_beds[women.id][5].id,
            offered_at=day_at(-1, 16),
            offer_expires_at=day_at(2, 16),
            notes=ctx.p("Court liaison confirmed the referral; offer sent by phone and email."),
        )
    placed = block[1]
    if placed.lead is not None and placed.admission is not None:
        moved_in = placed.move_in or day_of(-60)
        ctx.new(
            WaitlistEntry,
            lead_id=placed.lead.id,
            house_id=placed.house.id,
            housing_gender=placed.gender,
            status=WaitlistStatus.PLACED,
            added_at=on_day(moved_in, 9) - timedelta(days=12),
            placed_at=on_day(moved_in, 15),
            admission_id=placed.admission.id,
        )
