"""What a message to a resident or a phone may never say: words that would reveal (or hint at)
substance-use treatment (42 CFR Part 2). Dunning's e-mails and every notification template are
checked against this list, and a house or operator name containing one gives way to a neutral
name ("your residence")."""

from __future__ import annotations

import re

PART2_WORDS = (
    "treatment",
    "program",
    "recovery",
    "substance",
    "detox",
    "rehab",
    "clinical",
    "diagnosis",
    "addiction",
    "alcohol",
    "drug",
    "sober",
    "therapy",
    "counsel",
    "relapse",
    "medication",
    "methadone",
    "opioid",
    "narcotic",
    "patient",
)

_PART2 = re.compile("|".join(PART2_WORDS), re.IGNORECASE)


def part2_words_in(text: str) -> list[str]:
    return sorted({m.group(0).lower() for m in _PART2.finditer(text)})


def neutral(name: str | None, fallback: str) -> str:
    """A house or operator name, unless it would say what kind of place this is."""
    return name if name and not part2_words_in(name) else fallback
