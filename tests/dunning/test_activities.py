"""The dunning activities one by one, and under Temporal's retries: a late fee posts once and a
reminder goes out once however often a step runs; the wording guard; who gets what."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from temporalio import activity
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

import registry
from activities.billing.dunning import DunningActivities, InvoiceRef, StepInput, StepOutcome
from core.db import tenant_session
from core.enums import DunningActionStatus, InvoiceStatus, LineItemType, PaymentMethodType
from core.notify import RecordingNotifier
from core.process import Actor
from models.payments import InvoiceLineItem, LedgerEntry
from services.billing import accounts, dunning, dunning_messages, invoices, keys, payments
from services.ledger import journal_id_for
from tests.dunning.builders import RENT, Billed, billed_org
from tests.dunning.conftest import SmtpSink, smtp_notifier
from tests.factories import OrgFactory
from workflows.billing.dunning import DunningInput, DunningProgress, DunningWorkflow, dunning_id

FEE_LADDER = [
    {"step": 1, "days_after_due": 1, "action_type": "reminder_email"},
    {"step": 2, "days_after_due": 2, "action_type": "late_fee"},
]
NOW = datetime.now(UTC)


def _acts(notifier: object | None = None) -> DunningActivities:
    from worker import build_deps

    deps = build_deps()
    return DunningActivities(replace(deps, notifier=notifier or RecordingNotifier()))  # type: ignore[arg-type]


def _planned(b: Billed, acts: DunningActivities) -> None:
    ActivityEnvironment().run(acts.plan, InvoiceRef(Actor.system(b.org.org_id), b.invoice_ids[0]))


def _step(b: Billed, acts: DunningActivities, step: int) -> StepOutcome:
    inp = StepInput(Actor.system(b.org.org_id), b.invoice_ids[0], step, NOW)
    return ActivityEnvironment().run(acts.run_step, inp)


def _fee_rows(b: Billed, step: int) -> tuple[int, int, int]:
    """(late-fee lines, entries of the step's late-fee journal, invoice total)"""
    inv_id = b.invoice_ids[0]
    with tenant_session(b.org.org_id, actor_type="test") as s:
        lines = s.scalar(
            select(func.count()).where(
                InvoiceLineItem.invoice_id == inv_id, InvoiceLineItem.line_type == LineItemType.LATE_FEE
            )
        )
        jid = journal_id_for(dunning.late_fee_key(inv_id, step))
        entries = s.scalar(select(func.count()).where(LedgerEntry.journal_id == jid))
        return int(lines or 0), int(entries or 0), invoices.get_invoice(s, inv_id).total_cents


def test_a_late_fee_step_run_twice_posts_one_fee_line_and_one_journal(orgs: OrgFactory) -> None:
    b = billed_org(orgs, NOW.date() - timedelta(days=3), steps=FEE_LADDER)
    acts = _acts()
    _planned(b, acts)
    assert _step(b, acts, 2).status is DunningActionStatus.SENT
    # A retry after the first attempt committed (its answer lost): nothing more.
    assert _step(b, acts, 2).status is DunningActionStatus.SENT
    assert _fee_rows(b, 2) == (1, 2, RENT + 2500)
    with tenant_session(b.org.org_id, actor_type="test") as s:
        assert accounts.invoice_outstanding(s, b.invoice_ids[0]) == RENT + 2500
        assert accounts.trial_balance(s) == 0


def test_concurrent_attempts_of_a_late_fee_step_post_it_once(orgs: OrgFactory) -> None:
    b = billed_org(orgs, NOW.date() - timedelta(days=3), steps=FEE_LADDER)
    acts = _acts()
    _planned(b, acts)
    start = threading.Barrier(4)

    def attempt() -> StepOutcome:
        start.wait()
        return _step(b, acts, 2)

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda _: attempt(), range(4)))
    assert {o.status for o in outcomes} == {DunningActionStatus.SENT}
    assert _fee_rows(b, 2) == (1, 2, RENT + 2500)


def test_late_fees_stop_at_the_configured_cap(orgs: OrgFactory) -> None:
    steps = [{"step": n, "days_after_due": n, "action_type": "late_fee"} for n in (1, 2, 3)]
    b = billed_org(
        orgs, NOW.date() - timedelta(days=5), steps=steps, late_fee_cents=3000, late_fee_cap_cents=5000
    )
    acts = _acts()
    _planned(b, acts)
    assert [_step(b, acts, n).status for n in (1, 2, 3)] == [
        DunningActionStatus.SENT,
        DunningActionStatus.SENT,
        DunningActionStatus.SKIPPED,
    ]
    with tenant_session(b.org.org_id, actor_type="test") as s:
        assert dunning.late_fees_charged(s, b.invoice_ids[0]) == 5000  # 3,000 then the 2,000 left
        assert accounts.trial_balance(s) == 0


def test_a_late_fee_step_with_no_fee_set_is_skipped_and_says_so(orgs: OrgFactory) -> None:
    b = billed_org(
        orgs, NOW.date() - timedelta(days=5), steps=FEE_LADDER, late_fee_cents=0, late_fee_cap_cents=None
    )
    acts = _acts()
    _planned(b, acts)
    assert _step(b, acts, 2).status is DunningActionStatus.SKIPPED
    with tenant_session(b.org.org_id, actor_type="test") as s:
        (action,) = [a for a in dunning.actions(s, b.invoice_ids[0]) if a.step_number == 2]
        assert action.failure_reason == "no late fee is set"
        assert dunning.late_fees_charged(s, b.invoice_ids[0]) == 0


def test_a_reminder_run_twice_is_sent_once_with_a_message_id_from_its_key(
    orgs: OrgFactory, smtp_sink: SmtpSink
) -> None:
    b = billed_org(orgs, NOW.date() - timedelta(days=3), steps=FEE_LADDER)
    acts = _acts(smtp_notifier(smtp_sink))
    _planned(b, acts)
    assert _step(b, acts, 1).status is DunningActionStatus.SENT
    assert _step(b, acts, 1).status is DunningActionStatus.SENT
    (msg,) = smtp_sink.messages()
    assert msg["To"] == b.resident_emails[0]
    assert msg["Message-ID"] == dunning.message_id_for(keys.dunning_action_key(b.invoice_ids[0], 1))


def test_a_house_named_with_a_part_2_word_is_not_named_in_the_reminder(
    orgs: OrgFactory, smtp_sink: SmtpSink
) -> None:
    b = billed_org(
        orgs, NOW.date() - timedelta(days=3), house_name="Harbor Recovery Residence", steps=FEE_LADDER
    )
    acts = _acts(smtp_notifier(smtp_sink))
    _planned(b, acts)
    _step(b, acts, 1)
    (msg,) = smtp_sink.messages()
    body = msg.get_content()
    assert "your residence" in body and "Harbor" not in body
    assert dunning_messages.part2_words_in(msg["Subject"] + body) == []


def test_the_escalation_goes_to_the_house_manager_of_the_invoices_house_only(
    orgs: OrgFactory, smtp_sink: SmtpSink
) -> None:
    steps = [{"step": 1, "days_after_due": 10, "action_type": "staff_escalation"}]
    b = billed_org(orgs, NOW.date() - timedelta(days=12), steps=steps)
    acts = _acts(smtp_notifier(smtp_sink))
    _planned(b, acts)
    assert _step(b, acts, 1).status is DunningActionStatus.SENT
    (msg,) = smtp_sink.messages()
    # Not the org-wide house manager the org was created with; not the resident.
    assert msg["To"] == b.manager_email
    assert "12 days past due" in msg.get_content()
    assert dunning_messages.part2_words_in(msg.get_content()) == []


def test_a_reminder_with_no_address_on_file_is_marked_failed_not_retried_forever(orgs: OrgFactory) -> None:
    from models.residents import Resident

    b = billed_org(orgs, NOW.date() - timedelta(days=3), steps=FEE_LADDER)
    with tenant_session(b.org.org_id, actor_type="test") as s:
        r = s.get(Resident, b.resident_ids[0])
        assert r is not None
        r.email = None
    notifier = RecordingNotifier()
    acts = _acts(notifier)
    _planned(b, acts)
    assert _step(b, acts, 1).status is DunningActionStatus.FAILED
    assert notifier.emails() == []


def test_a_write_off_refuses_an_invoice_that_owes_nothing(orgs: OrgFactory) -> None:
    from core.errors import Conflict

    b = billed_org(orgs, NOW.date() - timedelta(days=3), steps=[])
    with tenant_session(b.org.org_id, actor_type="test") as s:
        payments.record_received_payment(
            s,
            uuid.uuid4(),
            payments.NewPayment(b.resident_ids[0], RENT, PaymentMethodType.CASH, b.invoice_ids[0]),
            recorded_by=None,
        )
    with pytest.raises(Conflict) as err, tenant_session(b.org.org_id, actor_type="test") as s:
        dunning.write_off(s, b.invoice_ids[0], NOW.date())
    assert err.value.field == "invoice_id"
    with tenant_session(b.org.org_id, actor_type="test") as s:
        assert invoices.get_invoice(s, b.invoice_ids[0]).status is InvoiceStatus.PAID


class LosesEveryFirstAnswer(DunningActivities):
    """Each step's first attempt does its work, commits, then fails: Temporal retries it."""

    attempts: Counter[int] = Counter()

    @activity.defn(name="dunning.run_step")
    def run_step(self, inp: StepInput) -> StepOutcome:
        out = super().run_step(inp)
        self.attempts[inp.step] += 1
        if activity.info().attempt == 1:
            raise RuntimeError("the worker died after the commit")
        return out


async def test_a_ladder_whose_steps_fail_after_commit_still_sends_once_and_charges_once(
    time_skipping: WorkflowEnvironment, orgs: OrgFactory, smtp_sink: SmtpSink
) -> None:
    from worker import build_deps

    today = (await time_skipping.get_current_time()).date()
    b = billed_org(orgs, today, steps=FEE_LADDER)
    deps = replace(build_deps(), notifier=smtp_notifier(smtp_sink))
    flaky = LosesEveryFirstAnswer(deps)
    others = [
        m
        for m in registry.activities(deps)
        if getattr(m, "__self__", None).__class__ is not DunningActivities
    ]
    queue = f"flaky-{uuid.uuid4().hex[:8]}"
    async with Worker(
        time_skipping.client,
        task_queue=queue,
        workflows=registry.workflows(),
        activities=others + flaky.methods(),
        activity_executor=ThreadPoolExecutor(4),
    ):
        result: DunningProgress = await time_skipping.client.execute_workflow(
            DunningWorkflow.run,
            DunningInput(Actor.system(b.org.org_id), b.invoice_ids[0]),
            id=dunning_id(b.org.org_id, b.invoice_ids[0]),
            task_queue=queue,
        )
    assert [(o.step, o.status) for o in result.done] == [
        (1, DunningActionStatus.SENT),
        (2, DunningActionStatus.SENT),
    ]
    assert flaky.attempts == Counter({1: 2, 2: 2})
    assert len(smtp_sink.messages()) == 1
    assert _fee_rows(b, 2) == (1, 2, RENT + 2500)
    with tenant_session(b.org.org_id, actor_type="test") as s:
        assert accounts.trial_balance(s) == 0
