"""The setup routes document themselves: every operation has a summary and a description, and
every request body (and each schema it is made of) shows an example."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.routes import housing, users
from api.routes.billing import reads as billing_reads


def _spec() -> dict[str, Any]:
    app = FastAPI()
    for router in (housing.router, users.router, billing_reads.router):
        app.include_router(router)
    return app.openapi()


def test_every_setup_operation_has_a_summary_and_a_description() -> None:
    missing = [
        f"{method.upper()} {path}"
        for path, ops in _spec()["paths"].items()
        for method, op in ops.items()
        if not op.get("summary") or not op.get("description")
    ]
    assert missing == []


def test_every_setup_request_schema_shows_an_example() -> None:
    spec = _spec()
    schemas = spec["components"]["schemas"]
    bodies = {
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for ops in spec["paths"].values()
        for op in ops.values()
        if "requestBody" in op
    }
    parts = {"GrantIn"}
    assert len(bodies) >= 11
    assert [name for name in sorted(bodies | parts) if not schemas[name].get("examples")] == []
