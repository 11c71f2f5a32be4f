"""Conversations, messages, announcements and their reads."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.enums import (
    AnnouncementAudience,
    ConversationType,
    MessageChannel,
    Priority,
    UserRole,
)
from models.messaging import Announcement, Conversation, ConversationMember, Message
from models.messaging_extended import AnnouncementRead
from models.users import User
from seed.context import SeedContext, day_at

# A conversation, its members, and its messages by sender.
Thread = tuple[Conversation, list[User], list[tuple[User, str]]]


def messaging(ctx: SeedContext) -> None:
    res_user = ctx.users[UserRole.RESIDENT]
    threads = [_staff_thread(ctx), *_house_threads(ctx), _direct_thread(ctx)]
    ctx.flush()
    for conv, members, msgs in threads:
        for u in members:
            ctx.new(
                ConversationMember,
                conversation_id=conv.id,
                user_id=u.id,
                joined_at=day_at(-30, 9),
                last_read_at=day_at(-1, 20),
            )
        for k, (sender, body) in enumerate(msgs):
            sent = day_at(-2, 9 + k)
            ctx.new(
                Message,
                conversation_id=conv.id,
                sender_user_id=sender.id,
                body=body,
                channel=MessageChannel.IN_APP,
                sent_at=sent,
                edited_at=sent + timedelta(minutes=3) if k == 1 else None,
                file_upload_id=ctx.misc_file.id if conv is threads[0][0] and k == 0 else None,
            )
    # A member who left the direct thread.
    ctx.new(
        ConversationMember,
        conversation_id=threads[-1][0].id,
        user_id=ctx.users[UserRole.PEER_SUPPORT].id,
        joined_at=day_at(-30, 9),
        left_at=day_at(-20, 9),
    )
    anns = _announcements(ctx)
    ctx.flush()
    for a in anns:
        for u in [ctx.users[UserRole.ORG_OWNER], ctx.house_manager, res_user]:
            ctx.new(
                AnnouncementRead,
                announcement_id=a.id,
                user_id=u.id,
                read_at=a.publish_at + timedelta(hours=2),
            )


def _staff_thread(ctx: SeedContext) -> Thread:
    """The weekly case review among all staff: rides to clinic appointments."""
    staff = [u for role, u in ctx.users.items() if role is not UserRole.RESIDENT]
    msgs: list[tuple[User, str]] = [
        (ctx.case_manager, ctx.p(f"{r.person.first} has a clinic appointment Thursday; can someone drive?"))
        for r in [r for r in ctx.residents if r.current][:3]
    ]
    msgs.append((ctx.house_manager, ctx.p("I can take the van; will log mileage afterwards.")))
    conv = ctx.new(
        Conversation,
        conversation_type=ConversationType.STAFF,
        subject="Weekly case review",
        last_message_at=day_at(-2, 8 + len(msgs)),
    )
    return conv, staff, msgs


def _house_threads(ctx: SeedContext) -> list[Thread]:
    """Each house's announcements, from its manager (the resident login follows its own house)."""
    threads: list[Thread] = []
    for house in ctx.houses:
        conv = ctx.new(
            Conversation,
            conversation_type=ConversationType.HOUSE,
            house_id=house.id,
            subject=f"{house.name} announcements",
            last_message_at=day_at(-2, 9),
        )
        members = [ctx.house_manager]
        if ctx.residents[0].house is house:
            members.append(ctx.users[UserRole.RESIDENT])
        reminder = ctx.p(f"Reminder for {house.name}: inspection Saturday at 10, rooms ready.")
        threads.append((conv, members, [(ctx.house_manager, reminder)]))
    return threads


def _direct_thread(ctx: SeedContext) -> Thread:
    """The case manager and the resident login about a letter for court."""
    cm, res_user, first = ctx.case_manager, ctx.users[UserRole.RESIDENT], ctx.residents[0].person.first
    conv = ctx.new(
        Conversation,
        conversation_type=ConversationType.DIRECT,
        subject=ctx.p(f"{first}'s court date"),
        last_message_at=day_at(-2, 11),
    )
    msgs = [
        (cm, ctx.p(f"Hi {first}, your progress letter for the judge is ready to sign.")),
        (res_user, ctx.p("Thank you! Can I pick it up after my shift at the bakery?")),
        (cm, ctx.p("Yes, I am in the office until five. Bring your attendance slips too.")),
    ]
    return conv, [cm, res_user], msgs


def _announcements(ctx: SeedContext) -> list[Announcement]:
    """To the whole org, to the first house, to the first property, to residents."""
    first_house = ctx.houses[0]
    captain = ctx.residents[0].person.first
    # (audience, title, body, published (days from the anchor), more fields)
    specs: list[tuple[AnnouncementAudience, str, str, int, dict[str, Any]]] = [
        (
            AnnouncementAudience.ORG,
            "Holiday office hours",
            "The office closes at noon on Thanksgiving Eve; the on-call line stays open all night.",
            -5,
            {"expires_at": day_at(30, 8), "priority": Priority.NORMAL},
        ),
        (
            AnnouncementAudience.HOUSE,
            "Fire drill this week",
            f"Fire drill Wednesday evening; {captain} is this month's safety captain for {first_house.name}.",
            -2,
            {"house_id": first_house.id, "expires_at": day_at(5, 8), "priority": Priority.HIGH},
        ),
        (
            AnnouncementAudience.PROPERTY,
            "Driveway resurfacing",
            "Contractors resurface the shared driveway Monday; park on the street from 7am.",
            -1,
            {"property_id": ctx.properties[0].id, "priority": Priority.LOW},
        ),
        (
            AnnouncementAudience.RESIDENTS,
            "Alumni dinner",
            "Alumni dinner on the 15th: three graduates will share their stories of recovery.",
            -3,
            {},
        ),
    ]
    return [
        ctx.new(
            Announcement, audience=audience, title=title, body=ctx.p(body), publish_at=day_at(day, 8), **more
        )
        for audience, title, body, day, more in specs
    ]
