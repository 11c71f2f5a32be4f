"""Money: rates and payers, the chart of accounts, invoices and who owes what of them; `billing`
runs the rest of the money story in order (seed.payments, seed.journals, seed.dunning). Invoices
are issued, voided and settled by services.billing as the billing workflow does it; every
idempotency key comes from the builders the billing activities use.

`billing` calls its steps in a fixed order: each step draws row ids and values from the seed's
rng, so the order is part of what a seed value means.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from core.enums import (
    BillingFrequency,
    InvoiceStatus,
    LineItemType,
    PayerType,
    ResidentStatus,
)
from models.orgs import House
from models.payment_extended import RateConfig
from models.payments import (
    Invoice,
    InvoiceLineItem,
    InvoicePayerAllocation,
    PayerConfig,
)
from seed import dunning, journals, payments
from seed.context import Plan, SeedContext, day_of, on_day
from seed.factories.billing import (
    LedgerAccountFactory,
    PayerConfigFactory,
    RateConfigFactory,
)
from seed.journals import Lines
from services.billing import accounts, invoices
from services.billing import keys as billing_svc


# The chart of accounts: (code, name, type, normal balance).
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
    """Billing's one chart (services.billing.accounts), Stripe clearing under operating cash."""
    for code, (name, kind, normal) in sorted(accounts.ACCOUNTS.items()):
        under: dict[str, Any] = {}
        if code == accounts.STRIPE_CLEARING:
            under = {"parent_id": ctx.accounts[accounts.CASH].id}
            under["description"] = "Card and ACH receipts awaiting payout"
        ctx.accounts[code] = ctx.new(
            LedgerAccountFactory.build,
            code=code,
            name=name,
            account_type=kind,
            normal_balance=normal,
            **under,
        )
        ctx.flush()


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
    methods = payments.payment_methods(ctx, _family_payers(ctx))
    invoiced = _invoices(ctx)
    _issue(ctx)
    received = payments.invoice_payments(ctx, invoiced.paid, methods)
    payments.declined_card(ctx, invoiced.open, methods)
    deposits = payments.deposits(ctx)
    refunds = payments.refunds(ctx, deposits)
    _payer_shares(ctx, invoiced.posted)
    ctx.flush()
    _settle(ctx, invoiced.paid)
    journals.post_invoices(ctx, invoiced.posted, invoiced.void)
    journals.post_payments(ctx, received)
    journals.post_deposits(ctx, deposits, refunds)
    # Collections: the org's dunning schedule, a house override, and ladders under way.
    dunning.collections(ctx, [(inv.id, inv.due_date, r.id) for inv, r in invoiced.open])
    payments.reconciliation(ctx, received, refunds)
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
