"""The manual in docs/ against the code: the OpenAPI description names every route of
the JSON API (and no other) with the methods each one takes, and no document links to
a directory that a user's clone does not have."""

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver

from console import api_urls, urls

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
OPENAPI = DOCS / "openapi.json"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# Django's path converters, `<id:pk>` or `<name>`, as OpenAPI's `{pk}`, `{name}`.
CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


@pytest.fixture(scope="module")
def spec() -> dict:
    return json.loads(OPENAPI.read_text())


def api_prefix() -> str:
    """Where console/urls.py mounts console/api_urls.py, e.g. `/api/`."""
    for entry in urls.urlpatterns:
        if isinstance(entry, URLResolver) and entry.urlconf_module is api_urls:
            return "/" + str(entry.pattern)
    raise AssertionError("console/urls.py does not include console.api_urls")


def api_routes() -> dict[str, URLPattern]:
    """Each route of the JSON API by its OpenAPI path."""
    prefix = api_prefix()
    routes = {}
    for entry in api_urls.urlpatterns:
        assert isinstance(entry, URLPattern), f"unexpected include in api_urls: {entry}"
        routes[prefix + CONVERTER.sub(r"{\1}", str(entry.pattern))] = entry
    return routes


def _functions(start: Callable) -> Iterator[Callable]:
    """`start` and every function reachable through its wrappers and closures."""
    seen: set[int] = set()
    pending = [start]
    while pending:
        function = pending.pop()
        if id(function) in seen or not callable(function):
            continue
        seen.add(id(function))
        yield function
        wrapped = getattr(function, "__wrapped__", None)
        if wrapped is not None:
            pending.append(wrapped)
        for cell in getattr(function, "__closure__", None) or ():
            try:
                contents = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if callable(contents):
                pending.append(contents)


def _closure_value(view: Callable, name: str) -> object:
    """The value `console.api.api_view` closed over as `name` (`methods`, `roles`)."""
    for function in _functions(view):
        code = getattr(function, "__code__", None)
        if code is not None and name in code.co_freevars and function.__closure__:
            return function.__closure__[code.co_freevars.index(name)].cell_contents
    raise AssertionError(f"{view.__name__} is not an api_view: no `{name}` found")


def test_openapi_is_openapi_3_1(spec: dict) -> None:
    assert spec["openapi"].startswith("3.1")
    assert spec["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    responses = spec["components"]["responses"]
    for name in ("BadRequest", "Unauthorized", "Forbidden", "NotFound", "MethodNotAllowed",
                 "Conflict", "TooManyRequests"):
        assert "application/json" in responses[name]["content"], name
    refusal = spec["components"]["schemas"]["Refusal"]["properties"]
    assert set(refusal) == {"error", "problems"}
    metrics = spec["paths"][api_prefix() + "metrics/"]["get"]["responses"]["200"]
    assert all(kind.startswith("text/plain") for kind in metrics["content"])


def test_every_api_route_is_described(spec: dict) -> None:
    routes = api_routes()
    described = set(spec["paths"])
    missing = sorted(set(routes) - described)
    assert not missing, f"API routes missing from docs/openapi.json: {missing}"
    invented = sorted(described - set(routes))
    assert not invented, f"docs/openapi.json describes paths the API lacks: {invented}"


def test_described_methods_are_the_routes_methods(spec: dict) -> None:
    for path, route in api_routes().items():
        taken = {method.lower() for method in _closure_value(route.callback, "methods")}
        described = set(spec["paths"][path]) & HTTP_METHODS
        assert described == taken, f"{path}: described {sorted(described)}, takes {sorted(taken)}"


def test_described_roles_are_allowed_by_the_route(spec: dict) -> None:
    for path, route in api_routes().items():
        allowed = {str(role) for role in _closure_value(route.callback, "roles")}
        for method, operation in spec["paths"][path].items():
            if method not in HTTP_METHODS:
                continue
            roles = set(operation["x-lockstep-roles"])
            assert roles and roles <= allowed, f"{method.upper()} {path}: {roles} not in {allowed}"


def test_every_operation_answers_json_errors(spec: dict) -> None:
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method in HTTP_METHODS:
                assert "401" in operation["responses"], f"{method.upper()} {path}: no 401"
                assert "403" in operation["responses"], f"{method.upper()} {path}: no 403"


def test_no_document_links_outside_the_clone() -> None:
    documents = [ROOT / "README.md", *sorted(path for path in DOCS.rglob("*") if path.is_file())]
    assert len(documents) > 1, "docs/ is empty"
    offending = [str(path.relative_to(ROOT)) for path in documents
                 if "../shared" in path.read_text(encoding="utf-8")]
    assert not offending, f"these link to ../shared, which a clone does not have: {offending}"
