"""Money: rates and payers, the chart of accounts, invoices, payments, deposits, refunds, dunning,
reconciliation. Every ledger posting goes through services.ledger; every idempotency key comes from
the builders in services.billing that the billing activities use.

`billing` calls its steps in a fixed order: each step draws row ids and values from the seed's
rng, so the order is part of what a seed value means.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
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
from models.orgs import House
from models.payment_extended import PaymentMethod, RateConfig, Refund
from models.payments import (
    Deposit,
    DepositDeduction,
    Invoice,
    InvoiceLineItem,
    InvoicePayerAllocation,
    PayerConfig,
    Payment,
)
from seed import dunning
from seed.context import Plan, SeedContext, day_of, on_day
from seed.factories.billing import (
    LedgerAccountFactory,
    PayerConfigFactory,
    PaymentFactory,
    PaymentMethodFactory,
    RateConfigFactory,
    ReconciliationRecordFactory,
)
from services import ledger
from services.billing import invoices
from services.billing import keys as billing_svc

# The chart of accounts: (code, name, type, normal balance).
ACCOUNTS = [
    ("1000", "Operating cash", LedgerAccountType.ASSET, EntryDirection.DEBIT),
    ("1100", "Accounts receivable", LedgerAccountType.ASSET, EntryDirection.DEBIT),
    ("2100", "Resident deposits held", LedgerAccountType.LIABILITY, EntryDirection.CREDIT),
    ("3000", "Owner's equity", LedgerAccountType.EQUITY, EntryDirection.CREDIT),
    ("4000", "Rent revenue", LedgerAccountType.REVENUE, EntryDirection.CREDIT),
    ("4100", "Program and testing fees", LedgerAccountType.REVENUE, EntryDirection.CREDIT),
    ("6100", "Payment processing fees", LedgerAccountType.EXPENSE, EntryDirection.DEBIT),
]


Lines = list[tuple[LineItemType, int]]


@dataclass
class Invoiced:
    """The story's invoices by what happens to them next: journals posted for the issued ones,
    dunning for the open ones, payments for the paid ones, a reversal for the void one."""

    posted: list[tuple[Invoice, Plan, Lines]] = field(default_factory=list)
    open: list[tuple[Invoice, Plan]] = field(default_factory=list)
    paid: list[tuple[Invoice, Plan, int]] = field(default_factory=list)
    void: tuple[Invoice, Plan, Lines] | None = None


def rates_and_payers(ctx: SeedContext) -> None:
    for house in ctx.houses:
        ctx.rent_rates[house.id] = _house_rates(ctx, house)
    caseworker = ctx.person()
    ctx.court_payer = ctx.new(
        PayerConfigFactory.build,
        payer_type=PayerType.COURT,
        organization_name="Tri-County Recovery Court Program",
        contact=caseworker,
        contact_email=ctx.email_for(caseworker),
        contact_phone=ctx.phone(),
        billing_address={
            "line1": "60 Court Plaza",
            "city": "Asheville",
            "state": "NC",
            "postal_code": "28801",
        },
        max_amount_cents=120000,
        effective_from_date=day_of(-400),
    )
    grant_contact = ctx.person()
    ctx.new(
        PayerConfigFactory.build,
        payer_type=PayerType.GRANT,
        organization_name="State Recovery Housing Grant",
        contact=grant_contact,
        contact_email=ctx.email_for(grant_contact),
        max_amount_cents=60000,
        effective_from_date=day_of(-200),
        effective_to_date=day_of(165),
    )
    ctx.flush()


def _house_rates(ctx: SeedContext, house: House) -> RateConfig:
    """The house's rent (returned) and drug screen fee, last year's expired rent, and a per-bed
    override for the larger room."""

    def rate(name: str, cents: int, start: int, **fields: object) -> RateConfig:
        return ctx.new(
            RateConfigFactory.build,
            name=name,
            amount_cents=cents,
            effective_from_date=day_of(start),
            **fields,
        )

    rent = rate(f"{house.name} weekly rent", 22500, -365, house_id=house.id)
    rate("Random drug screen fee", 2500, -365, house_id=house.id, line_type=LineItemType.DRUG_TEST_FEE)
    rate(f"{house.name} weekly rent (2025)", 21000, -730, house_id=house.id, effective_to_date=day_of(-365))
    rate("Semi-private room rate", 25000, -180, bed_id=ctx.house_beds[house.id][4].id)
    return rent


def chart_of_accounts(ctx: SeedContext) -> None:
    for code, name, kind, normal in ACCOUNTS:
        ctx.accounts[code] = ctx.new(
            LedgerAccountFactory.build,
            code=code,
            name=name,
            account_type=kind,
            normal_balance=normal,
        )
    ctx.flush()
    ctx.accounts["1010"] = ctx.new(
        LedgerAccountFactory.build,
        code="1010",
        name="Stripe clearing",
        description="Card and ACH receipts awaiting payout",
        account_type=LedgerAccountType.ASSET,
        normal_balance=EntryDirection.DEBIT,
        parent_id=ctx.accounts["1000"].id,
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
) -> tuple[Invoice, Lines]:
    ctx.invoice_no += 1
    number = f"INV-2026-{ctx.invoice_no:06d}"
    subtotal = sum(a for t, a, _ in lines if t is not LineItemType.CREDIT)
    total = sum(a for _, a, _ in lines)
    inv = ctx.new(
        Invoice,
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
    ctx.pending_lines.append((inv, lines))
    if status is not InvoiceStatus.DRAFT:
        ctx.invoice_targets.append((inv, start, status))
    return inv, [(t, a) for t, a, _ in lines]


def billing(ctx: SeedContext) -> None:
    ctx.pending_lines = []
    chart_of_accounts(ctx)
    methods = _payment_methods(ctx, _family_payers(ctx))
    invoiced = _invoices(ctx)
    _issue(ctx)
    payments = _payments(ctx, invoiced.paid, methods)
    _declined_card(ctx, invoiced.open, methods)
    deposits = _deposits(ctx)
    refunds = _refunds(ctx, deposits)
    _payer_shares(ctx, invoiced.posted)
    ctx.flush()
    _settle(ctx, invoiced.paid)
    _post_invoices(ctx, invoiced)
    _post_payments(ctx, payments)
    _post_deposits(ctx, deposits, refunds)
    # Collections: the org's dunning schedule, a house override, and ladders under way.
    dunning.collections(ctx, [(inv.id, inv.due_date, r.id) for inv, r in invoiced.open])
    _reconciliation(ctx, payments, refunds)
    ctx.flush()


def _family_payers(ctx: SeedContext) -> dict[uuid.UUID, tuple[PayerConfig, str]]:
    """A parent paying half the rent of each resident in position 3: their payer and name."""
    family: dict[uuid.UUID, tuple[PayerConfig, str]] = {}
    for r in ctx.residents:
        if r.i != 3:
            continue
        parent = ctx.person()
        payer = ctx.new(
            PayerConfigFactory.build,
            resident_id=r.id,
            payer_type=PayerType.FAMILY,
            is_individual=True,
            contact=parent,
            contact_email=ctx.email_for(parent),
            contact_phone=ctx.phone(),
            billing_address=ctx.address(),
            billing_frequency=BillingFrequency.WEEKLY,
            split_percentage=Decimal("50.00"),
            effective_from_date=r.move_in,
        )
        family[r.id] = (payer, parent.full)
    ctx.flush()
    return family


def _payment_methods(
    ctx: SeedContext, family: dict[uuid.UUID, tuple[PayerConfig, str]]
) -> dict[uuid.UUID, PaymentMethod]:
    """A saved card (Stripe tokens only) for each current resident; their family payer's bank
    account where they have one."""
    cards: dict[uuid.UUID, PaymentMethod] = {}
    for r in ctx.residents:
        if not r.current:
            continue
        cards[r.id] = ctx.add(
            PaymentMethodFactory.build(
                id=ctx.nid(),
                org_id=ctx.org_id,
                resident_id=r.id,
                stripe_customer_id=f"cus_{r.id.hex[:14]}",
                brand=ctx.pick(["visa", "mastercard", "discover"]),
                last4=f"{ctx.rng.randint(1000, 9999)}",
                exp_month=ctx.rng.randint(1, 12),
                exp_year=2027 + ctx.rng.randint(0, 3),
                holder_name=r.person.full,
                is_default=True,
            )
        )
        if r.id in family:
            payer, name = family[r.id]
            ctx.add(
                PaymentMethodFactory.build(
                    id=ctx.nid(),
                    org_id=ctx.org_id,
                    resident_id=r.id,
                    payer_config_id=payer.id,
                    method_type=PaymentMethodType.ACH,
                    brand="First Mountain Credit Union",
                    last4=f"{ctx.rng.randint(1000, 9999)}",
                    holder_name=name,
                )
            )
    return cards


def _invoices(ctx: SeedContext) -> Invoiced:
    """Drafts, to be issued as the billing workflow issues them (`_issue`)."""
    invoiced = Invoiced()
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
            invoiced.posted.append((inv, r, ls))
            invoiced.paid.append((inv, r, inv.total_cents))
        else:
            _three_weeks(ctx, invoiced, r, rent)
    ctx.flush()
    return invoiced


def _three_weeks(
    ctx: SeedContext, invoiced: Invoiced, r: Plan, rent: tuple[LineItemType, int, str | None]
) -> None:
    """Last week's rent paid (with a screen fee for even numbers, a chore credit for position
    2), this week's open (every third resident half paid on a plan), next week's draft; the
    first resident's workshop fee, voided."""
    week1, week2, week3 = day_of(-14), day_of(-7), day_of(0)
    lines1: list[tuple[LineItemType, int, str | None]] = [rent]
    if r.n % 2 == 0:
        lines1.append(
            (LineItemType.DRUG_TEST_FEE, 2500, ctx.p(f"Random UA for {r.person.first}, observed collection"))
        )
    if r.i == 2:
        lines1.append((LineItemType.CREDIT, -1500, ctx.p(f"Chore bonus credit for {r.person.first}")))
    inv1, ls1 = invoice(ctx, r, week1, InvoiceStatus.PAID, lines1, rent=True)
    invoiced.posted.append((inv1, r, ls1))
    invoiced.paid.append((inv1, r, inv1.total_cents))
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
    invoiced.posted.append((inv2, r, ls2))
    invoiced.open.append((inv2, r))
    if partial:
        invoiced.paid.append((inv2, r, inv2.total_cents // 2))
    invoice(ctx, r, week3, InvoiceStatus.DRAFT, [rent], rent=True)
    if invoiced.void is None:
        fee = (LineItemType.PROGRAM_FEE, 7500, ctx.p(f"Life-skills workshop fee for {r.person.first}"))
        vi, vls = invoice(ctx, r, week2, InvoiceStatus.VOID, [fee], rent=False)
        invoiced.void = (vi, r, vls)


def _issue(ctx: SeedContext) -> None:
    """Drafted above; issued and voided the way the billing workflow does it, then itemised."""
    for inv, start, target in ctx.invoice_targets:
        invoices.issue_invoice(ctx.s, inv.id, start - timedelta(days=2))
        if target is InvoiceStatus.VOID:
            invoices.void_invoice(ctx.s, inv.id, on_day(start, 12))
    for inv, lines in ctx.pending_lines:
        for pos, (ltype, amount, desc) in enumerate(lines):
            rate_id = ctx.rent_rates[inv.house_id].id if ltype is LineItemType.RENT and inv.house_id else None
            ctx.new(
                InvoiceLineItem,
                invoice_id=inv.id,
                line_type=ltype,
                rate_config_id=rate_id,
                description=desc,
                quantity=Decimal(1),
                unit_amount_cents=amount,
                amount_cents=amount,
                position=pos,
            )


def _payments(
    ctx: SeedContext, paid: list[tuple[Invoice, Plan, int]], cards: dict[uuid.UUID, PaymentMethod]
) -> list[tuple[Payment, Invoice, Plan]]:
    """By saved card, or by check for residents without one and those in position 1 or 5."""
    payments: list[tuple[Payment, Invoice, Plan]] = []
    for inv, r, amount in paid:
        card = r.id in cards and r.i % 4 != 1
        pay_id = ctx.nid()
        pay = ctx.add(
            PaymentFactory.build(
                id=pay_id,
                org_id=ctx.org_id,
                resident_id=r.id,
                invoice_id=inv.id,
                payer_config_id=inv.payer_config_id,
                payment_method_id=cards[r.id].id if card else None,
                amount_cents=amount,
                method=PaymentMethodType.CARD if card else PaymentMethodType.CHECK,
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
    return payments


def _declined_card(
    ctx: SeedContext, open_invoices: list[tuple[Invoice, Plan]], cards: dict[uuid.UUID, PaymentMethod]
) -> None:
    """A declined card attempt on the first open invoice."""
    if not open_invoices:
        return
    inv, r = open_invoices[0]
    fail_id = ctx.nid()
    ctx.add(
        PaymentFactory.build(
            id=fail_id,
            org_id=ctx.org_id,
            resident_id=r.id,
            invoice_id=inv.id,
            payment_method_id=cards[r.id].id,
            amount_cents=inv.total_cents,
            method=PaymentMethodType.CARD,
            status=PaymentStatus.FAILED,
            stripe_payment_intent_id=f"pi_{fail_id.hex[:24]}",
            idempotency_key=billing_svc.payment_key(fail_id),
            failure_code="card_declined",
            failure_message="Your card was declined.",
        )
    )


def _deposits(ctx: SeedContext) -> list[tuple[Deposit, Payment, Plan]]:
    """A $500 deposit for everyone who moved in, each funded by a money order on account;
    refunded at discharge."""
    funded: list[tuple[Payment, Plan]] = []
    for r in ctx.residents:
        if r.move_in is None:
            continue
        r.deposit_payment = ctx.add(
            PaymentFactory.build(
                id=ctx.nid(),
                org_id=ctx.org_id,
                resident_id=r.id,
                amount_cents=50000,
                method=PaymentMethodType.MONEY_ORDER,
                idempotency_key=billing_svc.deposit_payment_key(r.id),
                received_at=on_day(r.move_in, 13),
                reference_number=ctx.p(f"Money order {ctx.rng.randint(10**9, 10**10 - 1)}"),
                recorded_by=ctx.users[UserRole.BILLING_SPECIALIST].id,
            )
        )
        funded.append((r.deposit_payment, r))
    ctx.flush()
    deposits: list[tuple[Deposit, Payment, Plan]] = []
    for pay, r in funded:
        assert r.move_in is not None and r.admission is not None
        gone = r.status is ResidentStatus.DISCHARGED
        dep = ctx.new(
            Deposit,
            resident_id=r.id,
            admission_id=r.admission.id,
            payment_id=pay.id,
            amount_cents=50000,
            status=DepositStatus.REFUNDED if gone else DepositStatus.HELD,
            received_date=r.move_in,
            refunded_date=r.move_out if gone else None,
        )
        deposits.append((dep, pay, r))
    ctx.flush()
    return deposits


def _refunds(
    ctx: SeedContext, deposits: list[tuple[Deposit, Payment, Plan]]
) -> list[tuple[Refund, Deposit, Plan]]:
    """Each refunded deposit returned by check less $150 for damage, then the itemised
    deduction behind each."""
    refunds: list[tuple[Refund, Deposit, Plan]] = []
    for dep, pay, r in deposits:
        if dep.status is not DepositStatus.REFUNDED:
            continue
        assert r.move_out is not None
        ref = ctx.new(
            Refund,
            payment_id=pay.id,
            resident_id=r.id,
            deposit_id=dep.id,
            amount_cents=35000,
            method=PaymentMethodType.CHECK,
            status=RefundStatus.SUCCEEDED,
            idempotency_key=billing_svc.deposit_refund_key(dep.id),
            reason=ctx.p(f"Deposit returned to {r.person.first} less $150 for a damaged closet door"),
            requested_by=ctx.users[UserRole.BILLING_SPECIALIST].id,
            approved_by=ctx.users[UserRole.EXECUTIVE_DIRECTOR].id,
            processed_at=on_day(r.move_out, 15) + timedelta(days=3),
        )
        refunds.append((ref, dep, r))
    for ref, dep, r in refunds:
        ctx.new(
            DepositDeduction,
            deposit_id=dep.id,
            position=1,
            category="damage",
            amount_cents=dep.amount_cents - ref.amount_cents,
            reason=ctx.p(f"Damaged closet door in {r.person.first}'s room"),
        )
    return refunds


def _payer_shares(ctx: SeedContext, posted: list[tuple[Invoice, Plan, Lines]]) -> None:
    """Who owes what of a split invoice: the payer's half, the rest the resident's."""
    for inv, r, _lines in posted:
        if inv.payer_config_id is None or r.payer is None:
            continue
        payer_share = inv.total_cents // 2
        shares = [(inv.payer_config_id, payer_share), (None, inv.total_cents - payer_share)]
        for payer_config_id, cents in shares:
            if payer_config_id is not None or cents > 0:
                ctx.new(
                    InvoicePayerAllocation,
                    invoice_id=inv.id,
                    payer_config_id=payer_config_id,
                    amount_cents=cents,
                )


def _settle(ctx: SeedContext, paid: list[tuple[Invoice, Plan, int]]) -> None:
    received: dict[uuid.UUID, int] = {}
    for inv, _r, amount in paid:
        received[inv.id] = received.get(inv.id, 0) + amount
    for invoice_id, cents in received.items():
        invoices.settle_invoice(ctx.s, invoice_id, cents)


def _post_invoices(ctx: SeedContext, invoiced: Invoiced) -> None:
    """A journal per issued invoice (rent, fees and credits on their revenue accounts); the
    void invoice's journal and its reversal."""
    for inv, r, ls in invoiced.posted:
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
        _post_invoice(ctx, inv, r, jl)
    if invoiced.void is not None:
        vi, vr, vls = invoiced.void
        amount = sum(a for _, a in vls)
        issued = _post_invoice(
            ctx, vi, vr, [("1100", EntryDirection.DEBIT, amount), ("4100", EntryDirection.CREDIT, amount)]
        )
        ledger.reverse_journal(ctx.s, ctx.org_id, issued, vi.period_start_date)
        ctx.count("ledger_entries", 2)


def _post_invoice(
    ctx: SeedContext, inv: Invoice, r: Plan, lines: list[tuple[str, EntryDirection, int]]
) -> uuid.UUID:
    assert inv.issued_date is not None
    key = billing_svc.journal_key("invoice", inv.id)
    return post(ctx, key, lines, inv.issued_date, f"Invoice {inv.number}", resident=r, invoice=inv)


def _post_payments(ctx: SeedContext, payments: list[tuple[Payment, Invoice, Plan]]) -> None:
    """Cards land in Stripe clearing, checks in operating cash."""
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


def _post_deposits(
    ctx: SeedContext,
    deposits: list[tuple[Deposit, Payment, Plan]],
    refunds: list[tuple[Refund, Deposit, Plan]],
) -> None:
    """Deposits held as a liability; each refund releases its deposit, part as cash back and
    the damages kept as fee revenue."""
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


def _reconciliation(
    ctx: SeedContext,
    payments: list[tuple[Payment, Invoice, Plan]],
    refunds: list[tuple[Refund, Deposit, Plan]],
) -> None:
    """Stripe's side: each card payment matched (the second disputed), each refund unmatched."""
    matched = 0
    for pay, _inv, r in payments:
        if pay.method is not PaymentMethodType.CARD:
            continue
        fee = round(pay.amount_cents * 0.029) + 30
        assert pay.received_at is not None
        disputed = matched == 1
        ctx.new(
            ReconciliationRecordFactory.build,
            of=pay,
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
                f"Cardholder disputes the charge; {r.person.first} says a relative used the card."
            )
            if disputed
            else None,
        )
        matched += 1
    for ref, _dep, _r in refunds:
        ctx.new(
            ReconciliationRecordFactory.build,
            of=ref,
            transaction_type="refund",
            refund_id=ref.id,
            gross_amount_cents=-ref.amount_cents,
            fee_amount_cents=0,
            net_amount_cents=-ref.amount_cents,
            status=ReconciliationStatus.UNMATCHED,
        )
