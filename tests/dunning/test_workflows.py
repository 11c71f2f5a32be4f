"""The dunning ladder in Temporal time: the time-skipping server, the real database, and a
real SMTP sink receiving the reminders and the escalation."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from core.contracts.billing import DUNNING, InvoiceChanged
from core.db import tenant_session
from core.enums import DunningActionStatus, InvoiceStatus, LineItemType, PaymentMethodType
from core.process import Actor
from models.payments import DunningAction, InvoiceLineItem, LedgerEntry
from services.billing import accounts, dunning, dunning_messages, invoices, keys, payments
from services.billing.links import read_payment_link
from services.billing.payments import NewPayment
from services.ledger import journal_id_for
from tests.dunning.builders import RENT, Billed, billed_org
from tests.dunning.conftest import SmtpSink
from tests.factories import OrgFactory
from workflows.billing.dunning import (
    WRITE_OFF,
    DunningInput,
    DunningProgress,
    DunningSweepWorkflow,
    DunningWorkflow,
    Stopped,
    SweepInput,
    WriteOffRequest,
    WriteOffWorkflow,
    dunning_id,
)

SENT, SKIPPED, SCHEDULED = (
    DunningActionStatus.SENT,
    DunningActionStatus.SKIPPED,
    DunningActionStatus.SCHEDULED,
)


async def _today(env: WorkflowEnvironment) -> datetime:
    return await env.get_current_time()


async def _start(env: WorkflowEnvironment, queue: str, b: Billed, n: int = 0) -> WorkflowHandle:
    return await env.client.start_workflow(
        DunningWorkflow.run,
        DunningInput(Actor.system(b.org.org_id), b.invoice_ids[n]),
        id=dunning_id(b.org.org_id, b.invoice_ids[n]),
        task_queue=queue,
    )


async def _ladder_past(
    env: WorkflowEnvironment, queue: str, orgs: OrgFactory, days: int, step: int
) -> tuple[Billed, WorkflowHandle]:
    """The default ladder of an invoice due today, `days` days on, with `step` done."""
    b = billed_org(orgs, (await _today(env)).date())
    handle = await _start(env, queue, b)
    await env.sleep(timedelta(days=days))
    await _until_step(b, step)
    return b, handle


def _pay_in_full(b: Billed) -> None:
    with tenant_session(b.org.org_id, actor_type="test") as s:
        rid, inv = b.resident_ids[0], b.invoice_ids[0]
        payments.record_received_payment(
            s, uuid.uuid4(), NewPayment(rid, RENT, PaymentMethodType.CASH, inv), recorded_by=None
        )


def _actions(b: Billed, n: int = 0) -> list[tuple[int, DunningActionStatus, str | None]]:
    with tenant_session(b.org.org_id, actor_type="test") as s:
        return [(a.step_number, a.status, a.failure_reason) for a in dunning.actions(s, b.invoice_ids[n])]


async def _until_step(b: Billed, step: int, status: DunningActionStatus = SENT) -> None:
    for _ in range(400):
        if any(a[0] == step and a[1] is status for a in _actions(b)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"step {step} never became {status}: {_actions(b)}")


def _fees(b: Billed, n: int = 0) -> tuple[int, int]:
    """(late-fee lines on the invoice, late-fee ledger lines)"""
    with tenant_session(b.org.org_id, actor_type="test") as s:
        lines = s.scalar(
            select(func.count()).where(
                InvoiceLineItem.invoice_id == b.invoice_ids[n],
                InvoiceLineItem.line_type == LineItemType.LATE_FEE,
            )
        )
        acct = accounts.ensure_accounts(s)
        entries = s.scalar(
            select(func.count()).where(
                LedgerEntry.invoice_id == b.invoice_ids[n],
                LedgerEntry.account_id == acct[accounts.LATE_FEE_REVENUE],
            )
        )
        return int(lines or 0), int(entries or 0)


def _trial_balance(b: Billed) -> int:
    with tenant_session(b.org.org_id, actor_type="test") as s:
        return accounts.trial_balance(s)


async def test_the_full_ladder_reminds_charges_a_late_fee_reminds_again_and_escalates_to_the_house_manager(
    time_skipping: WorkflowEnvironment, dunning_worker: str, smtp_sink: SmtpSink, orgs: OrgFactory
) -> None:
    due = (await _today(time_skipping)).date()
    b = billed_org(orgs, due)
    handle = await _start(time_skipping, dunning_worker, b)
    result: DunningProgress = await handle.result()
    assert result.stopped is None and result.finished
    assert [(o.step, o.status) for o in result.done] == [(1, SENT), (2, SENT), (3, SENT), (4, SENT)]
    # Each step ran on its day: due + 3, 5, 7 and 14 at 09:00 UTC.
    assert [p.at.date() - due for p in result.planned] == [timedelta(days=d) for d in (3, 5, 7, 14)]
    assert [(a[0], a[1]) for a in _actions(b)] == [(1, SENT), (2, SENT), (3, SENT), (4, SENT)]

    first, second = smtp_sink.messages(to=b.resident_emails[0])
    (escalation,) = smtp_sink.messages(to=b.manager_email)
    with tenant_session(b.org.org_id, actor_type="test") as s:
        inv = invoices.get_invoice(s, b.invoice_ids[0])
        number, total = inv.number, inv.total_cents
        sent_ids = [a.provider_message_id for a in dunning.actions(s, inv.id)]
    assert total == RENT + 2500
    assert first["Subject"] == f"Reminder: invoice {number} is past due"
    assert second["Subject"] == f"Second reminder: invoice {number} is past due"
    first_body, second_body = first.get_content(), second.get_content()
    assert "Maple House" in first_body and number in first_body
    assert "$900.00" in first_body and "$925.00" in second_body  # the late fee is owed too
    link = next(w for w in first_body.split() if "/v1/billing/pay/" in w)
    paylink = read_payment_link(link.rsplit("/", 1)[1], datetime.now(UTC))
    assert (paylink.org_id, paylink.invoice_id) == (b.org.org_id, b.invoice_ids[0])
    assert first["Message-ID"] == sent_ids[0] == dunning.message_id_for(keys.dunning_action_key(inv.id, 1))
    assert escalation["Message-ID"] == sent_ids[3]
    assert number in escalation.get_content() and "14 days past due" in escalation.get_content()
    for msg in (first, second, escalation):
        text = (msg["Subject"] + "\n" + msg.get_content()).lower()
        assert dunning_messages.part2_words_in(text) == []
        # The issue's own list, independent of the service's guard.
        issue_list = "treatment program recovery substance detox rehab clinical diagnosis"
        assert not any(w in text for w in issue_list.split())
    assert _fees(b) == (1, 1)
    assert _trial_balance(b) == 0


async def test_a_payment_mid_ladder_stops_it_at_once(
    time_skipping: WorkflowEnvironment, dunning_worker: str, smtp_sink: SmtpSink, orgs: OrgFactory
) -> None:
    # Past the first reminder, before the late fee.
    b, handle = await _ladder_past(time_skipping, dunning_worker, orgs, days=4, step=1)
    _pay_in_full(b)
    paid_at = await _today(time_skipping)
    await handle.signal(DunningWorkflow.invoice_changed, InvoiceChanged(Actor.system(b.org.org_id)))
    result: DunningProgress = await handle.result()
    assert result.stopped is Stopped.SETTLED
    assert [o.step for o in result.done] == [1]
    desc = await handle.describe()
    assert desc.close_time is not None and desc.close_time - paid_at < timedelta(hours=1)
    assert _actions(b) == [(1, SENT, None), (2, SKIPPED, "paid"), (3, SKIPPED, "paid"), (4, SKIPPED, "paid")]
    assert len(smtp_sink.messages()) == 1 and _fees(b) == (0, 0)
    assert _trial_balance(b) == 0


async def test_a_step_rechecks_the_invoice_so_a_missed_signal_sends_nothing_for_a_paid_invoice(
    time_skipping: WorkflowEnvironment, dunning_worker: str, smtp_sink: SmtpSink, orgs: OrgFactory
) -> None:
    b, handle = await _ladder_past(time_skipping, dunning_worker, orgs, days=4, step=1)
    _pay_in_full(b)
    # No signal: the late-fee step finds the invoice paid and ends the ladder.
    result: DunningProgress = await handle.result()
    assert result.stopped is Stopped.SETTLED
    assert [(o.step, o.status, o.stopped) for o in result.done] == [(1, SENT, False), (2, SKIPPED, True)]
    assert [a[1] for a in _actions(b)] == [SENT, SKIPPED, SKIPPED, SKIPPED]
    assert len(smtp_sink.messages()) == 1 and _fees(b) == (0, 0)


async def test_a_write_off_stops_the_ladder_and_moves_what_is_owed_to_bad_debt(
    time_skipping: WorkflowEnvironment, dunning_worker: str, smtp_sink: SmtpSink, orgs: OrgFactory
) -> None:
    # The reminder and the late fee done.
    b, handle = await _ladder_past(time_skipping, dunning_worker, orgs, days=6, step=2)
    actor = Actor.system(b.org.org_id)
    writeoff = await time_skipping.client.start_workflow(
        WriteOffWorkflow.run,
        WriteOffRequest(actor, b.invoice_ids[0]),
        id=WRITE_OFF.id(b.org.org_id, uuid.uuid4()),
        task_queue=dunning_worker,
    )
    done = await writeoff.execute_update(WriteOffWorkflow.write_off, actor)
    assert (done.written_off_cents, done.skipped_steps) == (RENT + 2500, 2)
    result: DunningProgress = await handle.result()
    assert result.stopped is Stopped.SETTLED and [o.step for o in result.done] == [1, 2]
    assert [a[1:] for a in _actions(b)][2:] == [(SKIPPED, "written off")] * 2
    with tenant_session(b.org.org_id, actor_type="test") as s:
        assert invoices.get_invoice(s, b.invoice_ids[0]).status is InvoiceStatus.UNCOLLECTIBLE
        assert accounts.invoice_outstanding(s, b.invoice_ids[0]) == 0
        acct = accounts.ensure_accounts(s)
        from services.ledger import account_balance

        assert account_balance(s, acct[accounts.BAD_DEBT]) == RENT + 2500
        assert accounts.trial_balance(s) == 0
    assert len(smtp_sink.messages()) == 1


async def test_the_daily_sweep_starts_one_ladder_per_overdue_invoice_once(
    time_skipping: WorkflowEnvironment, dunning_worker: str, orgs: OrgFactory
) -> None:
    today = (await _today(time_skipping)).date()
    far = [{"step": 1, "days_after_due": 60, "action_type": "reminder_email"}]
    b = billed_org(orgs, today - timedelta(days=2), residents=3, steps=far)
    with tenant_session(b.org.org_id, actor_type="test") as s:
        # One paid, one not due until tomorrow: only the third is an overdue open invoice.
        invoices.get_invoice(s, b.invoice_ids[1]).due_date = today + timedelta(days=1)
    _pay_in_full(b)
    actor = Actor.system(b.org.org_id)
    for expected in (1, 0):
        swept = await time_skipping.client.execute_workflow(
            DunningSweepWorkflow.run,
            SweepInput(actor, as_of=today, page_size=1, pages_per_run=1),
            id=DUNNING.id(b.org.org_id, f"sweep-{expected}"),
            task_queue=dunning_worker,
        )
        assert swept.started == expected
    ladder = time_skipping.client.get_workflow_handle(dunning_id(b.org.org_id, b.invoice_ids[2]))
    assert (await ladder.describe()).workflow_type == "DunningInvoice"
    await _until_planned(b, 2)
    for n in (0, 1):
        assert _actions(b, n) == []


async def _until_planned(b: Billed, n: int) -> None:
    for _ in range(400):
        if _actions(b, n):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(_actions(b, n))


def _late_fee_journal_lines(b: Billed, step: int) -> int:
    with tenant_session(b.org.org_id, actor_type="test") as s:
        jid = journal_id_for(dunning.late_fee_key(b.invoice_ids[0], step))
        return int(s.scalar(select(func.count()).where(LedgerEntry.journal_id == jid)) or 0)


async def test_an_invoice_with_no_config_or_nothing_owed_plans_no_steps(
    time_skipping: WorkflowEnvironment, dunning_worker: str, orgs: OrgFactory
) -> None:
    due = (await _today(time_skipping)).date() - timedelta(days=3)
    b = billed_org(orgs, due, steps=[])
    result: DunningProgress = await (await _start(time_skipping, dunning_worker, b)).result()
    assert (result.planned, result.done, result.stopped) == ([], [], Stopped.NOTHING_PLANNED)
    with tenant_session(b.org.org_id, actor_type="test") as s:
        assert s.scalar(select(func.count()).select_from(DunningAction)) == 0
