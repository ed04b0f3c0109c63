"""/api/docs documents real schemas: every JSON endpoint names the model of its answer (a component of the
OpenAPI document, or a list of one), every export says it answers an Excel file, and every request body is a
model — never an untyped ``dict``. A planted untyped endpoint shows the check can fail."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from finecrm.web.main import iter_routes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Served under /api but not JSON endpoints: the description itself and its viewer.
NOT_ENDPOINTS = {"/api/openapi.json", "/api/docs"}
METHODS = ("get", "post", "put", "patch", "delete")


class Answer(BaseModel):
    """A typed answer for the planted app below."""

    ok: bool


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> FastAPI:
    """The real app over an empty workspace: the description does not depend on the data."""
    from finecrm.services.workspace import init_workspace
    from finecrm.web.main import create_app

    home = tmp_path_factory.mktemp("api-docs")
    init_workspace(home)
    return create_app(home)


def _names_component(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    """A ``$ref`` to a component that exists and describes an object, or an array of one."""
    if schema.get("type") == "array":
        return _names_component(schema.get("items") or {}, components)
    ref = schema.get("$ref", "")
    if not ref.startswith("#/components/schemas/"):
        return False
    target = components.get(ref.removeprefix("#/components/schemas/"))
    return target is not None and target.get("type") == "object" and bool(target.get("properties"))


def problems(app: FastAPI) -> list[str]:
    """What the API description lacks, one line per operation and defect."""
    spec = app.openapi()
    components = spec.get("components", {}).get("schemas", {})
    found = []
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/") or path in NOT_ENDPOINTS:
            continue
        for method, op in operations.items():
            if method not in METHODS:
                continue
            where = f"{method.upper()} {path}"
            content = (op.get("responses", {}).get("200") or {}).get("content") or {}
            if XLSX in content:
                if content[XLSX].get("schema", {}).get("format") != "binary" or len(content) != 1:
                    found.append(f"{where}: an export answers the workbook only, as binary content")
            elif not _names_component(content.get("application/json", {}).get("schema") or {}, components):
                found.append(f"{where}: the 200 answer names no schema")
            body = op.get("requestBody")
            if body is not None:
                schema = (body.get("content") or {}).get("application/json", {}).get("schema") or {}
                if not _names_component(schema, components):
                    found.append(f"{where}: the request body names no schema")
    # A body the description cannot see (read from the request by hand) is caught on the routes themselves.
    for route in iter_routes(app.routes):
        if isinstance(route, APIRoute) and route.include_in_schema and route.path.startswith("/api/"):
            for param in route.dependant.body_params:
                kind = param.field_info.annotation
                if not (isinstance(kind, type) and issubclass(kind, BaseModel)):
                    found.append(f"{sorted(route.methods)} {route.path}: body {param.name!r} is not a model")
    return found


def _api_operations(app: FastAPI) -> list[str]:
    return [f"{m} {p}" for p, ops in app.openapi()["paths"].items() if p.startswith("/api/") for m in ops]


def test_every_json_endpoint_documents_its_answer_and_body(app):
    assert len(_api_operations(app)) >= 30, "the API's endpoints should all be described"
    assert problems(app) == []


def test_exports_are_described_as_workbooks(app):
    spec = app.openapi()
    exports = sorted(p for p in spec["paths"] if p.startswith("/api/") and p.endswith("/export"))
    assert exports == ["/api/audiences/{audience_id}/export", "/api/audit/export", "/api/campaigns/{campaign_id}/export",
                       "/api/campaigns/{campaign_id}/members/export", "/api/collections/export",
                       "/api/credit/warnings/export", "/api/customers/export", "/api/kpi/export", "/api/segments/export",
                       "/api/service/complaints/export", "/api/tasks/export", "/api/workbench/log/export"]
    for path in exports:
        assert XLSX in spec["paths"][path]["post"]["responses"]["200"]["content"]


def test_the_check_finds_an_untyped_endpoint():
    """Endpoints typed as today's code was before typed use cases (dict in, dict out) are each reported."""
    planted = FastAPI()

    @planted.get("/api/loose")
    def loose() -> dict[str, Any]:
        return {}

    @planted.post("/api/loose-body")
    def loose_body(body: dict[str, Any]) -> Answer:
        return Answer(ok=True)

    @planted.post("/api/typed")
    def typed(body: Answer) -> Answer:
        return body

    found = problems(planted)
    assert any(p.startswith("GET /api/loose:") and "answer" in p for p in found), found
    assert any(p.startswith("POST /api/loose-body:") and "request body" in p for p in found), found
    assert any("/api/loose-body" in p and "not a model" in p for p in found), found
    assert not any("/api/typed" in p for p in found), found
