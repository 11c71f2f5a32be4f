"""What the breach tests share: a notifiable assessment with its letters' content."""

from __future__ import annotations

from typing import Any

from core.contracts.breach import Assessment, Decision, NoticeContent

NOTICE = NoticeContent(
    steps_to_take="Watch your insurance statements and tell your insurer about any visit you did not have.",
    what_we_are_doing="We changed every password, retrained staff and now encrypt every laptop.",
    toll_free_phone="1-800-555-0142",
    email="privacy@example.test",
    postal_address="PO Box 12, Springfield",
)


def assessment(decision: Decision = Decision.NOTIFIABLE, safe_harbour: bool = False) -> Assessment:
    return Assessment(
        nature_and_extent="Names, dates of birth and insurance member numbers",
        unauthorized_person="Unknown thief",
        acquired_or_viewed="The laptop was taken; whether files were opened is unknown",
        mitigation="Remote wipe requested; accounts reset",
        safe_harbour=safe_harbour,
        decision=decision,
        reasons="Unencrypted disk; identifiers and health plan data; low chance of recovery",
        notice=NOTICE if decision is Decision.NOTIFIABLE else None,
    )


ASSESSMENT_JSON: dict[str, Any] = {
    "nature_and_extent": "Names, dates of birth and insurance member numbers",
    "unauthorized_person": "Unknown thief",
    "acquired_or_viewed": "The laptop was taken",
    "mitigation": "Remote wipe requested",
    "safe_harbour": False,
    "decision": "notifiable",
    "reasons": "Unencrypted disk",
    "notice": {
        "steps_to_take": NOTICE.steps_to_take,
        "what_we_are_doing": NOTICE.what_we_are_doing,
        "toll_free_phone": NOTICE.toll_free_phone,
        "email": NOTICE.email,
        "postal_address": NOTICE.postal_address,
    },
}
