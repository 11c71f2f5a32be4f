"""ConsentEndOfTreatment: a discharge ends the resident's "end of treatment" consents
(`consent/<org>/end-of-treatment-<discharge id>`).

The journey starts it as an abandoned child by its type name (`END_OF_TREATMENT_WORKFLOW`), so
admission never imports the consent family. Each running lifecycle hears `treatment_ended` and
expires its consent; a consent with no running lifecycle (recorded before lifecycles existed,
or whose lifecycle was terminated by an operator) is expired here directly, so no consent
outlives the treatment it was limited to.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from activities.consent.lifecycle import ConsentActivities, ConsentStep, ResidentTreatment
    from core.contracts.consent import END_OF_TREATMENT_WORKFLOW, EndOfTreatment, ExpiryEvent
    from core.process import DB_STEP
    from workflows.consent import CONSENT
    from workflows.consent.lifecycle import TREATMENT_ENDED, EventHappened


@workflow.defn(name=END_OF_TREATMENT_WORKFLOW)
class ConsentEndOfTreatmentWorkflow:
    @workflow.run
    async def run(self, inp: EndOfTreatment) -> int:
        ids = await workflow.execute_activity_method(
            ConsentActivities.ending_with_treatment,
            ResidentTreatment(inp.actor, inp.resident_id),
            **DB_STEP.options(),
        )
        for consent_id in ids:
            lifecycle = workflow.get_external_workflow_handle(CONSENT.id(inp.actor.org_id, consent_id))
            try:
                await lifecycle.signal(
                    TREATMENT_ENDED, EventHappened(inp.actor, ExpiryEvent.END_OF_TREATMENT, inp.at)
                )
            except FailureError:
                await workflow.execute_activity_method(
                    ConsentActivities.expire,
                    ConsentStep(inp.actor, consent_id, workflow.now(), ExpiryEvent.END_OF_TREATMENT),
                    **DB_STEP.options(),
                )
        return len(ids)
