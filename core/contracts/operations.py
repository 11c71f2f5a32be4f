"""What house operations' workflows, activities and services hand each other: a chore
assignment as the rotation made it.

Workflow histories hold these by their fields (the pydantic data converter), so a field that is
renamed or removed breaks the replay of running workflows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Assigned:
    """One resident's chore for one due date (ids and a date only)."""

    assignment_id: uuid.UUID
    chore_id: uuid.UUID
    resident_id: uuid.UUID
    due_date: date
