"""42 CFR Part 2 consents and disclosures, BAAs, breach response, access requests, break-glass."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from core.contracts.consent import (
    NOTICE_VERSION,
    ConsentScopeCopy,
    CounselingSessionKind,
    ExpiryEvent,
    InformationClass,
    NoticeStatement,
    Purpose,
    RecipientClass,
    RecipientKind,
    RestrictionStatus,
    RevocationMethod,
)
from core.enums import (
    BaaStatus,
    BreachRiskLevel,
    BreachStatus,
    BreakGlassReviewOutcome,
    ConsentStatus,
    ConsentType,
    ContactRelationship,
    DataAccessRequestType,
    DisclosureMethod,
    PatientNoticeType,
    RequestStatus,
    UserRole,
)
from models.compliance import BaaRecord, BreachIncident, Consent, ConsentDisclosure, PatientNotice
from models.compliance_extended import BreakGlassEvent, DataAccessRequest, DisclosureAccountingRequest
from models.part2 import CareTeamMember, CounselingNote, DisclosureRestriction
from models.users import User
from seed.context import Plan, SeedContext, day_at, day_of, on_day
from seed.factories.compliance import BaaRecordFactory, ConsentFactory, ResidentContactFactory
from seed.factories.people import CONTACT_RELATIONS, Person


def consents(ctx: SeedContext) -> None:
    """Every current resident's treatment consent; position 2's family, position 3's revoked
    employer and position 4's court consent; everyone's contacts; disclosures and notices."""
    family: dict[uuid.UUID, Consent] = {}
    for r in ctx.residents:
        if not r.current:
            continue
        r.consent = _treatment_consent(ctx, r)
        if r.i == 2:
            family[r.id] = _family_consent(ctx, r)
        if r.i == 4:
            _court_consent(ctx, r)
        if r.i == 3:
            _employer_consent(ctx, r)
    ctx.flush()
    for idx, r in enumerate(ctx.residents):
        _contacts(ctx, r, idx, family.get(r.id))
    for r in ctx.residents:
        if r.current and r.consent is not None:
            _disclosure_and_notice(ctx, r, r.consent)
    ctx.flush()


def _treatment_consent(ctx: SeedContext, r: Plan) -> Consent:
    assert r.move_in is not None
    provider = ctx.person()
    return ctx.new(
        ConsentFactory.build,
        plan=r,
        consent_type=ConsentType.TREATMENT,
        discloser=ctx.p(f"Staff of {r.house.name}"),
        information_classes=[
            InformationClass.DRUG_TESTS,
            InformationClass.ATTENDANCE,
            InformationClass.INCIDENT_REPORTS,
        ],
        purposes=[Purpose.CARE_COORDINATION],
        signed_at=on_day(r.move_in, 16),
        recipient_name=ctx.p(f"Dr. {provider.full}"),
        recipient_organization=ctx.p("Blue Ridge Intensive Outpatient Program"),
        recipient_is_entity=False,
        purpose=ctx.p(f"Coordinate {r.person.first}'s outpatient treatment and medication management"),
        information_scope=ctx.p("Drug screen results, meeting attendance and house incident reports"),
        expires_at=on_day(r.move_in, 16) + timedelta(days=365),
        signature_id=ctx.consent_signatures[r.id].id,
        document_id=ctx.consent_docs[r.id].id,
    )


def _family_consent(ctx: SeedContext, r: Plan) -> Consent:
    parent = ctx.person()
    return ctx.new(
        ConsentFactory.build,
        plan=r,
        consent_type=ConsentType.FAMILY,
        information_classes=[InformationClass.RESIDENCY_STATUS, InformationClass.ATTENDANCE],
        purposes=[Purpose.FAMILY_INVOLVEMENT],
        expiry_event=ExpiryEvent.END_OF_TREATMENT,
        recipient_name=ctx.p(parent.full),
        purpose=ctx.p(f"Let {parent.first} know whether {r.person.first} is attending meetings"),
        information_scope=ctx.p("Residency status and meeting attendance only"),
        expiration_event=ctx.p(f"{r.person.first}'s discharge from {r.house.name}"),
    )


def _court_consent(ctx: SeedContext, r: Plan) -> None:
    ctx.new(
        ConsentFactory.build,
        plan=r,
        consent_type=ConsentType.COURT,
        recipient_kind=RecipientKind.NAMED,
        information_classes=[InformationClass.DRUG_TESTS, InformationClass.RESIDENCY_STATUS],
        purposes=[Purpose.CRIMINAL_JUSTICE_SUPERVISION],
        expiry_event=ExpiryEvent.CONDITION,
        recipient_name=ctx.p("Coordinator, District 28 treatment court"),
        recipient_organization=ctx.p("District 28 Adult Treatment Court"),
        recipient_is_entity=True,
        purpose=ctx.p(f"Compliance reporting for {r.person.first}'s recovery court agreement"),
        information_scope=ctx.p("Drug screen results, curfew compliance and discharge date"),
        expires_at=day_at(240, 12),
        expiration_event=ctx.p("Completion of the recovery court program"),
    )


def _employer_consent(ctx: SeedContext, r: Plan) -> None:
    employer = ctx.person()
    ctx.new(
        ConsentFactory.build,
        plan=r,
        consent_type=ConsentType.EMPLOYER,
        status=ConsentStatus.REVOKED,
        information_classes=[InformationClass.RESIDENCY_STATUS],
        purposes=[Purpose.EMPLOYMENT],
        revocation_method=RevocationMethod.WRITTEN_UPLOAD,
        recipient_name=ctx.p(employer.full),
        recipient_organization=ctx.p("Riverbend Bakery and Cafe"),
        purpose=ctx.p(f"Verify {r.person.first}'s residence for a work schedule accommodation"),
        information_scope=ctx.p("Confirmation of residence only"),
        expires_at=day_at(60, 12),
        revoked_at=day_at(-5, 15),
        revocation_reason=ctx.p(f"{r.person.first} changed jobs and no longer wants the employer contacted"),
    )


def _contacts(ctx: SeedContext, r: Plan, idx: int, family: Consent | None) -> None:
    """An emergency contact for everyone (the consented parent for position 2), a sponsor for
    current residents, a probation officer for position 4."""
    contact = ctx.person()
    ctx.new(
        ResidentContactFactory.build,
        plan=r,
        person=contact,
        relationship_type=CONTACT_RELATIONS[idx % len(CONTACT_RELATIONS)],
        phone=ctx.phone(),
        alternate_phone=ctx.phone() if idx % 2 == 0 else None,
        email=ctx.email_for(contact),
        address=ctx.address(),
        notes=ctx.p(f"Call {contact.first} first in an emergency; prefers text after 6pm."),
        is_emergency_contact=True,
        is_primary=True,
        consent_id=family.id if family is not None else None,
    )
    if r.current:
        sponsor = ctx.person(r.gender)
        notes = ctx.p(f"{sponsor.first} has sponsored {r.person.first} since treatment.")
        _contact(ctx, r, sponsor, ContactRelationship.SPONSOR, notes=notes)
    if r.i == 4:
        office = ctx.p("Buncombe County Adult Probation Office")
        _contact(ctx, r, ctx.person(), ContactRelationship.PROBATION_OFFICER, organization_name=office)


def _contact(ctx: SeedContext, r: Plan, who: Person, relationship: ContactRelationship, **more: Any) -> None:
    ctx.new(
        ResidentContactFactory.build,
        plan=r,
        person=who,
        relationship_type=relationship,
        phone=ctx.phone(),
        **more,
    )


def _disclosure_and_notice(ctx: SeedContext, r: Plan, consent: Consent) -> None:
    """Odd numbers' treatment provider got their screens under the consent; everyone was given
    the patient notice at move-in (position 3 refused to sign for it)."""
    assert r.move_in is not None
    if r.n % 2 == 1:
        ctx.add(
            ConsentDisclosure(
                id=ctx.nid(),
                org_id=ctx.org_id,
                consent_id=consent.id,
                resident_id=r.id,
                disclosed_at=day_at(-ctx.rng.randint(2, 20), 14),
                disclosed_by_user_id=ctx.case_manager.id,
                recipient=ctx.p("Blue Ridge Intensive Outpatient Program, attn. intake team"),
                information_disclosed=ctx.p(
                    f"{r.person.first}'s last four drug screen results (all negative) and meeting log"
                ),
                purpose=ctx.p("Treatment coordination under the signed consent"),
                method=DisclosureMethod.ELECTRONIC,
                information_classes=[InformationClass.DRUG_TESTS, InformationClass.ATTENDANCE],
                purpose_code=Purpose.CARE_COORDINATION,
                redisclosure_notice_included=True,
                notice_statement=NoticeStatement.STATEMENT_2,
                notice_version=NOTICE_VERSION,
                consent_scope_copy=ConsentScopeCopy.COPY_OF_CONSENT,
            )
        )
    delivered = on_day(r.move_in, 15)
    refused = r.i == 3
    ctx.new(
        PatientNotice,
        resident_id=r.id,
        notice_type=PatientNoticeType.COMBINED,
        notice_version="2026-01",
        delivered_at=delivered,
        acknowledged_at=None if refused else delivered + timedelta(minutes=20),
        method=DisclosureMethod.IN_PERSON,
        refusal_note=ctx.p(
            f"{r.person.first} took a copy but declined to sign the acknowledgement; staff "
            f"explained the notice verbally."
        )
        if refused
        else None,
    )


def compliance(ctx: SeedContext) -> None:
    officer = ctx.users[UserRole.COMPLIANCE_OFFICER]
    current = [r for r in ctx.residents if r.current]
    hosting = _baas(ctx)
    ctx.flush()
    _breach(ctx, officer, hosting, current[:2])
    _accounting_requests(ctx, officer, current)
    for k, r in enumerate(current[:3]):
        _access_request(ctx, officer, r, k)
    occurred = day_at(-4, 2, 30)
    ctx.new(
        BreakGlassEvent,
        user_id=ctx.users[UserRole.PEER_SUPPORT].id,
        resident_id=current[-1].id,
        reason=ctx.p(
            f"Suspected overdose: {current[-1].person.first} unresponsive; EMS asked for medications."
        ),
        occurred_at=occurred,
        expires_at=occurred + timedelta(hours=4),
        created_at=occurred,
        reviewed_by_user_id=officer.id,
        reviewed_at=occurred + timedelta(days=1),
        review_outcome=BreakGlassReviewOutcome.JUSTIFIED,
        review_notes=ctx.p("Access limited to the medication list and emergency contact; appropriate."),
    )
    ctx.flush()


def _baas(ctx: SeedContext) -> BaaRecord:
    """The hosting vendor's (returned) and the lab's, and a fax relay's, terminated."""
    vendor_contact = ctx.person()
    lab_contact = ctx.person()

    def agreement(
        vendor: str, services: str, signed: int, expires: int, contact: Person | None = None, **more: Any
    ) -> BaaRecord:
        return ctx.new(
            BaaRecordFactory.build,
            vendor_name=vendor,
            services_description=services,
            signed_date=day_of(signed),
            expires_date=day_of(expires),
            contact=contact,
            contact_email=ctx.email_for(contact) if contact else None,
            **more,
        )

    hosting = agreement(
        "Nimbus Cloud Hosting LLC",
        "Managed database and object storage hosting",
        -300,
        430,
        is_qso=False,
        contact=vendor_contact,
    )
    agreement(
        "Piedmont Toxicology Laboratories",
        "Urine drug testing and confirmation",
        -500,
        230,
        is_qso=True,
        contact=lab_contact,
    )
    agreement(
        "Paperless Fax Relay Inc.",
        "Fax to email gateway (retired)",
        -900,
        -100,
        status=BaaStatus.TERMINATED,
        terminated_date=day_of(-120),
    )
    return hosting


def _breach(ctx: SeedContext, officer: User, hosting: BaaRecord, affected: list[Plan]) -> None:
    discovered = day_at(-12, 10)
    ctx.new(
        BreachIncident,
        occurred_at=discovered - timedelta(days=3),
        discovered_at=discovered,
        reported_by_user_id=officer.id,
        status=BreachStatus.RISK_ASSESSED,
        risk_level=BreachRiskLevel.MODERATE,
        baa_record_id=hosting.id,
        involves_part2=True,
        description=ctx.p(
            "A storage link to two residents' intake packets was shared with an unauthorised "
            f"recipient; packets named {' and '.join(r.person.full for r in affected)}."
        ),
        phi_involved=ctx.p("Names, dates of birth, substance use history and insurance member numbers"),
        root_cause=ctx.p(
            "Pre-signed link lifetime was set to 30 days instead of 15 minutes by a vendor script"
        ),
        mitigation=ctx.p("Link revoked, object keys rotated, vendor script fixed and access logs reviewed"),
        affected_count=len(affected),
        affected_resident_ids=[str(r.id) for r in affected],
        notification_deadline_at=discovered + timedelta(days=50),
    )


def _accounting_requests(ctx: SeedContext, officer: User, current: list[Plan]) -> None:
    """The first resident's fulfilled request for an accounting of disclosures; the second's,
    just received."""
    requester = current[0]
    ctx.new(
        DisclosureAccountingRequest,
        resident_id=requester.id,
        received_by_user_id=officer.id,
        requested_at=day_at(-20, 11),
        due_at=day_at(40, 11),
        status=RequestStatus.FULFILLED,
        period_start_date=day_of(-365 * 6),
        period_end_date=day_of(-20),
        fulfilled_at=day_at(-5, 15),
        response_file_id=ctx.id_scans[requester.id].id,
        notes=ctx.p(f"{requester.person.first} asked in person for every disclosure to the court or family."),
    )
    if len(current) > 1:
        ctx.new(
            DisclosureAccountingRequest,
            resident_id=current[1].id,
            received_by_user_id=officer.id,
            requested_at=day_at(-3, 11),
            due_at=day_at(57, 11),
            status=RequestStatus.RECEIVED,
            period_start_date=day_of(-365),
            period_end_date=day_of(-3),
        )


def _access_request(ctx: SeedContext, officer: User, r: Plan, k: int) -> None:
    """The `k`th current resident's: an access request under way, a denied amendment, a
    fulfilled request for confidential communication."""
    requested = day_at(-10 - k, 10)
    first = r.person.first
    more: dict[str, Any]
    if k == 0:
        kind, days, status = DataAccessRequestType.ACCESS, 30, RequestStatus.IN_PROGRESS
        more = {
            "extended_due_at": requested + timedelta(days=55),
            # 164.524(b)(2)(ii): the one extension is given in writing with its reason.
            "extension_reason": ctx.p(f"{first}'s screens before this year are held by the old lab."),
            "extension_notified_at": requested + timedelta(days=12),
            "details": ctx.p(f"{first} wants copies of all drug screen results since move-in."),
        }
    elif k == 1:
        kind, days, status = DataAccessRequestType.AMENDMENT, 60, RequestStatus.DENIED
        more = {
            "details": ctx.p(f"{first} asks to remove the conflict incident from the record."),
            "denial_reason": ctx.p(
                "The incident report is accurate and complete; statement of disagreement offered."
            ),
        }
    else:
        kind, days, status = DataAccessRequestType.CONFIDENTIAL_COMMUNICATION, 20, RequestStatus.FULFILLED
        more = {
            "fulfilled_at": requested + timedelta(days=2),
            "details": ctx.p(f"{first} asks that mail go to a PO box, not the family home."),
        }
    ctx.new(
        DataAccessRequest,
        request_type=kind,
        resident_id=r.id,
        received_by_user_id=officer.id,
        requested_at=requested,
        due_at=requested + timedelta(days=days),
        status=status,
        **more,
    )


def part2_records(ctx: SeedContext) -> None:
    """The case manager is on every current resident's care team; position 1 has a counseling
    note; position 2 asked that their health plan not be told about services they paid for."""
    for r in ctx.residents:
        if not r.current:
            continue
        assert r.move_in is not None
        ctx.new(
            CareTeamMember,
            resident_id=r.id,
            user_id=ctx.case_manager.id,
            role="case_manager",
            started_at=on_day(r.move_in, 10),
        )
        if r.i == 1:
            ctx.new(
                CounselingNote,
                resident_id=r.id,
                author_user_id=ctx.case_manager.id,
                session_date=day_of(-3),
                session_kind=CounselingSessionKind.INDIVIDUAL,
                body=ctx.p(f"{r.person.first} talked through a craving episode after a family call."),
            )
        if r.i == 2:
            ctx.new(
                DisclosureRestriction,
                resident_id=r.id,
                requested_at=day_at(-9, 11),
                received_by_user_id=ctx.case_manager.id,
                recipient_class=RecipientClass.HEALTH_PLAN,
                health_plan_paid_in_full=True,
                status=RestrictionStatus.GRANTED,
                decided_at=day_at(-9, 12),
                decided_by_user_id=ctx.case_manager.id,
                decision_reason=ctx.p("Paid in full out of pocket: the restriction must be granted."),
            )
    ctx.flush()
