"""A new message notifies the other members of its conversation, on the time-skipping server
with the real database and a real SMTP sink: the notice names the house and nothing else, and a
message notifies once however often its workflow is started."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.testing import WorkflowEnvironment

from core.db import tenant_session
from core.process import Actor
from models.users import User
from services import messaging
from tests.dunning.conftest import SmtpSink
from tests.factories import OrgFactory
from tests.messaging.world import build_world
from workflows.messaging import MESSAGING, MessageNotificationInput, MessageNotificationWorkflow

SECRET = "my sponsor called about the relapse"


async def test_the_recipient_gets_a_notice_without_the_message_and_only_once(
    time_skipping: WorkflowEnvironment, dunning_worker: str, smtp_sink: SmtpSink, orgs: OrgFactory
) -> None:
    w = build_world(orgs)
    with tenant_session(w.org.org_id, w.staff_id, actor_type="test") as s:
        _, got = messaging.start(s, w.staff_id, [w.resident.user_id], None, SECRET)
        user = s.get(User, w.resident.user_id)
        assert user is not None and user.email is not None
        address = user.email
    actor = Actor(w.org.org_id, w.staff_id, "test")
    inp = MessageNotificationInput(actor, got.message_id, got.user_ids, got.house_id)
    wf_id = MESSAGING.id(w.org.org_id, got.message_id)
    result = await time_skipping.client.execute_workflow(
        MessageNotificationWorkflow.run, inp, id=wf_id, task_queue=dunning_worker
    )
    assert result.notified == [w.resident.user_id]
    (mail,) = smtp_sink.messages(address)
    text = mail.get_content()
    assert "You have a new message from Aspen. Sign in to read it." in text
    assert "relapse" not in text and "relapse" not in str(mail["Subject"])
    with pytest.raises((WorkflowAlreadyStartedError, WorkflowFailureError)):
        await time_skipping.client.execute_workflow(
            MessageNotificationWorkflow.run,
            inp,
            id=wf_id,
            task_queue=dunning_worker,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    assert len(smtp_sink.messages(address)) == 1
