"""One entry per family: what a family declares in `registry.py` is what the worker, the API,
`schedules sync`, the seed and the replay tests use, with nothing wired in by hand elsewhere."""

from __future__ import annotations

import uuid

import registry
from seed.story import Stage


def test_the_seed_story_is_every_familys_steps_stage_by_stage_in_registry_order() -> None:
    story = registry.seed_story()
    assert [s.stage for s in story] == sorted(s.stage for s in story)
    assert sorted(map(id, story)) == sorted(id(s) for f in registry.FAMILIES for s in f.seed)
    first, last = story[0], story[-1]
    assert (first.stage, first.run.__name__) == (Stage.ORGANISATION, "organisation")
    assert last.stage is Stage.LAST


def test_every_schedule_is_declared_once_and_starts_a_registered_workflow() -> None:
    workflows = {wf.__temporal_workflow_definition.name for wf in registry.workflows()}  # type: ignore[attr-defined]
    ids = [d.schedule_id(uuid.UUID(int=1)) for d in registry.schedules()]
    assert len(ids) == len(set(ids)) == 6
    for daily in registry.schedules():
        assert daily.run.__qualname__.endswith(".run")
        assert any(daily.run.__qualname__.startswith(wf.__name__ + ".") for wf in registry.workflows())
    assert workflows >= {"BillingRentRun", "DunningSweep", "DailyReconciliation", "RetentionDaily"}


def test_children_started_by_type_name_name_a_registered_workflow() -> None:
    from workflows.admission import handover

    names = {wf.__temporal_workflow_definition.name for wf in registry.workflows()}  # type: ignore[attr-defined]
    assert {handover.SETTLEMENT_TYPE, handover.LEGACY_SETTLEMENT_TYPE} & names == {handover.SETTLEMENT_TYPE}
    from core.contracts.consent import END_OF_TREATMENT_WORKFLOW, PATIENT_NOTICE_WORKFLOW

    assert {END_OF_TREATMENT_WORKFLOW, PATIENT_NOTICE_WORKFLOW} <= names
