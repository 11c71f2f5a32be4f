"""Money: rates and payers, the chart of accounts, invoices, payments, deposits, refunds, dunning,
reconciliation. Every ledger posting goes through services.ledger; every idempotency key comes from
the builders in services.billing that the billing activities use."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from core.enums import (
    BillingFrequency,
    DepositStatus,
    EntryDirection,
    InvoiceStatus,
    LedgerAccountType,
    LineItemType,
    PayerType,
    PaymentMethodType,
    PaymentStatus,
    ReconciliationStatus,
    RefundStatus,
    ResidentStatus,
    UserRole,
)
from models.payment_extended import (
    PaymentMethod,
    RateConfig,
    ReconciliationRecord,
    Refund,
)
from models.payments import (
    Deposit,
    DepositDeduction,
    Invoice,
    InvoiceLineItem,
    InvoicePayerAllocation,
    LedgerAccount,
    PayerConfig,
    Payment,
)
from seed import dunning
from seed.context import Plan, SeedContext, day_of, on_day
from services import ledger
from services.billing import invoices
from services.billing import keys as billing_svc


def rates_and_payers(ctx: SeedContext) -> None:
    for house in ctx.houses:
        ctx.rent_rates[house.id] = ctx.add(
            RateConfig(
                id=ctx.nid(),
                org_id=ctx.org_id,
                house_id=house.id,
                name=f"{house.name} weekly rent",
                line_type=LineItemType.RENT,
                billing_frequency=BillingFrequency.WEEKLY,
                amount_cents=22500,
                effective_from_date=day_of(-365),
            )
        )
        ctx.add(
            RateConfig(
                id=ctx.nid(),
                org_id=ctx.org_id,
                house_id=house.id,
                name="Random drug screen fee",
                line_type=LineItemType.DRUG_TEST_FEE,
                billing_frequency=BillingFrequency.WEEKLY,
                amount_cents=2500,
                effective_from_date=day_of(-365),
            )
        )
        # An expired house rate and a per-bed override for the larger room.
        ctx.add(
            RateConfig(
                id=ctx.nid(),
                org_id=ctx.org_id,
                house_id=house.id,
                name=f"{house.name} weekly rent (2025)",
                line_type=LineItemType.RENT,
                billing_frequency=BillingFrequency.WEEKLY,
                amount_cents=21000,
                effective_from_date=day_of(-730),
                effective_to_date=day_of(-365),
            )
        )
        ctx.add(
            RateConfig(
                id=ctx.nid(),
                org_id=ctx.org_id,
                bed_id=ctx.house_beds[house.id][4].id,
                name="Semi-private room rate",
                line_type=LineItemType.RENT,
                billing_frequency=BillingFrequency.WEEKLY,
                amount_cents=25000,
                effective_from_date=day_of(-180),
            )
        )
    caseworker = ctx.person()
    ctx.court_payer = ctx.add(
        PayerConfig(
            id=ctx.nid(),
            org_id=ctx.org_id,
            payer_type=PayerType.COURT,
            is_individual=False,
            organization_name="Tri-County Recovery Court Program",
            contact_name=caseworker.full,
            contact_email=ctx.email_for(caseworker),
            contact_phone=ctx.phone(),
            billing_address={
                "line1": "60 Court Plaza",
                "city": "Asheville",
                "state": "NC",
                "postal_code": "28801",
            },
            billing_frequency=BillingFrequency.MONTHLY,
            split_percentage=Decimal("100.00"),
            max_amount_cents=120000,
            effective_from_date=day_of(-400),
        )
    )
    grant_contact = ctx.person()
    ctx.add(
        PayerConfig(
            id=ctx.nid(),
            org_id=ctx.org_id,
            payer_type=PayerType.GRANT,
            is_individual=False,
            organization_name="State Recovery Housing Grant",
            contact_name=grant_contact.full,
            contact_email=ctx.email_for(grant_contact),
            billing_frequency=BillingFrequency.MONTHLY,
            split_percentage=Decimal("100.00"),
            max_amount_cents=60000,
            effective_from_date=day_of(-200),
            effective_to_date=day_of(165),
        )
    )
    ctx.flush()


def chart_of_accounts(ctx: SeedContext) -> None:
    specs = [
        ("1000", "Operating cash", LedgerAccountType.ASSET, EntryDirection.DEBIT, None),
        ("1100", "Accounts receivable", LedgerAccountType.ASSET, EntryDirection.DEBIT, None),
        ("2100", "Resident deposits held", LedgerAccountType.LIABILITY, EntryDirection.CREDIT, None),
        ("3000", "Owner's equity", LedgerAccountType.EQUITY, EntryDirection.CREDIT, None),
        ("4000", "Rent revenue", LedgerAccountType.REVENUE, EntryDirection.CREDIT, None),
        ("4100", "Program and testing fees", LedgerAccountType.REVENUE, EntryDirection.CREDIT, None),
        ("6100", "Payment processing fees", LedgerAccountType.EXPENSE, EntryDirection.DEBIT, None),
    ]
    for code, name, kind, normal, _ in specs:
        ctx.accounts[code] = ctx.add(
            LedgerAccount(
                id=ctx.nid(),
                org_id=ctx.org_id,
                code=code,
                name=name,
                account_type=kind,
                normal_balance=normal,
                is_system=True,
            )
        )
    ctx.flush()
    ctx.accounts["1010"] = ctx.add(
        LedgerAccount(
            id=ctx.nid(),
            org_id=ctx.org_id,
            code="1010",
            name="Stripe clearing",
            description="Card and ACH receipts awaiting payout",
            account_type=LedgerAccountType.ASSET,
            normal_balance=EntryDirection.DEBIT,
            is_system=True,
            parent_id=ctx.accounts["1000"].id,
        )
    )
    ctx.flush()


def post(
    ctx: SeedContext,
    key: str,
    lines: list[tuple[str, EntryDirection, int]],
    when: date,
    description: str,
    *,
    resident: Plan | None = None,
    invoice: Invoice | None = None,
    payment: Payment | None = None,
    refund: Refund | None = None,
    deposit: Deposit | None = None,
) -> uuid.UUID:
    """Post a journal the way billing activities do: keyed, balanced, through services.ledger."""
    ctx.flush()
    journal = ledger.journal_id_for(key)
    ledger.post_journal(
        ctx.s,
        ctx.org_id,
        journal,
        [
            ledger.Line(
                ctx.accounts[code].id,
                direction,
                amount,
                resident_id=resident.id if resident else None,
                invoice_id=invoice.id if invoice else None,
                payment_id=payment.id if payment else None,
                refund_id=refund.id if refund else None,
                deposit_id=deposit.id if deposit else None,
            )
            for code, direction, amount in lines
        ],
        when,
        description,
    )
    ctx.count("ledger_entries", len(lines))
    return journal


def invoice(
    ctx: SeedContext,
    r: Plan,
    start: date,
    status: InvoiceStatus,
    lines: list[tuple[LineItemType, int, str | None]],
    *,
    rent: bool,
    memo: str | None = None,
) -> tuple[Invoice, list[tuple[LineItemType, int]]]:
    ctx.invoice_no += 1
    number = f"INV-2026-{ctx.invoice_no:06d}"
    subtotal = sum(a for t, a, _ in lines if t is not LineItemType.CREDIT)
    total = sum(a for _, a, _ in lines)
    inv = ctx.add(
        Invoice(
            id=ctx.nid(),
            org_id=ctx.org_id,
            resident_id=r.id,
            payer_config_id=r.payer.id if r.payer and rent else None,
            house_id=r.house.id,
            number=number,
            status=InvoiceStatus.DRAFT,
            is_rent=rent,
            period_start_date=start,
            period_end_date=start + timedelta(days=6),
            due_date=start + timedelta(days=3),
            subtotal_cents=subtotal,
            total_cents=total,
            memo=ctx.p(memo) if memo else None,
            idempotency_key=billing_svc.rent_invoice_key(r.id, start)
            if rent
            else billing_svc.charge_invoice_key(r.id, number),
        )
    )
    ctx.pending_lines.append((inv, lines))
    if status is not InvoiceStatus.DRAFT:
        ctx.invoice_targets.append((inv, start, status))
    return inv, [(t, a) for t, a, _ in lines]


def billing(ctx: SeedContext) -> None:
    ctx.pending_lines = []
    chart_of_accounts(ctx)
    # Saved payment methods (Stripe tokens only) and a family payer for some residents.
    methods: dict[uuid.UUID, PaymentMethod] = {}
    family_payers: dict[uuid.UUID, PayerConfig] = {}
    payer_names: dict[uuid.UUID, str] = {}
    for r in ctx.residents:
        if r.i == 3:
            parent = ctx.person()
            payer_names[r.id] = parent.full
            family_payers[r.id] = ctx.add(
                PayerConfig(
                    id=ctx.nid(),
                    org_id=ctx.org_id,
                    resident_id=r.id,
                    payer_type=PayerType.FAMILY,
                    is_individual=True,
                    contact_name=parent.full,
                    contact_email=ctx.email_for(parent),
                    contact_phone=ctx.phone(),
                    billing_address=ctx.address(),
                    billing_frequency=BillingFrequency.WEEKLY,
                    split_percentage=Decimal("50.00"),
                    effective_from_date=r.move_in,
                )
            )
    ctx.flush()
    for r in ctx.residents:
        if not r.current:
            continue
        pm_id = ctx.nid()
        methods[r.id] = ctx.add(
            PaymentMethod(
                id=pm_id,
                org_id=ctx.org_id,
                resident_id=r.id,
                method_type=PaymentMethodType.CARD,
                stripe_payment_method_id=f"pm_{pm_id.hex[:24]}",
                stripe_customer_id=f"cus_{r.id.hex[:14]}",
                brand=ctx.pick(["visa", "mastercard", "discover"]),
                last4=f"{ctx.rng.randint(1000, 9999)}",
                exp_month=ctx.rng.randint(1, 12),
                exp_year=2027 + ctx.rng.randint(0, 3),
                holder_name=r.person.full,
                is_default=True,
            )
        )
        if r.id in family_payers:
            ach_id = ctx.nid()
            ctx.add(
                PaymentMethod(
                    id=ach_id,
                    org_id=ctx.org_id,
                    resident_id=r.id,
                    payer_config_id=family_payers[r.id].id,
                    method_type=PaymentMethodType.ACH,
                    stripe_payment_method_id=f"pm_{ach_id.hex[:24]}",
                    brand="First Mountain Credit Union",
                    last4=f"{ctx.rng.randint(1000, 9999)}",
                    holder_name=payer_names[r.id],
                )
            )

    # Invoices: last week's rent paid, this week's open (overdue), next week's draft.
    week1, week2, week3 = day_of(-14), day_of(-7), day_of(0)
    posted: list[tuple[Invoice, Plan, list[tuple[LineItemType, int]]]] = []
    open_invoices: list[tuple[Invoice, Plan]] = []
    paid: list[tuple[Invoice, Plan, int]] = []
    void_inv: tuple[Invoice, Plan, list[tuple[LineItemType, int]]] | None = None
    for r in ctx.residents:
        if r.status is ResidentStatus.WAITLISTED:
            continue
        rent = (
            LineItemType.RENT,
            r.weekly_rate,
            ctx.p(f"Weekly rent, {r.house.name}, bed for {r.person.first}"),
        )
        if r.status is ResidentStatus.DISCHARGED:
            assert r.move_out is not None
            inv, ls = invoice(ctx, r, r.move_out - timedelta(days=6), InvoiceStatus.PAID, [rent], rent=True)
            posted.append((inv, r, ls))
            paid.append((inv, r, inv.total_cents))
            continue
        lines1: list[tuple[LineItemType, int, str | None]] = [rent]
        if r.n % 2 == 0:
            lines1.append(
                (
                    LineItemType.DRUG_TEST_FEE,
                    2500,
                    ctx.p(f"Random UA for {r.person.first}, observed collection"),
                )
            )
        if r.i == 2:
            lines1.append((LineItemType.CREDIT, -1500, ctx.p(f"Chore bonus credit for {r.person.first}")))
        inv1, ls1 = invoice(ctx, r, week1, InvoiceStatus.PAID, lines1, rent=True)
        posted.append((inv1, r, ls1))
        paid.append((inv1, r, inv1.total_cents))
        partial = r.n % 3 == 0
        inv2, ls2 = invoice(
            ctx,
            r,
            week2,
            InvoiceStatus.PARTIALLY_PAID if partial else InvoiceStatus.OPEN,
            [rent],
            rent=True,
            memo=f"{r.person.first} agreed to a payment plan after missing two shifts" if partial else None,
        )
        posted.append((inv2, r, ls2))
        open_invoices.append((inv2, r))
        if partial:
            paid.append((inv2, r, inv2.total_cents // 2))
        invoice(ctx, r, week3, InvoiceStatus.DRAFT, [rent], rent=True)
        if void_inv is None:
            vi, vls = invoice(
                ctx,
                r,
                week2,
                InvoiceStatus.VOID,
                [
                    (
                        LineItemType.PROGRAM_FEE,
                        7500,
                        ctx.p(f"Life-skills workshop fee for {r.person.first}"),
                    )
                ],
                rent=False,
            )
            void_inv = (vi, r, vls)
    ctx.flush()
    # Drafted above; issued and voided the way the billing workflow does it.
    for inv, start, target in ctx.invoice_targets:
        invoices.issue_invoice(ctx.s, inv.id, start - timedelta(days=2))
        if target is InvoiceStatus.VOID:
            invoices.void_invoice(ctx.s, inv.id, on_day(start, 12))
    for inv, lines in ctx.pending_lines:
        for pos, (ltype, amount, desc) in enumerate(lines):
            rate_id = ctx.rent_rates[inv.house_id].id if ltype is LineItemType.RENT and inv.house_id else None
            ctx.add(
                InvoiceLineItem(
                    id=ctx.nid(),
                    org_id=ctx.org_id,
                    invoice_id=inv.id,
                    line_type=ltype,
                    rate_config_id=rate_id,
                    description=desc,
                    quantity=Decimal(1),
                    unit_amount_cents=amount,
                    amount_cents=amount,
                    position=pos,
                )
            )

    # Payments.
    payments: list[tuple[Payment, Invoice | None, Plan]] = []
    for inv, r, amount in paid:
        card = r.id in methods and r.i % 4 != 1
        pay_id = ctx.nid()
        pay = ctx.add(
            Payment(
                id=pay_id,
                org_id=ctx.org_id,
                resident_id=r.id,
                invoice_id=inv.id,
                payer_config_id=inv.payer_config_id,
                payment_method_id=methods[r.id].id if card else None,
                amount_cents=amount,
                method=PaymentMethodType.CARD if card else PaymentMethodType.CHECK,
                status=PaymentStatus.SUCCEEDED,
                stripe_payment_intent_id=f"pi_{pay_id.hex[:24]}" if card else None,
                idempotency_key=billing_svc.payment_key(pay_id),
                received_at=on_day(inv.due_date, 10),
                reference_number=None
                if card
                else ctx.p(f"Check no. {ctx.rng.randint(1000, 9999)}-{r.n:03d}"),
                recorded_by=None if card else ctx.users[UserRole.BILLING_SPECIALIST].id,
            )
        )
        payments.append((pay, inv, r))
    # A declined card attempt on one open invoice.
    if open_invoices:
        inv, r = open_invoices[0]
        fail_id = ctx.nid()
        ctx.add(
            Payment(
                id=fail_id,
                org_id=ctx.org_id,
                resident_id=r.id,
                invoice_id=inv.id,
                payment_method_id=methods[r.id].id,
                amount_cents=inv.total_cents,
                method=PaymentMethodType.CARD,
                status=PaymentStatus.FAILED,
                stripe_payment_intent_id=f"pi_{fail_id.hex[:24]}",
                idempotency_key=billing_svc.payment_key(fail_id),
                failure_code="card_declined",
                failure_message="Your card was declined.",
            )
        )
    # Deposits, each funded by an on-account payment.
    deposit_payments: list[tuple[Payment, Plan]] = []
    for r in ctx.residents:
        if r.move_in is None:
            continue
        pay = ctx.add(
            Payment(
                id=ctx.nid(),
                org_id=ctx.org_id,
                resident_id=r.id,
                amount_cents=50000,
                method=PaymentMethodType.MONEY_ORDER,
                status=PaymentStatus.SUCCEEDED,
                idempotency_key=billing_svc.deposit_payment_key(r.id),
                received_at=on_day(r.move_in, 13),
                reference_number=ctx.p(f"Money order {ctx.rng.randint(10**9, 10**10 - 1)}"),
                recorded_by=ctx.users[UserRole.BILLING_SPECIALIST].id,
            )
        )
        r.deposit_payment = pay
        deposit_payments.append((pay, r))
    ctx.flush()
    deposits: list[tuple[Deposit, Payment, Plan]] = []
    for pay, r in deposit_payments:
        assert r.move_in is not None and r.admission is not None
        gone = r.status is ResidentStatus.DISCHARGED
        dep = ctx.add(
            Deposit(
                id=ctx.nid(),
                org_id=ctx.org_id,
                resident_id=r.id,
                admission_id=r.admission.id,
                payment_id=pay.id,
                amount_cents=50000,
                status=DepositStatus.REFUNDED if gone else DepositStatus.HELD,
                received_date=r.move_in,
                refunded_date=r.move_out if gone else None,
            )
        )
        deposits.append((dep, pay, r))
    ctx.flush()
    refunds: list[tuple[Refund, Deposit, Plan]] = []
    for dep, pay, r in deposits:
        if dep.status is not DepositStatus.REFUNDED:
            continue
        assert r.move_out is not None
        refunds.append(
            (
                ctx.add(
                    Refund(
                        id=ctx.nid(),
                        org_id=ctx.org_id,
                        payment_id=pay.id,
                        resident_id=r.id,
                        deposit_id=dep.id,
                        amount_cents=35000,
                        method=PaymentMethodType.CHECK,
                        status=RefundStatus.SUCCEEDED,
                        idempotency_key=billing_svc.deposit_refund_key(dep.id),
                        reason=ctx.p(
                            f"Deposit returned to {r.person.first} less $150 for a damaged closet door"
                        ),
                        requested_by=ctx.users[UserRole.BILLING_SPECIALIST].id,
                        approved_by=ctx.users[UserRole.EXECUTIVE_DIRECTOR].id,
                        processed_at=on_day(r.move_out, 15) + timedelta(days=3),
                    )
                ),
                dep,
                r,
            )
        )
    # The itemised deduction behind each returned deposit.
    for ref, dep, r in refunds:
        ctx.add(
            DepositDeduction(
                id=ctx.nid(),
                org_id=ctx.org_id,
                deposit_id=dep.id,
                position=1,
                category="damage",
                amount_cents=dep.amount_cents - ref.amount_cents,
                reason=ctx.p(f"Damaged closet door in {r.person.first}'s room"),
            )
        )
    # Who owes what of a split invoice: the payer's share, the rest the resident's.
    for inv, r, _ls in posted:
        if inv.payer_config_id is None or r.payer is None:
            continue
        payer_share = inv.total_cents // 2
        ctx.add(
            InvoicePayerAllocation(
                id=ctx.nid(),
                org_id=ctx.org_id,
                invoice_id=inv.id,
                payer_config_id=inv.payer_config_id,
                amount_cents=payer_share,
            )
        )
        if inv.total_cents - payer_share > 0:
            ctx.add(
                InvoicePayerAllocation(
                    id=ctx.nid(),
                    org_id=ctx.org_id,
                    invoice_id=inv.id,
                    payer_config_id=None,
                    amount_cents=inv.total_cents - payer_share,
                )
            )
    ctx.flush()
    received: dict[uuid.UUID, int] = {}
    for inv, _r, amount in paid:
        received[inv.id] = received.get(inv.id, 0) + amount
    for invoice_id, cents in received.items():
        invoices.settle_invoice(ctx.s, invoice_id, cents)

    # The ledger: every issued invoice, payment, deposit and refund as a balanced journal.
    for inv, r, ls in posted:
        rent_amt = sum(a for t, a in ls if t is LineItemType.RENT)
        fee_amt = sum(a for t, a in ls if t not in (LineItemType.RENT, LineItemType.CREDIT))
        credit_amt = -sum(a for t, a in ls if t is LineItemType.CREDIT)
        jl: list[tuple[str, EntryDirection, int]] = [("1100", EntryDirection.DEBIT, inv.total_cents)]
        if credit_amt:
            jl.append(("4000", EntryDirection.DEBIT, credit_amt))
        if rent_amt:
            jl.append(("4000", EntryDirection.CREDIT, rent_amt))
        if fee_amt:
            jl.append(("4100", EntryDirection.CREDIT, fee_amt))
        assert inv.issued_date is not None
        post(
            ctx,
            billing_svc.journal_key("invoice", inv.id),
            jl,
            inv.issued_date,
            f"Invoice {inv.number}",
            resident=r,
            invoice=inv,
        )
    if void_inv is not None:
        vi, vr, vls = void_inv
        amount = sum(a for _, a in vls)
        assert vi.issued_date is not None
        issued = post(
            ctx,
            billing_svc.journal_key("invoice", vi.id),
            [("1100", EntryDirection.DEBIT, amount), ("4100", EntryDirection.CREDIT, amount)],
            vi.issued_date,
            f"Invoice {vi.number}",
            resident=vr,
            invoice=vi,
        )
        ledger.reverse_journal(ctx.s, ctx.org_id, issued, vi.period_start_date)
        ctx.count("ledger_entries", 2)
    for pay, pinv, r in payments:
        cash = "1010" if pay.method is PaymentMethodType.CARD else "1000"
        assert pay.received_at is not None
        post(
            ctx,
            billing_svc.journal_key("payment", pay.id),
            [
                (cash, EntryDirection.DEBIT, pay.amount_cents),
                ("1100", EntryDirection.CREDIT, pay.amount_cents),
            ],
            pay.received_at.date(),
            f"Payment on invoice {pinv.number}" if pinv else "Payment on account",
            resident=r,
            invoice=pinv,
            payment=pay,
        )
    for dep, pay, r in deposits:
        post(
            ctx,
            billing_svc.journal_key("deposit", dep.id),
            [
                ("1000", EntryDirection.DEBIT, dep.amount_cents),
                ("2100", EntryDirection.CREDIT, dep.amount_cents),
            ],
            dep.received_date,
            "Security deposit received",
            resident=r,
            payment=pay,
            deposit=dep,
        )
    for ref, dep, r in refunds:
        assert ref.processed_at is not None
        kept = dep.amount_cents - ref.amount_cents
        post(
            ctx,
            billing_svc.journal_key("refund", ref.id),
            [
                ("2100", EntryDirection.DEBIT, dep.amount_cents),
                ("1000", EntryDirection.CREDIT, ref.amount_cents),
                ("4100", EntryDirection.CREDIT, kept),
            ],
            ref.processed_at.date(),
            "Security deposit returned at discharge, damages retained",
            resident=r,
            deposit=dep,
            refund=ref,
        )

    # Collections: the org's dunning schedule, a house override, and ladders under way.
    dunning.collections(ctx, [(inv.id, inv.due_date, r.id) for inv, r in open_invoices])
    # Stripe reconciliation for card payments, plus one disputed item.
    matched = 0
    for pay, _inv, _r in payments:
        if pay.method is not PaymentMethodType.CARD:
            continue
        fee = round(pay.amount_cents * 0.029) + 30
        assert pay.received_at is not None
        disputed = matched == 1
        ctx.add(
            ReconciliationRecord(
                id=ctx.nid(),
                org_id=ctx.org_id,
                stripe_balance_transaction_id=f"txn_{pay.id.hex[:24]}",
                stripe_payout_id=f"po_{ctx.org_id.hex[:8]}{pay.received_at:%Y%m%d}",
                transaction_type="charge",
                payment_id=pay.id,
                gross_amount_cents=pay.amount_cents,
                fee_amount_cents=fee,
                net_amount_cents=pay.amount_cents - fee,
                available_on_date=pay.received_at.date() + timedelta(days=2),
                payout_arrival_date=pay.received_at.date() + timedelta(days=3),
                status=ReconciliationStatus.DISPUTED if disputed else ReconciliationStatus.MATCHED,
                matched_at=None if disputed else pay.received_at + timedelta(days=3),
                matched_by=None if disputed else ctx.users[UserRole.BILLING_SPECIALIST].id,
                resolution_note=ctx.p(
                    f"Cardholder disputes the charge; {_r.person.first} says a relative used the card."
                )
                if disputed
                else None,
            )
        )
        matched += 1
    for ref, _dep, _r in refunds:
        assert ref.processed_at is not None
        ctx.add(
            ReconciliationRecord(
                id=ctx.nid(),
                org_id=ctx.org_id,
                stripe_balance_transaction_id=f"txn_{ref.id.hex[:24]}",
                transaction_type="refund",
                refund_id=ref.id,
                gross_amount_cents=-ref.amount_cents,
                fee_amount_cents=0,
                net_amount_cents=-ref.amount_cents,
                status=ReconciliationStatus.UNMATCHED,
            )
        )
    ctx.flush()
