"""The indicators' OpenAPI file documents every route of the indicators' API, with every filter."""
from __future__ import annotations

import re


def _resolve(doc, node):
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        assert name in doc["components"]["parameters"], node["$ref"]
        return doc["components"]["parameters"][name]
    return node


def test_openapi_documents_every_indicators_route(app, client, token_for):
    from exam_server.indicators.query import FILTERS

    response = client.get("/api/v1/indicators/openapi.json", headers=token_for("admin"))
    assert response.status_code == 200
    doc = response.get_json()
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("indicators_api."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule).removeprefix("/api/v1")
            routes |= {(method.lower(), path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(method, path) for path, operations in doc["paths"].items() for method in operations}
    assert routes == documented
    for operations in doc["paths"].values():
        for operation in operations.values():
            assert operation["summary"] and "200" in operation["responses"]
            for parameter in operation.get("parameters", []):
                assert _resolve(doc, parameter)["in"] in ("query", "path", "header")
    for path in ("/indicators", "/indicators/summary", "/indicators/trend", "/indicators/mastery"):
        names = {_resolve(doc, p)["name"] for p in doc["paths"][path]["get"]["parameters"]}
        assert {*FILTERS, "school_group", "unit"} <= names, path
    assert "dimension" in {_resolve(doc, p)["name"] for p in doc["paths"]["/indicators/mastery"]["get"]["parameters"]}
