"""Field types the routes share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: Any) -> Any:
    # Pydantic's lax mode reads a number as a Unix time (`?discharged_to=0` is 1970-01-01): a
    # day is written as the OpenAPI `format: date` says, YYYY-MM-DD, or it is a 422.
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise ValueError("a day is written YYYY-MM-DD")
    if isinstance(value, int | float):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day)]


def _not_yes_no(value: Any) -> Any:
    # Pydantic's lax mode reads JSON `true` as 1, so `"late_fee_cap_cents": true` set a one-cent
    # cap. Strict mode would refuse that but also `229.0`, which JSON Schema calls an integer.
    if isinstance(value, bool):
        raise ValueError("a number is written as a number, not true or false")
    return value


# Last in a number's `Annotated[int, Field(ge=…), NUMBER]`: refuses true/false, takes 229 and
# 229.0. Placed after the bounds so that they stay `minimum`/`maximum` in the JSON Schema (before
# them, Pydantic applies them outside the validator and documents raw `ge`/`le` keys).
NUMBER = BeforeValidator(_not_yes_no)
Int = Annotated[int, NUMBER]


# PostgreSQL text cannot hold NUL; "not blank" is said in the schema so that every string the
# schema allows is one the API accepts.
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"


@dataclass(frozen=True)
class Trimmed:
    """A string measured as it was sent and kept without its surrounding whitespace.

    Pydantic's `StringConstraints(strip_whitespace=True, max_length=n)` strips before it
    measures, so it accepted strings longer than the `maxLength` its schema documents; here the
    limits apply to the string as sent (what the schema says), then it is
    stripped. `min_length=1` also refuses a blank string, and says so in the pattern."""

    max_length: int
    min_length: int = 1

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        pattern = NOT_BLANK if self.min_length else NO_NUL
        inner = core_schema.str_schema(
            min_length=self.min_length, max_length=self.max_length, pattern=pattern
        )
        return core_schema.no_info_after_validator_function(str.strip, inner)


# Free text a person writes about a decision (why a move, a discharge, a place in a queue).
Reason = Annotated[str, Trimmed(2000)]
