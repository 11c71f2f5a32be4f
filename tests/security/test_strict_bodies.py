"""JSON `true` is not the number 1, and 1 is not `true`: every request body refuses the swap
(and still takes `1.0`, which JSON Schema calls an integer).

Pydantic's lax mode reads `true` as 1 for an integer field and 1 as `true` for a boolean one, so
`"late_fee_cap_cents": true` once set a one-cent cap. The schema says integer or boolean; the
API holds to it. This walks every JSON body model (and the models nested in it) the app serves,
so a new route's body joins without being listed."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from api.app import create_app


def _models_in(tp: Any) -> Iterator[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        yield tp
    for arg in typing.get_args(tp):
        yield from _models_in(arg)


def _routes(routes: list[Any]) -> Iterator[Any]:
    for r in routes:
        if getattr(r, "body_field", None) is not None:
            yield r
        if hasattr(r, "routes"):
            yield from _routes(r.routes)
        if hasattr(r, "original_router"):
            yield from _routes(r.original_router.routes)


def _body_models() -> list[type[BaseModel]]:
    seen: dict[type[BaseModel], None] = {}

    def visit(m: type[BaseModel]) -> None:
        if m in seen:
            return
        seen[m] = None
        for f in m.model_fields.values():
            for sub in _models_in(f.annotation):
                visit(sub)

    for route in _routes(create_app().routes):
        for m in _models_in(route.body_field.field_info.annotation):
            visit(m)
    return list(seen)


def _accepts(adapter: TypeAdapter[Any], value: object) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


MODELS = _body_models()


def test_the_walk_finds_the_bodies() -> None:
    names = {m.__name__ for m in MODELS}
    assert len(MODELS) > 100
    assert {"ConfigIn", "StepIn", "WellnessCreate", "ApplicationIn"} <= names


@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"{m.__module__}.{m.__name__}")
def test_a_number_field_refuses_true_and_a_yes_no_field_refuses_one(model: type[BaseModel]) -> None:
    lax, too_strict = [], []
    for name, f in model.model_fields.items():
        tp: Any = typing.Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation
        adapter: TypeAdapter[Any] = TypeAdapter(tp)
        if _accepts(adapter, 1) and _accepts(adapter, True):
            lax.append(name)
        # JSON Schema counts 1.0 as an integer, so a number field takes it (schemathesis sends it).
        if _accepts(adapter, 1) and not _accepts(adapter, 1.0):
            too_strict.append(name)
    assert (lax, too_strict) == ([], [])


def _raw_bounds(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in {"ge", "le", "gt", "lt"} and isinstance(value, int | float):
                yield key
            yield from _raw_bounds(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _raw_bounds(item)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"{m.__module__}.{m.__name__}")
def test_a_bound_is_documented_as_json_schema_says_it(model: type[BaseModel]) -> None:
    """`minimum`/`maximum`, not Pydantic's raw `ge`/`le`, which no client (nor schemathesis) reads:
    a bound it cannot see sends it values the API then refuses."""
    assert list(_raw_bounds(model.model_json_schema())) == []
