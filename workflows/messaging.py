"""Telling the other members of a conversation that a new message is waiting.

One short workflow per message (id `messaging/<org>/<message id>`, so a retried request never
notifies twice): for each recipient, the notifier's activity sends the fixed, content-free
notice ("You have a new message from Cedar House. Sign in to read it.") by the recipient's
preferences; during their quiet hours it waits until those end, then tries once more.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    # Kind through the activity module: a workflow names no service directly.
    from activities.notifications import Kind, NotificationActivities, Notify
    from core.process import EXTERNAL_CALL, Actor, Process

MESSAGING = Process("messaging")


@dataclass(frozen=True)
class MessageNotificationInput:
    actor: Actor
    message_id: uuid.UUID
    user_ids: list[uuid.UUID]
    house_id: uuid.UUID | None = None


@dataclass(frozen=True)
class MessageNotificationResult:
    # Recipients a notice went to (on at least one channel).
    notified: list[uuid.UUID]


@workflow.defn(name="MessageNotification")
class MessageNotificationWorkflow:
    @workflow.run
    async def run(self, inp: MessageNotificationInput) -> MessageNotificationResult:
        notified = []
        for user_id in inp.user_ids:
            for _ in range(2):
                done = await workflow.execute_activity_method(
                    NotificationActivities.notify,
                    Notify(
                        inp.actor,
                        user_id,
                        Kind.MESSAGE_RECEIVED,
                        inp.house_id,
                        f"message-{inp.message_id}-{user_id}",
                        workflow.now(),
                    ),
                    **EXTERNAL_CALL.options(),
                )
                if done.quiet_until is None:
                    break
                await workflow.sleep(max(timedelta(seconds=1), done.quiet_until - workflow.now()))
            if done.channels:
                notified.append(user_id)
        return MessageNotificationResult(notified)
