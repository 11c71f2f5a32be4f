"""A ladder that starts late, or finds its first steps already written (an import, the demo
seed), plans every step of its schedule that is still due, in order, none twice."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text

from core.db import tenant_session
from core.enums import DunningActionStatus, DunningActionType
from services.billing import dunning
from tests.db import as_owner
from tests.dunning.builders import billed_org
from tests.factories import OrgFactory


def test_a_ladder_38_days_late_whose_first_two_steps_exist_plans_the_rest_in_order(
    database: str, orgs: OrgFactory
) -> None:
    b = billed_org(orgs, date.today() - timedelta(days=38))
    (invoice,) = b.invoice_ids
    with tenant_session(b.org.org_id, actor_type="test") as s:
        assert [p.step for p in dunning.plan(s, invoice)] == [1, 2, 3, 4]
    # What the seed leaves: the reminder sent, the late fee scheduled, nothing after.
    with as_owner() as c:
        c.execute(
            text("DELETE FROM dunning_actions WHERE invoice_id = :i AND step_number > 2"), {"i": invoice}
        )
        c.execute(
            text(
                "UPDATE dunning_actions SET status = 'sent', executed_at = now() "
                "WHERE invoice_id = :i AND step_number = 1"
            ),
            {"i": invoice},
        )
    with tenant_session(b.org.org_id, actor_type="test") as s:
        planned = dunning.plan(s, invoice)
        again = dunning.plan(s, invoice)
        rows = dunning.actions(s, invoice)
    assert [(p.step, p.action_type) for p in planned] == [
        (2, DunningActionType.LATE_FEE),
        (3, DunningActionType.REMINDER_EMAIL),
        (4, DunningActionType.STAFF_ESCALATION),
    ]
    assert [p.at for p in planned] == sorted(p.at for p in planned)
    assert again == planned
    assert [(a.step_number, a.status) for a in rows] == [
        (1, DunningActionStatus.SENT),
        (2, DunningActionStatus.SCHEDULED),
        (3, DunningActionStatus.SCHEDULED),
        (4, DunningActionStatus.SCHEDULED),
    ]
