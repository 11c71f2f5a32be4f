"""Files, document templates, documents, versions and signatures."""

from __future__ import annotations

import secrets
from datetime import timedelta

from core.enums import (
    DocumentStatus,
    DocumentType,
    SignatureStatus,
)
from models.documents import Document, DocumentTemplate, RetentionPolicy, Signature
from models.documents_extended import DocumentVersion
from seed.context import Plan, SeedContext, day_at, day_of, on_day, sha


def documents(ctx: SeedContext) -> None:
    def slug_of(r: Plan) -> str:
        return f"{r.person.first}_{r.person.last}".lower().replace("-", "_")

    ctx.id_scans = {}
    ctx.signed_pdfs = {}
    for r in ctx.residents:
        ctx.id_scans[r.id] = ctx.file(f"{slug_of(r)}_state_id_scan.pdf", "application/pdf", r)
        if r.current:
            ctx.signed_pdfs[r.id] = ctx.file(
                f"{slug_of(r)}_residency_agreement_signed.pdf", "application/pdf", r, part2=True
            )
    ctx.misc_file = ctx.file("kitchen_window_damage_photo.jpg", "image/jpeg", None)
    ctx.flush()

    templates: dict[str, DocumentTemplate] = {}
    specs = [
        (
            "Residency agreement",
            DocumentType.RESIDENCY_AGREEMENT,
            1,
            False,
            ["resident", "house_manager"],
        ),
        ("Residency agreement", DocumentType.RESIDENCY_AGREEMENT, 2, True, ["resident", "house_manager"]),
        ("House rules", DocumentType.HOUSE_RULES, 1, True, ["resident"]),
        ("Part 2 consent to disclose", DocumentType.CONSENT_FORM, 1, True, ["resident"]),
        (
            "Payment agreement",
            DocumentType.PAYMENT_AGREEMENT,
            1,
            True,
            ["resident", "billing_specialist"],
        ),
    ]
    for name, dtype, version, active, signers in specs:
        t = ctx.new(
            DocumentTemplate,
            name=name,
            document_type=dtype,
            description=f"{name}, version {version}",
            body_template=(
                f"{name}\n\nThis agreement is between {{{{ org.name }}}} and "
                "{{ resident.first_name }} {{ resident.last_name }}, effective {{ date }}."
            ),
            version=version,
            is_active=active,
            required_signers=signers,
            is_part2=dtype is not DocumentType.HOUSE_RULES,
        )
        if active:
            templates[name] = t
    for dtype, years, basis, frm in [
        (
            DocumentType.RESIDENCY_AGREEMENT,
            7,
            "State licensing rule: resident records 7 years after discharge",
            "discharge",
        ),
        (DocumentType.CONSENT_FORM, 6, "45 CFR 164.316(b)(2) and 42 CFR 2.31: 6 years", "expired"),
        (DocumentType.DISCHARGE_SUMMARY, 7, "State licensing rule: 7 years", "created"),
        (DocumentType.INCIDENT_REPORT, 7, "Insurance carrier requirement: 7 years", "created"),
        (DocumentType.HOUSE_RULES, 3, "Operational policy", "signed"),
    ]:
        ctx.new(
            RetentionPolicy,
            document_type=dtype,
            retain_years=years,
            retain_from=frm,
            legal_basis=basis,
        )
    ctx.flush()

    agreement = templates["Residency agreement"]
    consent_t = templates["Part 2 consent to disclose"]
    ctx.consent_signatures = {}
    ctx.consent_docs = {}
    docs: list[tuple[Document, str, Plan | None]] = []
    sigs: list[Signature] = []
    for r in ctx.residents:
        if not r.current:
            continue
        assert r.move_in is not None
        signed_at = on_day(r.move_in, 16)
        body = ctx.p(
            f"Residency agreement between {ctx.name} and {r.person.full} for {r.house.name}, "
            f"weekly rent ${r.weekly_rate / 100:.2f}, move-in {r.move_in.isoformat()}."
        )
        doc = ctx.new(
            Document,
            resident_id=r.id,
            template_id=agreement.id,
            template_version=2,
            document_type=DocumentType.RESIDENCY_AGREEMENT,
            status=DocumentStatus.SIGNED,
            title="Residency agreement",
            content=body,
            file_upload_id=ctx.signed_pdfs[r.id].id,
            content_sha256=sha(body),
            completed_at=signed_at + timedelta(hours=1),
            retention_until_date=day_of(7 * 365),
        )
        docs.append((doc, body, r))
        consent_body = ctx.p(
            f"I, {r.person.full}, authorize {ctx.name} to disclose attendance and drug screen results "
            f"to my treatment provider. Expires one year from signing."
        )
        cdoc = ctx.new(
            Document,
            resident_id=r.id,
            template_id=consent_t.id,
            template_version=1,
            document_type=DocumentType.CONSENT_FORM,
            status=DocumentStatus.SIGNED,
            title="Consent to disclose (42 CFR Part 2)",
            content=consent_body,
            content_sha256=sha(consent_body),
            completed_at=signed_at,
            expires_at=signed_at + timedelta(days=365),
        )
        docs.append((cdoc, consent_body, r))
        ctx.consent_docs[r.id] = cdoc
    # A pending house-rules acknowledgement and an org-wide draft.
    pending_res = next(r for r in ctx.residents if r.current)
    rules_body = ctx.p(
        f"House rules acknowledgement for {pending_res.person.full}: curfew, chores, meetings, "
        f"random screening, visitors on weekends only."
    )
    pending_doc = ctx.new(
        Document,
        resident_id=pending_res.id,
        template_id=templates["House rules"].id,
        template_version=1,
        document_type=DocumentType.HOUSE_RULES,
        status=DocumentStatus.PENDING_SIGNATURE,
        title="House rules acknowledgement",
        content=rules_body,
        expires_at=day_at(7, 17),
        is_part2=False,
    )
    docs.append((pending_doc, rules_body, pending_res))
    posted = "House rules (posted copy): quiet hours 10pm to 7am; chores by Sunday evening."
    org_doc = ctx.new(
        Document,
        document_type=DocumentType.HOUSE_RULES,
        status=DocumentStatus.DRAFT,
        title="House rules (posted copy)",
        content=posted,
        is_part2=False,
    )
    docs.append((org_doc, posted, None))
    ctx.flush()

    ip = f"198.51.100.{ctx.rng.randint(2, 250)}"
    ctx.p(ip)
    for doc, body, dr in docs:
        ctx.new(
            DocumentVersion,
            document_id=doc.id,
            version_no=1,
            content=body,
            content_sha256=sha(body),
            file_upload_id=ctx.signed_pdfs[dr.id].id
            if dr is not None and doc.document_type is DocumentType.RESIDENCY_AGREEMENT
            else None,
            change_summary=ctx.p(f"Generated from template for {dr.person.full}") if dr is not None else None,
        )
        if dr is None:
            continue
        if doc.status is DocumentStatus.SIGNED:
            assert dr.move_in is not None
            signed_at = on_day(dr.move_in, 16)
            sig = ctx.new(
                Signature,
                document_id=doc.id,
                signer_resident_id=dr.id,
                signer_role="resident",
                signer_name=dr.person.full,
                signer_email=ctx.email_for(dr.person),
                status=SignatureStatus.SIGNED,
                signing_order=1,
                viewed_at=signed_at - timedelta(minutes=10),
                esign_consent_at=signed_at - timedelta(minutes=5),
                signed_at=signed_at,
                typed_signature=dr.person.full,
                ip_address=ip,
                user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)",
                signed_content_sha256=sha(body),
            )
            sigs.append(sig)
            if doc.document_type is DocumentType.CONSENT_FORM:
                ctx.consent_signatures[dr.id] = sig
            else:
                ctx.new(
                    Signature,
                    document_id=doc.id,
                    signer_user_id=ctx.house_manager.id,
                    signer_role="house_manager",
                    status=SignatureStatus.SIGNED,
                    signing_order=2,
                    signed_at=signed_at + timedelta(minutes=30),
                    signed_content_sha256=sha(body),
                )
        else:
            ctx.new(
                Signature,
                document_id=doc.id,
                signer_resident_id=dr.id,
                signer_role="resident",
                signer_name=dr.person.full,
                status=SignatureStatus.VIEWED,
                signing_token_hash=sha(secrets.token_urlsafe(32)),
                token_expires_at=day_at(7, 17),
                viewed_at=day_at(-1, 19),
            )
    ctx.flush()


def signature_events(ctx: SeedContext) -> None:
    """A "signed" event per seeded signature and "completed" per signed document, written by
    the signing service as the SignatureRequest workflow writes them."""
    from sqlalchemy import select

    from core.contracts.signing import Evidence
    from services.signing import record_event

    ctx.flush()
    signed = ctx.s.scalars(
        select(Signature).where(Signature.status == SignatureStatus.SIGNED).order_by(Signature.signed_at)
    ).all()
    for sig in signed:
        doc = ctx.s.get(Document, sig.document_id)
        assert doc is not None and sig.signed_at is not None
        ev = Evidence(sig.ip_address, sig.user_agent)
        record_event(ctx.s, doc, "signed", f"{sig.id}:signed", sig.signed_at, sig=sig, evidence=ev)
        ctx.counts["signature_events"] = ctx.counts.get("signature_events", 0) + 1
    for doc_id in sorted({sig.document_id for sig in signed}):
        doc = ctx.s.get(Document, doc_id)
        assert doc is not None
        record_event(ctx.s, doc, "completed", "completed", doc.completed_at or day_at(0))
        ctx.counts["signature_events"] += 1
