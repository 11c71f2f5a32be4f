"""What every benchmark checks before it prints a ratio: that the sides it compares did the
same work. A side that silently did nothing (a baseline whose session settings hide every
row, a query that matched no row) makes any ratio meaningless, so the bench exits 1 instead."""

from __future__ import annotations

import sys


def same_work(what: str, sides: dict[str, object], *, zero_is_work: bool = False) -> None:
    """Exit 1 unless every side reports the same `what` and, unless `zero_is_work`, it is not
    zero or empty."""
    values = list(sides.values())
    if all(v == values[0] for v in values) and (zero_is_work or bool(values[0])):
        return
    shown = ", ".join(f"{side} {value!r}" for side, value in sides.items())
    why = "differ" if any(v != values[0] for v in values) else "are all empty"
    print(f"INVALID BENCH: the sides' {what} {why} ({shown}); no ratio is reported", file=sys.stderr)
    raise SystemExit(1)
