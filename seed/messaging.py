"""Conversations, messages, announcements and their reads."""

from __future__ import annotations

from datetime import timedelta

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


def messaging(ctx: SeedContext) -> None:
    staff = [u for role, u in ctx.users.items() if role is not UserRole.RESIDENT]
    res_user = ctx.users[UserRole.RESIDENT]
    first = ctx.residents[0]
    cm = ctx.case_manager
    convs: list[tuple[Conversation, list[User], list[tuple[User, str]]]] = []
    staff_msgs: list[tuple[User, str]] = [
        (cm, ctx.p(f"{r.person.first} has a clinic appointment Thursday; can someone drive?"))
        for r in [r for r in ctx.residents if r.current][:3]
    ]
    staff_msgs.append((ctx.house_manager, ctx.p("I can take the van; will log mileage afterwards.")))
    staff_conv = ctx.new(
        Conversation,
        conversation_type=ConversationType.STAFF,
        subject="Weekly case review",
        last_message_at=day_at(-2, 8 + len(staff_msgs)),
    )
    convs.append((staff_conv, staff, staff_msgs))
    for house in ctx.houses:
        conv = ctx.new(
            Conversation,
            conversation_type=ConversationType.HOUSE,
            house_id=house.id,
            subject=f"{house.name} announcements",
            last_message_at=day_at(-2, 9),
        )
        members = [ctx.house_manager]
        if first.house is house:
            members.append(res_user)
        convs.append(
            (
                conv,
                members,
                [
                    (
                        ctx.house_manager,
                        ctx.p(f"Reminder for {house.name}: inspection Saturday at 10, rooms ready."),
                    )
                ],
            )
        )
    direct = ctx.new(
        Conversation,
        conversation_type=ConversationType.DIRECT,
        subject=ctx.p(f"{first.person.first}'s court date"),
        last_message_at=day_at(-2, 11),
    )
    convs.append(
        (
            direct,
            [cm, res_user],
            [
                (
                    cm,
                    ctx.p(f"Hi {first.person.first}, your progress letter for the judge is ready to sign."),
                ),
                (res_user, ctx.p("Thank you! Can I pick it up after my shift at the bakery?")),
                (cm, ctx.p("Yes, I am in the office until five. Bring your attendance slips too.")),
            ],
        )
    )
    ctx.flush()
    for conv, members, msgs in convs:
        joined = day_at(-30, 9)
        for u in members:
            ctx.new(
                ConversationMember,
                conversation_id=conv.id,
                user_id=u.id,
                joined_at=joined,
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
                file_upload_id=ctx.misc_file.id if conv is staff_conv and k == 0 else None,
            )
    # A member who left the staff thread.
    ctx.new(
        ConversationMember,
        conversation_id=direct.id,
        user_id=ctx.users[UserRole.PEER_SUPPORT].id,
        joined_at=day_at(-30, 9),
        left_at=day_at(-20, 9),
    )
    anns = [
        Announcement(
            id=ctx.nid(),
            org_id=ctx.org_id,
            audience=AnnouncementAudience.ORG,
            title="Holiday office hours",
            body=ctx.p(
                "The office closes at noon on Thanksgiving Eve; the on-call line stays open all night."
            ),
            publish_at=day_at(-5, 8),
            expires_at=day_at(30, 8),
            priority=Priority.NORMAL,
        ),
        Announcement(
            id=ctx.nid(),
            org_id=ctx.org_id,
            audience=AnnouncementAudience.HOUSE,
            house_id=ctx.houses[0].id,
            title="Fire drill this week",
            body=ctx.p(
                f"Fire drill Wednesday evening; {first.person.first} is this month's safety captain for "
                f"{ctx.houses[0].name}."
            ),
            publish_at=day_at(-2, 8),
            expires_at=day_at(5, 8),
            priority=Priority.HIGH,
        ),
        Announcement(
            id=ctx.nid(),
            org_id=ctx.org_id,
            audience=AnnouncementAudience.PROPERTY,
            property_id=ctx.properties[0].id,
            title="Driveway resurfacing",
            body=ctx.p("Contractors resurface the shared driveway Monday; park on the street from 7am."),
            publish_at=day_at(-1, 8),
            priority=Priority.LOW,
        ),
        Announcement(
            id=ctx.nid(),
            org_id=ctx.org_id,
            audience=AnnouncementAudience.RESIDENTS,
            title="Alumni dinner",
            body=ctx.p("Alumni dinner on the 15th: three graduates will share their stories of recovery."),
            publish_at=day_at(-3, 8),
        ),
    ]
    for a in anns:
        ctx.add(a)
    ctx.flush()
    for a in anns:
        for u in [ctx.users[UserRole.ORG_OWNER], ctx.house_manager, res_user]:
            ctx.new(
                AnnouncementRead,
                announcement_id=a.id,
                user_id=u.id,
                read_at=a.publish_at + timedelta(hours=2),
            )
