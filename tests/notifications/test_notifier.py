"""The notifier as an activity against a real SMTP server (aiosmtpd) and a real HTTP stand-in
for Twilio's Messages API, through the official `twilio` SDK: each message reaches the channel
the user chose, carries a fixed text that says nothing about treatment, and nothing at all is
sent in the user's quiet hours."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, time

import pytest
from temporalio.testing import ActivityEnvironment

from activities.base import Deps
from activities.notifications import NotificationActivities, Notified, Notify
from core.db import app_engine, tenant_session
from core.enums import MessageChannel, UserRole
from core.notify import SmtpNotifier
from core.process import Actor
from core.sms import TwilioSms
from core.sms_standin import SmsStandIn
from core.wording import part2_words_in
from models.orgs import House
from models.users import User
from services import notifications
from services.notifications import TEMPLATES, Choice, Kind
from tests.admission.places import house
from tests.dunning.conftest import SmtpSink
from tests.factories import OrgFactory

SID, FROM = "AC" + "0" * 32, "+15005550006"
PHONE = "+15551230001"
# 03:00 in Chicago (09:00 UTC, December): inside quiet hours of 21:00-08:00.
NIGHT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
DAY = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)


@pytest.fixture
def sms() -> Iterator[SmsStandIn]:
    standin = SmsStandIn().start()
    try:
        yield standin
    finally:
        standin.stop()


@pytest.fixture
def notifier(smtp_sink: SmtpSink, sms: SmsStandIn) -> NotificationActivities:
    gateway = TwilioSms(SID, "stand-in-token", FROM, base_url=sms.base_url)
    smtp = SmtpNotifier("127.0.0.1", smtp_sink.port, "Notices <notices@houses.example>", sms=gateway)
    return NotificationActivities(Deps(engine=app_engine(), notifier=smtp))


def _user(orgs: OrgFactory, house_name: str = "Oak House") -> tuple[Actor, uuid.UUID, uuid.UUID, str]:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    user_id = org.users[UserRole.HOUSE_MANAGER]
    layout = house(org.org_id, ["1"], name=house_name)
    with tenant_session(org.org_id, actor_type="test") as s:
        user = s.get(User, user_id)
        assert user is not None
        user.phone = PHONE
    return (
        Actor(org.org_id, None, "notify-test"),
        user_id,
        layout.house_id,
        org.emails[UserRole.HOUSE_MANAGER],
    )


def _notify(
    acts: NotificationActivities,
    actor: Actor,
    user_id: uuid.UUID,
    kind: Kind,
    house_id: uuid.UUID,
    at: datetime,
) -> Notified:
    inp = Notify(actor, user_id, kind, house_id, f"test-{uuid.uuid4().hex[:8]}", at)
    result: Notified = ActivityEnvironment().run(acts.notify, inp)
    return result


def _prefer(
    actor: Actor, user_id: uuid.UUID, choices: list[Choice], quiet: tuple[time, time] | None = None
) -> None:
    with tenant_session(actor.org_id, actor_type="test") as s:
        notifications.set_preferences(s, user_id, choices, "America/Chicago", quiet)


def test_by_default_a_message_goes_by_e_mail_with_a_fixed_text(
    notifier: NotificationActivities,
    smtp_sink: SmtpSink,
    sms: SmsStandIn,
    orgs: OrgFactory,
) -> None:
    actor, user_id, house_id, address = _user(orgs)
    done = _notify(notifier, actor, user_id, Kind.MESSAGE_RECEIVED, house_id, DAY)
    assert done.channels == [MessageChannel.EMAIL]
    (mail,) = smtp_sink.messages(address)
    assert mail["Subject"] == "You have a new message"
    assert mail.get_content().strip() == "You have a new message from Oak House. Sign in to read it."
    assert sms.sent() == []


def test_a_user_who_chose_text_gets_a_text_through_the_twilio_api_and_no_e_mail(
    notifier: NotificationActivities,
    smtp_sink: SmtpSink,
    sms: SmsStandIn,
    orgs: OrgFactory,
) -> None:
    actor, user_id, house_id, address = _user(orgs)
    _prefer(actor, user_id, [Choice(MessageChannel.SMS, "*", True), Choice(MessageChannel.EMAIL, "*", False)])
    done = _notify(notifier, actor, user_id, Kind.ANNOUNCEMENT, house_id, DAY)
    assert done.channels == [MessageChannel.SMS]
    (text,) = sms.sent()
    assert (text.account_sid, text.to, text.from_) == (SID, PHONE, FROM)
    assert text.body == "Oak House posted an announcement. Sign in to read it."
    assert smtp_sink.messages(address) == []


def test_nothing_is_sent_in_quiet_hours_and_the_plan_says_until_when(
    notifier: NotificationActivities,
    smtp_sink: SmtpSink,
    sms: SmsStandIn,
    orgs: OrgFactory,
) -> None:
    actor, user_id, house_id, address = _user(orgs)
    _prefer(actor, user_id, [Choice(MessageChannel.SMS, "*", True)], quiet=(time(21, 0), time(8, 0)))
    for kind in (Kind.MESSAGE_RECEIVED, Kind.PAYMENT_DUE):  # essential or not
        held = _notify(notifier, actor, user_id, kind, house_id, NIGHT)
        assert held.channels == [] and held.quiet_until == datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
    assert sms.sent() == [] and smtp_sink.messages(address) == []
    sent = _notify(notifier, actor, user_id, Kind.MESSAGE_RECEIVED, house_id, DAY)
    assert sent.channels == [MessageChannel.EMAIL, MessageChannel.SMS]


def test_an_opt_out_stops_non_essential_messages_but_not_essential_ones(
    notifier: NotificationActivities,
    smtp_sink: SmtpSink,
    sms: SmsStandIn,
    orgs: OrgFactory,
) -> None:
    actor, user_id, house_id, address = _user(orgs)
    _prefer(actor, user_id, [Choice(MessageChannel.EMAIL, "*", False)])
    skipped = _notify(notifier, actor, user_id, Kind.MESSAGE_RECEIVED, house_id, DAY)
    assert skipped.channels == []
    due = _notify(notifier, actor, user_id, Kind.PAYMENT_DUE, house_id, DAY)
    assert due.channels == [MessageChannel.EMAIL]
    (mail,) = smtp_sink.messages(address)
    assert mail.get_content().strip() == "A payment to Oak House is due. Sign in to see it."


def test_no_template_or_house_name_says_what_kind_of_place_it_is(
    notifier: NotificationActivities,
    smtp_sink: SmtpSink,
    orgs: OrgFactory,
) -> None:
    for t in TEMPLATES.values():
        assert part2_words_in(t.subject + t.text) == []
    actor, user_id, house_id, address = _user(orgs, "Hope Recovery House")
    _notify(notifier, actor, user_id, Kind.DOCUMENT_TO_SIGN, house_id, DAY)
    (mail,) = smtp_sink.messages(address)
    assert mail.get_content().strip() == "Your residence sent you a document to sign. Sign in to see it."
    with tenant_session(actor.org_id, actor_type="test") as s:
        row = s.get(House, house_id)
        assert row is not None and part2_words_in(row.name) == ["recovery"]


def test_each_person_sets_their_own_channels_and_quiet_hours_over_http(stack: str, orgs: OrgFactory) -> None:
    import httpx

    org = orgs.create((UserRole.HOUSE_MANAGER, UserRole.RESIDENT))
    path = "/v1/me/notification-preferences"
    for role in (UserRole.HOUSE_MANAGER, UserRole.RESIDENT):
        with httpx.Client(base_url=stack, headers=org.headers(role), timeout=30) as http:
            before = http.get(path).json()
            assert before["choices"] == [] and before["quiet_hours"] is None
            assert before["essential_kinds"] == [
                "document.to_sign",
                "operations.attention",
                "payment.due",
                "payment.overdue",
            ]
            bad = http.put(path, json={"time_zone": "Mars/Olympus"})
            assert bad.status_code == 422 and bad.json()["field"] == "time_zone"
            body = {
                "time_zone": "America/Chicago",
                "quiet_hours": {"start": "21:00", "end": "08:00"},
                "choices": [{"channel": "sms", "enabled": True}],
            }
            after = http.put(path, json=body)
            assert after.status_code == 200, after.text
            assert after.json()["quiet_hours"] == {"start": "21:00", "end": "08:00"}
            assert http.put(path, json={"quiet_hours": {"start": "9pm", "end": "08:00"}}).status_code == 422
            assert {(c["channel"], c["kind"], c["enabled"]) for c in after.json()["choices"]} == {
                ("email", "*", True),
                ("sms", "*", True),
            }
    with tenant_session(org.org_id, actor_type="test") as s:
        mine = notifications.preferences(s, org.users[UserRole.RESIDENT])
        assert len(mine) == 2 and all(r.user_id == org.users[UserRole.RESIDENT] for r in mine)
