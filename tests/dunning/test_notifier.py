"""Dunning's notices go through the one notifier (services/notifications.py): the resident's and
the house managers' preferences choose the channels, a text carries the fixed template (no
amount, no Part 2 wording) beside dunning's own e-mail, quiet hours hold a step back until they
end, and a retried step sends nothing twice."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.billing.dunning import DunningActivities, InvoiceRef, StepInput
from core.db import tenant_session
from core.enums import DunningActionStatus, MessageChannel, UserRole
from core.notify import RecordingNotifier, Sms
from core.process import Actor
from core.wording import part2_words_in
from models.users import User
from services import notifications
from services.billing import dunning
from services.notifications import Choice
from tests.dunning.builders import Billed, billed_org
from tests.factories import OrgFactory, add_user

REMINDER = [{"step": 1, "days_after_due": 1, "action_type": "reminder_email"}]
ESCALATION = [{"step": 1, "days_after_due": 1, "action_type": "staff_escalation"}]
NOW = datetime.now(UTC)
PHONE = "+15005550006"


def _acts(notifier: RecordingNotifier, clock: datetime = NOW) -> DunningActivities:
    from worker import build_deps

    return DunningActivities(replace(build_deps(), notifier=notifier, clock=lambda: clock))


def _planned(b: Billed, acts: DunningActivities) -> None:
    ActivityEnvironment().run(acts.plan, InvoiceRef(Actor.system(b.org.org_id), b.invoice_ids[0]))


def _step_input(b: Billed) -> StepInput:
    return StepInput(Actor.system(b.org.org_id), b.invoice_ids[0], 1, NOW)


def _status(b: Billed) -> DunningActionStatus:
    with tenant_session(b.org.org_id, actor_type="test") as s:
        (action,) = dunning.actions(s, b.invoice_ids[0])
        return action.status


def _resident_account(b: Billed, *choices: Choice, quiet: tuple[time, time] | None = None) -> None:
    """The resident signs up (with a phone) and sets their preferences."""
    with tenant_session(b.org.org_id, actor_type="test") as s:
        user = add_user(
            s,
            UserRole.RESIDENT,
            org_id=b.org.org_id,
            email=f"resident.{uuid.uuid4().hex[:8]}@example.test",
            phone=PHONE,
            resident_id=b.resident_ids[0],
        )
        notifications.set_preferences(s, user.id, list(choices), "UTC", quiet)


def _reminded(orgs: OrgFactory, choice: Choice) -> tuple[Billed, RecordingNotifier]:
    """A resident with an account and this choice, and the first reminder step run."""
    b = billed_org(orgs, NOW.date() - timedelta(days=3), steps=REMINDER)
    _resident_account(b, choice)
    notifier = RecordingNotifier()
    acts = _acts(notifier)
    _planned(b, acts)
    ActivityEnvironment().run(acts.run_step, _step_input(b))
    return b, notifier


def test_a_resident_who_chose_texts_gets_the_template_by_text_beside_dunnings_email(orgs: OrgFactory) -> None:
    b, notifier = _reminded(orgs, Choice(MessageChannel.SMS, "*", True))
    assert _status(b) is DunningActionStatus.SENT
    (email,) = notifier.emails()
    assert email.to == (b.resident_emails[0],)  # the address on the resident's record
    assert "past due" in email.subject and "$" in email.body  # dunning's own words
    (text,) = notifier.texts()
    assert text.to == PHONE and "$" not in text.body and "is due" in text.body
    assert part2_words_in(text.body) == []


def test_a_resident_who_turned_email_off_still_gets_the_reminder_it_is_essential(orgs: OrgFactory) -> None:
    b, notifier = _reminded(orgs, Choice(MessageChannel.EMAIL, "*", False))
    assert [e.to for e in notifier.emails()] == [(b.resident_emails[0],)] and notifier.texts() == []


def test_in_the_residents_quiet_hours_nothing_is_sent_and_the_step_is_retried_when_they_end(
    orgs: OrgFactory,
) -> None:
    b = billed_org(orgs, NOW.date() - timedelta(days=3), steps=REMINDER)
    at_night = datetime.combine(NOW.date(), time(23, 30), tzinfo=UTC)
    _resident_account(b, quiet=(time(21, 0), time(8, 0)))
    notifier = RecordingNotifier()
    acts = _acts(notifier, clock=at_night)
    _planned(b, acts)
    with pytest.raises(ApplicationError) as held:
        ActivityEnvironment().run(acts.run_step, _step_input(b))
    assert held.value.type == "QuietHours" and not held.value.non_retryable
    assert held.value.next_retry_delay == timedelta(hours=8, minutes=30)
    assert notifier.emails() == [] and _status(b) is DunningActionStatus.SCHEDULED

    morning = _acts(notifier, clock=at_night + timedelta(hours=8, minutes=30))
    assert ActivityEnvironment().run(morning.run_step, _step_input(b)).status is DunningActionStatus.SENT
    assert len(notifier.emails()) == 1


class _TextsFailOnce(RecordingNotifier):
    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    def send_sms(self, sms: Sms) -> str:
        if not self.failed:
            self.failed = True
            raise ConnectionError("the text gateway is down")
        return super().send_sms(sms)


def test_a_step_retried_after_its_email_went_out_sends_only_the_text(orgs: OrgFactory) -> None:
    b = billed_org(orgs, NOW.date() - timedelta(days=3), steps=REMINDER)
    _resident_account(b, Choice(MessageChannel.SMS, "*", True))
    notifier = _TextsFailOnce()
    acts = _acts(notifier)
    _planned(b, acts)
    beats: list[object] = []
    first = ActivityEnvironment()
    first.on_heartbeat = lambda *details: beats.append(details[0])
    with pytest.raises(ConnectionError):
        first.run(acts.run_step, _step_input(b))
    assert len(notifier.emails()) == 1 and _status(b) is DunningActionStatus.SCHEDULED
    # Temporal hands the next attempt the last heartbeat's details.
    retry = ActivityEnvironment()
    retry.info = replace(retry.info, attempt=2, heartbeat_details=[beats[-1]])
    assert retry.run(acts.run_step, _step_input(b)).status is DunningActionStatus.SENT
    assert len(notifier.emails()) == 1 and len(notifier.texts()) == 1


def test_the_escalation_goes_by_the_house_managers_preferences(orgs: OrgFactory) -> None:
    b = billed_org(orgs, NOW.date() - timedelta(days=3), steps=ESCALATION)
    with tenant_session(b.org.org_id, actor_type="test") as s:
        # E-mail addresses are encrypted at rest: found by reading, not by a WHERE.
        manager = next(u for u in s.scalars(select(User)) if u.email == b.manager_email)
        manager.phone = PHONE
        notifications.set_preferences(s, manager.id, [Choice(MessageChannel.SMS, "*", True)], "UTC", None)
    notifier = RecordingNotifier()
    acts = _acts(notifier)
    _planned(b, acts)
    ActivityEnvironment().run(acts.run_step, _step_input(b))
    assert [e.to for e in notifier.emails()] == [(b.manager_email,)]
    (text,) = notifier.texts()
    assert text.body.endswith("is overdue. Sign in to see it.") and "$" not in text.body
