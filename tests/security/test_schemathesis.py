"""Property-based run of every documented operation against the live stack, signed in as an
org owner, once by bearer token with valid data and once by session cookie with invalid data:
no 5xx, no status the schema does not declare, no response violating its schema, and every
request the schema forbids refused with a 4xx (negative data rejection). Bounded by examples
per operation so `make test` stays within minutes."""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from api.auth import SESSION_COOKIE
from core.enums import UserRole
from tests.factories import OrgFactory

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MODES = {
    "valid data by bearer token": (schemathesis.GenerationMode.POSITIVE, CHECKS),
    "invalid data by session cookie": (
        schemathesis.GenerationMode.NEGATIVE,
        [*CHECKS, negative_data_rejection],
    ),
}
# Signing out would end the run's own session; it is covered by tests/security/test_sign_in.py.
SKIP = {("POST", "/v1/auth/logout")}
# Per operation and mode: about 300 operations, so some 3,000 requests a mode.
EXAMPLES = 10


# Stripe is configured for every test; without its stand-in running, the reconciliation runs the
# schemathesis run starts would retry against a closed port for the rest of the session.
@pytest.mark.usefixtures("localstripe")
@pytest.mark.parametrize("mode", sorted(MODES))
def test_every_operation_holds_its_documented_contract(proxied: str, orgs: OrgFactory, mode: str) -> None:
    generation, checks = MODES[mode]
    by_cookie = generation is schemathesis.GenerationMode.NEGATIVE
    org = orgs.create((UserRole.ORG_OWNER,))
    token = org.token(UserRole.ORG_OWNER)
    schema = schemathesis.openapi.from_url(f"{proxied}/openapi.json")
    tested = 0
    for result in schema.get_all_operations():
        op = result.ok()  # type: ignore[union-attr]
        if (op.method.upper(), op.path) in SKIP:
            continue

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            # Invalid data: the same examples on every run, so CI stays reproducible and a new
            # finding comes with a change to the code or the schema, not as a flake. (A random
            # run found that a string past maxLength only by its surrounding whitespace is
            # accepted: the models strip before they measure.)
            derandomize=by_cookie,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=op.as_strategy(generation_mode=generation), source=st.integers(1, 2**24))
        def run(case: schemathesis.Case, source: int) -> None:
            # A fresh source address per request: guessing throttles must not turn the run into 429s only.
            n = uuid.UUID(int=source).int
            headers = {"X-Forwarded-For": f"100.{64 + n % 64}.{(n >> 6) % 256}.{(n >> 14) % 254 + 1}"}
            if by_cookie:
                # What a browser on the API's own pages sends (cookie sessions need same-origin).
                headers["Cookie"] = f"{SESSION_COOKIE}={token}"
                headers["Origin"] = proxied
            else:
                headers["Authorization"] = f"Bearer {token}"
            case.call_and_validate(base_url=proxied, headers=headers, checks=checks, timeout=30)

        try:
            run()
        except Unsatisfiable:
            # Nothing in this operation can be made invalid (no parameters, no body).
            assert by_cookie, op.path
            continue
        tested += 1
    assert tested >= 8


# Operations whose every schema-valid body is accepted: rules that relate one field to another
# are applied by the service rather than refused (a probe found the dunning schedule refusing
# a late-fee step with no fee set, steps out of order, and a fee above its cap).
ACCEPTS_EVERY_VALID_BODY = [("PUT", "/v1/dunning/config")]


@pytest.mark.parametrize(("method", "path"), ACCEPTS_EVERY_VALID_BODY)
def test_every_body_the_schema_allows_is_accepted(
    proxied: str, orgs: OrgFactory, method: str, path: str
) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    schema = schemathesis.openapi.from_url(f"{proxied}/openapi.json")
    op = schema[path][method]

    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE))
    def run(case: schemathesis.Case) -> None:
        # A new key per request, as a client sends: reusing one with another body is a 422 by
        # the Idempotency-Key draft, not a rejected schedule.
        headers = {**org.headers(UserRole.ORG_OWNER), "Idempotency-Key": uuid.uuid4().hex}
        case.call_and_validate(
            base_url=proxied,
            headers=headers,
            checks=[positive_data_acceptance, not_a_server_error],
            timeout=30,
        )

    run()
