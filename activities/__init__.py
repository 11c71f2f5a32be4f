"""Temporal activities, grouped by the tables they write."""

from collections.abc import Callable
from typing import Any

from activities.audit import audit_checkpoint
from activities.leads import record_lead, set_lead_status

ALL_ACTIVITIES: list[Callable[..., Any]] = [record_lead, set_lead_status, audit_checkpoint]
