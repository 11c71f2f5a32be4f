"""The catalogue of domain events and the pure parts of the outbox: event ids and positions.

An event says that something happened to one subject (a lead, an admission, an invoice...) and
carries ids and enum values only, never PHI: a webhook receiver, a notifier or a report reads
what it needs through the API, under its own permissions. Types are versioned in their name
(`invoice.issued.v1`): a change to what an event carries is a new type, and receivers that
asked for v1 keep getting v1.

The table, `emit` and the reader are in `services/events.py`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from enum import StrEnum

EVENTS_NAMESPACE = uuid.UUID("5f0c2a77-8d1e-4c1b-9a3e-2f6b7d0e4c91")


class EventType(StrEnum):
    """Every event a family emits. Add members at the end; never change a value."""

    LEAD_CREATED = "lead.created.v1"
    LEAD_DECIDED = "lead.decided.v1"
    RESIDENT_ADMITTED = "resident.admitted.v1"
    RESIDENT_TRANSFERRED = "resident.transferred.v1"
    RESIDENT_DISCHARGED = "resident.discharged.v1"
    INVOICE_ISSUED = "invoice.issued.v1"
    INVOICE_VOIDED = "invoice.voided.v1"
    PAYMENT_RECEIVED = "payment.received.v1"
    PAYMENT_FAILED = "payment.failed.v1"
    REFUND_COMPLETED = "refund.completed.v1"
    DEPOSIT_SETTLED = "deposit.settled.v1"
    DUNNING_STEP_TAKEN = "invoice.dunning_step_taken.v1"
    INVOICE_WRITTEN_OFF = "invoice.written_off.v1"
    DOCUMENT_SIGNED = "document.signed.v1"
    SIGNATURE_REQUEST_CLOSED = "document.signature_request_closed.v1"
    CONSENT_SIGNED = "consent.signed.v1"
    CONSENT_EXPIRING = "consent.expiring.v1"
    CONSENT_EXPIRED = "consent.expired.v1"
    CONSENT_REVOKED = "consent.revoked.v1"
    BREACH_REPORTED = "breach.reported.v1"
    BREACH_ASSESSED = "breach.assessed.v1"
    BREACH_LETTERS_READY = "breach.letters_ready.v1"
    BREACH_OBLIGATION_MET = "breach.obligation_met.v1"
    BREACH_DELAYED = "breach.law_enforcement_delay.v1"
    BREACH_ESCALATED = "breach.deadline_escalated.v1"
    BREACH_CLOSED = "breach.closed.v1"
    ACCESS_REQUESTED = "access_request.received.v1"
    ACCESS_REQUEST_EXTENDED = "access_request.extended.v1"
    ACCESS_REQUEST_FULFILLED = "access_request.fulfilled.v1"
    ACCESS_REQUEST_DENIED = "access_request.denied.v1"
    ACCESS_REQUEST_OVERDUE = "access_request.overdue.v1"
    AMENDMENT_REQUESTED = "amendment_request.received.v1"
    AMENDMENT_EXTENDED = "amendment_request.extended.v1"
    AMENDMENT_ACCEPTED = "amendment_request.accepted.v1"
    AMENDMENT_DENIED = "amendment_request.denied.v1"
    AMENDMENT_DISAGREEMENT = "amendment_request.disagreement_filed.v1"
    AMENDMENT_OVERDUE = "amendment_request.overdue.v1"
    DISCLOSURE_RECORDED = "disclosure.recorded.v1"
    ACCOUNTING_REQUESTED = "disclosure_accounting.requested.v1"
    ACCOUNTING_EXTENDED = "disclosure_accounting.extended.v1"
    ACCOUNTING_DUE_SOON = "disclosure_accounting.due_soon.v1"
    ACCOUNTING_FULFILLED = "disclosure_accounting.fulfilled.v1"
    RESTRICTION_REQUESTED = "disclosure_restriction.requested.v1"
    RESTRICTION_DECIDED = "disclosure_restriction.decided.v1"
    RESTRICTION_TERMINATED = "disclosure_restriction.terminated.v1"
    BREAK_GLASS_OPENED = "break_glass.opened.v1"
    BREAK_GLASS_ESCALATED = "break_glass.escalated.v1"
    BREAK_GLASS_REVIEWED = "break_glass.reviewed.v1"
    PATIENT_NOTICE_ACKNOWLEDGED = "patient_notice.acknowledged.v1"
    # Retention and destruction (issue 21, part 4).
    LEGAL_HOLD_PLACED = "legal_hold.placed.v1"
    LEGAL_HOLD_LIFTED = "legal_hold.lifted.v1"
    RETENTION_LISTED = "retention.listed.v1"
    RETENTION_DESTROYED = "retention.destroyed.v1"
    # messaging
    MESSAGE_SENT = "message.sent.v1"
    ANNOUNCEMENT_PUBLISHED = "announcement.published.v1"
    # House operations: chores and meetings.
    CHORES_ROTATED = "house.chores_rotated.v1"
    CHORE_MISSED = "chore_assignment.missed.v1"
    ATTENDANCE_SHORTFALL = "attendance_check.shortfall_flagged.v1"
    MAINTENANCE_REPORTED = "maintenance_request.reported.v1"
    MAINTENANCE_STATUS_CHANGED = "maintenance_request.status_changed.v1"
    VEHICLE_INSURANCE_EXPIRING = "vehicle.insurance_expiring.v1"
    # Referral partners' feed (services/availability.py): about a house, counts only.
    BEDS_AVAILABILITY_CHANGED = "beds.availability_changed.v1"
    # House safety: passes, curfew, drug tests, incidents.
    PASS_DECIDED = "pass.decided.v1"
    PASS_OVERDUE = "pass.overdue.v1"
    PASS_RETURNED = "pass.returned.v1"
    CURFEW_MISSED = "curfew_check_in.missed.v1"
    EMERGENCY_CONTACT_NOTIFIED = "resident.emergency_contact_notified.v1"
    DRUG_TEST_DRAWN = "drug_test_draw.drawn.v1"
    DRUG_TEST_RESULTED = "drug_test.resulted.v1"
    INCIDENT_OPENED = "incident.opened.v1"
    INCIDENT_REPORT_ESCALATED = "incident.state_report_escalated.v1"
    INCIDENT_STATE_REPORTED = "incident.state_reported.v1"

    @property
    def subject(self) -> str:
        """What the event's `subject_id` names: the first part of the type (a resident, an
        invoice...); the event's other ids are in its data. A house's bed counts name it."""
        if self.value.startswith("beds."):
            return "house"
        return self.value.split(".", 1)[0]


# One sentence per type: the README's catalogue and, later, OpenAPI's `webhooks` section.
CATALOGUE: dict[EventType, str] = {
    EventType.LEAD_CREATED: "An inquiry was recorded as a lead.",
    EventType.LEAD_DECIDED: "Screening ended for a lead: `status` is approved, declined or lost.",
    EventType.RESIDENT_ADMITTED: "A resident moved into their bed (`admission_id`, `bed_id`).",
    EventType.RESIDENT_TRANSFERRED: "A resident moved to another bed (`transfer_id`, `bed_id`).",
    EventType.RESIDENT_DISCHARGED: "A resident left (`discharge_id`); `kind` says how: planned, voluntary...",
    EventType.INVOICE_ISSUED: "An invoice was issued to a resident.",
    EventType.INVOICE_VOIDED: "An issued invoice was voided.",
    EventType.PAYMENT_RECEIVED: "A payment was received (card, cash, check...) and posted to the ledger.",
    EventType.PAYMENT_FAILED: "A card payment was declined or failed.",
    EventType.REFUND_COMPLETED: "A refund of a payment or a deposit completed (`payment_id`).",
    EventType.DEPOSIT_SETTLED: "A deposit was settled after discharge: `status` is refunded or applied.",
    EventType.DUNNING_STEP_TAKEN: "A step of an overdue invoice's dunning schedule ran (`step`, `action`).",
    EventType.INVOICE_WRITTEN_OFF: "An overdue invoice's balance was written off.",
    EventType.DOCUMENT_SIGNED: "Every signer signed a document; the signed copy exists.",
    EventType.SIGNATURE_REQUEST_CLOSED: (
        "A signature request ended unsigned: `outcome` is expired, voided or declined."
    ),
    EventType.CONSENT_SIGNED: "A resident signed a Part 2 consent; it is active (`kind`).",
    EventType.CONSENT_EXPIRING: "A Part 2 consent reaches its reminder day before it expires.",
    EventType.CONSENT_EXPIRED: "A Part 2 consent expired (`because`: its date when absent, else the event).",
    EventType.CONSENT_REVOKED: "A resident revoked a Part 2 consent in writing (`method`).",
    EventType.BREACH_REPORTED: "A suspected breach was reported; its clocks run from discovery (`day` 0).",
    EventType.BREACH_ASSESSED: "The privacy officer decided: `decision` is notifiable or not_notifiable.",
    EventType.BREACH_LETTERS_READY: "The notice letters were written (`count` of them).",
    EventType.BREACH_OBLIGATION_MET: "A notice was given or a report received (`kind`: individuals, hhs...).",
    EventType.BREACH_DELAYED: "A law-enforcement delay paused the clocks (`kind` written or oral, `days`).",
    EventType.BREACH_ESCALATED: "A notice still open near its deadline was escalated to the owner (`kind`).",
    EventType.BREACH_CLOSED: "A breach incident was closed; its closing report exists.",
    EventType.ACCESS_REQUESTED: "A resident asked for a copy of their records (`resident_id`).",
    EventType.ACCESS_REQUEST_EXTENDED: "An access request was extended once, its reason given in writing.",
    EventType.ACCESS_REQUEST_FULFILLED: "A resident's records were exported behind a download link.",
    EventType.ACCESS_REQUEST_DENIED: "An access request was denied on the stated `ground`.",
    EventType.ACCESS_REQUEST_OVERDUE: "An access request is still open at its deadline.",
    EventType.AMENDMENT_REQUESTED: "A resident asked to amend their records (`resident_id`).",
    EventType.AMENDMENT_EXTENDED: "An amendment request was extended once, its reason given in writing.",
    EventType.AMENDMENT_ACCEPTED: "An amendment was made; the people the resident named were told.",
    EventType.AMENDMENT_DENIED: "An amendment request was denied on the stated `ground`.",
    EventType.AMENDMENT_DISAGREEMENT: "The resident filed a statement of disagreement with a denial.",
    EventType.AMENDMENT_OVERDUE: "An amendment request is still open at its deadline.",
    EventType.DISCLOSURE_RECORDED: "Part 2 records were disclosed under a consent (`consent_id`).",
    EventType.ACCOUNTING_REQUESTED: "A resident asked for an accounting of disclosures (due in 60 days).",
    EventType.ACCOUNTING_EXTENDED: "An accounting's deadline was extended once by 30 days, in writing.",
    EventType.ACCOUNTING_DUE_SOON: "An accounting is due soon (`days_left`): staff are reminded.",
    EventType.ACCOUNTING_FULFILLED: "An accounting of disclosures was produced (`file_id`).",
    EventType.RESTRICTION_REQUESTED: "A resident asked to restrict disclosures of their records (§2.26).",
    EventType.RESTRICTION_DECIDED: "A restriction request was answered: `status` is granted or denied.",
    EventType.RESTRICTION_TERMINATED: "A granted restriction was terminated.",
    EventType.BREAK_GLASS_OPENED: (
        "A staff user opened emergency access to a resident's Part 2 records (`user_id`)."
    ),
    EventType.BREAK_GLASS_ESCALATED: (
        "Nobody reviewed an emergency access within 24 hours; the org owner was told."
    ),
    EventType.BREAK_GLASS_REVIEWED: "A compliance officer reviewed an emergency access: `outcome`.",
    EventType.PATIENT_NOTICE_ACKNOWLEDGED: (
        "A resident signed the acknowledgement of the program's Part 2 patient notice (`document_id`)."
    ),
    # Retention and destruction (issue 21, part 4).
    EventType.LEGAL_HOLD_PLACED: "A legal hold suspends destruction of a resident's or incident's records.",
    EventType.LEGAL_HOLD_LIFTED: "A legal hold was lifted; destruction may resume at the next run.",
    EventType.RETENTION_LISTED: "A retention dry run listed what is past its period (counts per type).",
    EventType.RETENTION_DESTROYED: (
        "Records a dry run listed and staff confirmed were destroyed; the certificate exists (counts)."
    ),
    # messaging
    EventType.MESSAGE_SENT: "A message was written in a conversation (`conversation_id`); never its text.",
    EventType.ANNOUNCEMENT_PUBLISHED: (
        "An announcement was published (`house_id` or `property_id` when addressed)."
    ),
    # House operations: chores and meetings.
    EventType.CHORES_ROTATED: "A house's weekly chore rotation was made (`assignments` of them).",
    EventType.CHORE_MISSED: "A resident's chore was missed: not done in its week, or checked as not done.",
    EventType.ATTENDANCE_SHORTFALL: "A resident's weekly check fell short; the house manager has a task.",
    EventType.MAINTENANCE_REPORTED: "A repair was requested for a house (`priority`).",
    EventType.MAINTENANCE_STATUS_CHANGED: "A repair request moved on (`status`: scheduled, resolved...).",
    EventType.VEHICLE_INSURANCE_EXPIRING: (
        "A vehicle's insurance lapses within 30 days; the house manager has a task."
    ),
    EventType.BEDS_AVAILABILITY_CHANGED: (
        "A house's open beds changed (a move-in, a discharge, a bed out of service...): "
        "`open_beds`, `beds_in_service` and `version` (higher is newer), never who."
    ),
    # House safety.
    EventType.PASS_DECIDED: "A pass request was answered: `status` is approved or denied.",
    EventType.PASS_OVERDUE: "A resident on a pass was not back by its return time and grace.",
    EventType.PASS_RETURNED: "A resident on a pass checked back in (`late` is 1 when after the return time).",
    EventType.CURFEW_MISSED: "A resident missed curfew (`curfew_date` as days since 1970).",
    EventType.EMERGENCY_CONTACT_NOTIFIED: (
        "A resident's emergency contact was told they have not returned (`channel`, `incident_id`)."
    ),
    EventType.DRUG_TEST_DRAWN: "A house's random drug-test draw for a day was made (`count` drawn).",
    EventType.DRUG_TEST_RESULTED: "A drug test's result was recorded (`result`; `recurrence` 1 when one).",
    EventType.INCIDENT_OPENED: "An incident was opened (`type`, `severity`).",
    EventType.INCIDENT_REPORT_ESCALATED: "A state incident report nears or passed its due time unsent.",
    EventType.INCIDENT_STATE_REPORTED: "An incident's written report reached the state.",
}


def event_id(org_id: uuid.UUID, type_: EventType, subject_id: uuid.UUID, occurrence: str = "") -> uuid.UUID:
    """The same change always yields the same id, so a retried activity records its event once.
    `occurrence` tells apart events of one type about one subject (a second transfer)."""
    return uuid.uuid5(EVENTS_NAMESPACE, f"{org_id}/{type_.value}/{subject_id}/{occurrence}")


_CURSOR = re.compile(r"^(\d{1,19})-(\d{1,19})$")


@dataclass(frozen=True, order=True)
class Position:
    """Where an event sits in its org's feed: the writing transaction's id, then the row's
    sequence. Read after a position, a consumer never skips an event committed later (the
    reader only returns events of transactions older than every one still running)."""

    tx: int
    seq: int

    def __str__(self) -> str:
        return f"{self.tx}-{self.seq}"

    @classmethod
    def parse(cls, text: str) -> Position:
        m = _CURSOR.match(text)
        if m is None:
            raise ValueError("a position is two numbers joined by '-', as a previous page returned it")
        return cls(int(m.group(1)), int(m.group(2)))


START = Position(0, 0)
