"""42 CFR Part 2 consents and disclosures, BAAs, breach response, access requests, break-glass."""

from __future__ import annotations

import uuid
from datetime import timedelta

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
from models.residents import ResidentContact
from seed.context import SeedContext, day_at, day_of, on_day
from seed.factories.people import CONTACT_RELATIONS


def consents(ctx: SeedContext) -> None:
    sponsor_consents: dict[uuid.UUID, Consent] = {}
    for r in ctx.residents:
        if not r.current:
            continue
        assert r.move_in is not None
        provider = ctx.person()
        r.consent = ctx.new(
            Consent,
            resident_id=r.id,
            consent_type=ConsentType.TREATMENT,
            status=ConsentStatus.ACTIVE,
            recipient_name=ctx.p(f"Dr. {provider.full}"),
            recipient_organization=ctx.p("Blue Ridge Intensive Outpatient Program"),
            recipient_is_entity=False,
            purpose=ctx.p(f"Coordinate {r.person.first}'s outpatient treatment and medication management"),
            information_scope=ctx.p("Drug screen results, meeting attendance and house incident reports"),
            effective_date=r.move_in,
            expires_at=on_day(r.move_in, 16) + timedelta(days=365),
            signature_id=ctx.consent_signatures[r.id].id,
            document_id=ctx.consent_docs[r.id].id,
        )
        if r.i == 2:
            parent = ctx.person()
            sponsor_consents[r.id] = ctx.new(
                Consent,
                resident_id=r.id,
                consent_type=ConsentType.FAMILY,
                status=ConsentStatus.ACTIVE,
                recipient_name=ctx.p(parent.full),
                purpose=ctx.p(f"Let {parent.first} know whether {r.person.first} is attending meetings"),
                information_scope=ctx.p("Residency status and meeting attendance only"),
                effective_date=r.move_in,
                expiration_event=ctx.p(f"{r.person.first}'s discharge from {r.house.name}"),
            )
        if r.i == 4:
            ctx.new(
                Consent,
                resident_id=r.id,
                consent_type=ConsentType.COURT,
                status=ConsentStatus.ACTIVE,
                recipient_name=ctx.p("Coordinator, District 28 treatment court"),
                recipient_organization=ctx.p("District 28 Adult Treatment Court"),
                recipient_is_entity=True,
                purpose=ctx.p(f"Compliance reporting for {r.person.first}'s recovery court agreement"),
                information_scope=ctx.p("Drug screen results, curfew compliance and discharge date"),
                effective_date=r.move_in,
                expires_at=day_at(240, 12),
                expiration_event=ctx.p("Completion of the recovery court program"),
            )
        if r.i == 3:
            employer = ctx.person()
            ctx.new(
                Consent,
                resident_id=r.id,
                consent_type=ConsentType.EMPLOYER,
                status=ConsentStatus.REVOKED,
                recipient_name=ctx.p(employer.full),
                recipient_organization=ctx.p("Riverbend Bakery and Cafe"),
                purpose=ctx.p(f"Verify {r.person.first}'s residence for a work schedule accommodation"),
                information_scope=ctx.p("Confirmation of residence only"),
                effective_date=r.move_in,
                expires_at=day_at(60, 12),
                revoked_at=day_at(-5, 15),
                revocation_reason=ctx.p(
                    f"{r.person.first} changed jobs and no longer wants the employer contacted"
                ),
            )
    ctx.flush()
    for idx, r in enumerate(ctx.residents):
        contact = ctx.person()
        ctx.new(
            ResidentContact,
            resident_id=r.id,
            relationship_type=CONTACT_RELATIONS[idx % len(CONTACT_RELATIONS)],
            first_name=contact.first,
            last_name=contact.last,
            phone=ctx.phone(),
            alternate_phone=ctx.phone() if idx % 2 == 0 else None,
            email=ctx.email_for(contact),
            address=ctx.address(),
            notes=ctx.p(f"Call {contact.first} first in an emergency; prefers text after 6pm."),
            is_emergency_contact=True,
            is_primary=True,
            consent_id=sponsor_consents[r.id].id if r.id in sponsor_consents else None,
        )
        if r.current:
            sponsor = ctx.person(r.gender)
            ctx.new(
                ResidentContact,
                resident_id=r.id,
                relationship_type=ContactRelationship.SPONSOR,
                first_name=sponsor.first,
                last_name=sponsor.last,
                phone=ctx.phone(),
                notes=ctx.p(f"{sponsor.first} has sponsored {r.person.first} since treatment."),
            )
        if r.i == 4:
            po = ctx.person()
            ctx.new(
                ResidentContact,
                resident_id=r.id,
                relationship_type=ContactRelationship.PROBATION_OFFICER,
                first_name=po.first,
                last_name=po.last,
                phone=ctx.phone(),
                organization_name=ctx.p("Buncombe County Adult Probation Office"),
            )
    for r in ctx.residents:
        if not r.current or r.consent is None:
            continue
        assert r.move_in is not None
        if r.n % 2 == 1:
            ctx.add(
                ConsentDisclosure(
                    id=ctx.nid(),
                    org_id=ctx.org_id,
                    consent_id=r.consent.id,
                    resident_id=r.id,
                    disclosed_at=day_at(-ctx.rng.randint(2, 20), 14),
                    disclosed_by_user_id=ctx.case_manager.id,
                    recipient=ctx.p("Blue Ridge Intensive Outpatient Program, attn. intake team"),
                    information_disclosed=ctx.p(
                        f"{r.person.first}'s last four drug screen results (all negative) and meeting log"
                    ),
                    purpose=ctx.p("Treatment coordination under the signed consent"),
                    method=DisclosureMethod.ELECTRONIC,
                    redisclosure_notice_included=True,
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
    ctx.flush()


def compliance(ctx: SeedContext) -> None:
    co = ctx.users[UserRole.COMPLIANCE_OFFICER]
    current = [r for r in ctx.residents if r.current]
    vendor_contact = ctx.person()
    lab_contact = ctx.person()
    hosting = ctx.new(
        BaaRecord,
        vendor_name="Nimbus Cloud Hosting LLC",
        services_description="Managed database and object storage hosting",
        is_qso=False,
        status=BaaStatus.ACTIVE,
        signed_date=day_of(-300),
        effective_date=day_of(-300),
        expires_date=day_of(430),
        contact_name=vendor_contact.full,
        contact_email=ctx.email_for(vendor_contact),
    )
    ctx.new(
        BaaRecord,
        vendor_name="Piedmont Toxicology Laboratories",
        services_description="Urine drug testing and confirmation",
        is_qso=True,
        status=BaaStatus.ACTIVE,
        signed_date=day_of(-500),
        effective_date=day_of(-500),
        expires_date=day_of(230),
        contact_name=lab_contact.full,
        contact_email=ctx.email_for(lab_contact),
    )
    ctx.new(
        BaaRecord,
        vendor_name="Paperless Fax Relay Inc.",
        services_description="Fax to email gateway (retired)",
        status=BaaStatus.TERMINATED,
        signed_date=day_of(-900),
        effective_date=day_of(-900),
        expires_date=day_of(-100),
        terminated_date=day_of(-120),
    )
    ctx.flush()
    discovered = day_at(-12, 10)
    affected = current[:2]
    ctx.new(
        BreachIncident,
        occurred_at=discovered - timedelta(days=3),
        discovered_at=discovered,
        reported_by_user_id=co.id,
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
    requester = current[0]
    ctx.new(
        DisclosureAccountingRequest,
        resident_id=requester.id,
        received_by_user_id=co.id,
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
        other = current[1]
        ctx.new(
            DisclosureAccountingRequest,
            resident_id=other.id,
            received_by_user_id=co.id,
            requested_at=day_at(-3, 11),
            due_at=day_at(57, 11),
            status=RequestStatus.RECEIVED,
            period_start_date=day_of(-365),
            period_end_date=day_of(-3),
        )
    for k, r in enumerate(current[:3]):
        requested = day_at(-10 - k, 10)
        if k == 0:
            ctx.new(
                DataAccessRequest,
                request_type=DataAccessRequestType.ACCESS,
                resident_id=r.id,
                received_by_user_id=co.id,
                requested_at=requested,
                due_at=requested + timedelta(days=30),
                extended_due_at=requested + timedelta(days=55),
                status=RequestStatus.IN_PROGRESS,
                details=ctx.p(f"{r.person.first} wants copies of all drug screen results since move-in."),
            )
        elif k == 1:
            ctx.new(
                DataAccessRequest,
                request_type=DataAccessRequestType.AMENDMENT,
                resident_id=r.id,
                received_by_user_id=co.id,
                requested_at=requested,
                due_at=requested + timedelta(days=60),
                status=RequestStatus.DENIED,
                details=ctx.p(f"{r.person.first} asks to remove the conflict incident from the record."),
                denial_reason=ctx.p(
                    "The incident report is accurate and complete; statement of disagreement offered."
                ),
            )
        else:
            ctx.new(
                DataAccessRequest,
                request_type=DataAccessRequestType.CONFIDENTIAL_COMMUNICATION,
                resident_id=r.id,
                received_by_user_id=co.id,
                requested_at=requested,
                due_at=requested + timedelta(days=20),
                status=RequestStatus.FULFILLED,
                fulfilled_at=requested + timedelta(days=2),
                details=ctx.p(f"{r.person.first} asks that mail go to a PO box, not the family home."),
            )
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
        reviewed_by_user_id=co.id,
        reviewed_at=occurred + timedelta(days=1),
        review_outcome=BreakGlassReviewOutcome.JUSTIFIED,
        review_notes=ctx.p("Access limited to the medication list and emergency contact; appropriate."),
    )
    ctx.flush()
