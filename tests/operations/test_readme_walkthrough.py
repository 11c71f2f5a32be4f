"""The README's house-safety walk-through, run as written against the live stack and the demo
org of seed 42 (tests/walkthrough.py says what "as written" allows): a pass that comes back late
and escalates, and a day's random draw recomputed from its record and equal, before and after
the house's draw settings change.

The README starts the stack with `RECOVERYOS_PASS_GRACE_MINUTES=0`; the test stack's API reads
the same setting, so the test sets it the same way for its duration. The output is printed
(`pytest -s`) for a closing note to quote."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from core.config import get_settings
from tests.walkthrough import Shell, walkthroughs


def test_a_late_pass_escalates_and_a_days_draw_is_reproduced_as_written(
    stack: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.seed import seed

    assert seed(scale=1, seed_value=42) == 0
    monkeypatch.setattr(get_settings(), "pass_grace_minutes", 0)
    shell = Shell(tmp_path, stack)
    (w,) = [w for title, w in walkthroughs().items() if title.startswith("a pass that comes back late")]
    issued, escalated, drawn = w.blocks
    shell.run(issued)
    late = shell.run(escalated, timeout=150)
    incident, returned = (json.loads(line) for line in late.splitlines()[1:3])
    assert incident["incident_type"] == "curfew_violation" and len(incident["tasks"]) == 2
    # Back, but after the return time: recorded, and the pass stays violated.
    back, due = (datetime.fromisoformat(returned[k]) for k in ("actual_returned_at", "returns_at"))
    assert back > due and returned["status"] == "violated"
    out = shell.run(drawn)
    verification = json.loads(out.splitlines()[2])
    assert verification["recorded"] == verification["recomputed"] and verification["equal"] is True
    changed = json.loads(out.splitlines()[3])
    assert changed["probability"] == 0.2 and changed["effective_from"] is not None
