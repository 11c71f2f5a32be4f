"""The API docs render in Chromium with every request to another host refused: Swagger UI at
/docs and ReDoc at /redoc load their scripts and styles from the API itself."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import chromium

browser = pytest.fixture(scope="module", name="browser")(chromium)


def _offline_page(browser: Any, stack: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context()
    outside: list[str] = []

    def only_the_api(route: Any) -> None:
        if route.request.url.startswith(stack):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_api)
    return context, context.new_page(), outside


def test_swagger_ui_renders_every_operation_with_no_internet(stack: str, browser: Any) -> None:
    context, page, outside = _offline_page(browser, stack)
    page.goto(f"{stack}/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/v1/leads" in p for p in paths)
    assert outside == []
    context.close()


def test_redoc_renders_the_reference_with_no_internet(stack: str, browser: Any) -> None:
    context, page, outside = _offline_page(browser, stack)
    page.goto(f"{stack}/redoc")
    page.wait_for_selector("h1", timeout=30_000)
    assert "RecoveryOS API" in page.locator("h1").first.inner_text()
    assert page.get_by_text("/v1/leads").count() > 0
    assert outside == []
    context.close()


def test_every_operation_has_a_summary_and_a_description(stack: str) -> None:
    import httpx

    spec = httpx.get(f"{stack}/openapi.json", timeout=30).json()
    bare = [
        f"{method.upper()} {path}"
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if not (op.get("summary") and op.get("description"))
    ]
    assert len(spec["paths"]) > 50
    assert bare == []


def test_every_json_request_schema_has_an_example_that_it_accepts(stack: str) -> None:
    import httpx
    import jsonschema

    spec = httpx.get(f"{stack}/openapi.json", timeout=30).json()
    comps = spec["components"]["schemas"]
    names = {
        content["schema"]["$ref"].rsplit("/", 1)[-1]
        for ops in spec["paths"].values()
        for op in ops.values()
        for media, content in op.get("requestBody", {}).get("content", {}).items()
        if media == "application/json" and "$ref" in content["schema"]
    }
    assert len(names) > 25
    missing = sorted(n for n in names if not comps[n].get("examples"))
    assert missing == []
    for name in names:
        for example in comps[name]["examples"]:
            # The example is checked against its own schema, with the spec's components to resolve.
            jsonschema.validate(example, {**comps[name], "components": {"schemas": comps}})
