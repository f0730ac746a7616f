"""The OpenAPI 3.1 description of /api/v1, written as a Python dict."""

from __future__ import annotations

import types
import typing
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal

from flask import current_app

from marketplace.api.services import LEFT_OUT_WHEN_NONE
from marketplace.reports.figures import Progress, Report


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "429": {"$ref": "#/components/responses/TooManyRequests"},
}
NOT_FOUND = {"404": {"$ref": "#/components/responses/NotFound"}}
PAGE_PARAMS = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
    {"name": "per_page", "in": "query",
     "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
]
SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}


def _page_of(item: str) -> dict:
    return {
        "type": "object",
        "required": ["items", "page", "per_page", "total", "pages", "next", "prev"],
        "properties": {
            "items": {"type": "array", "items": _ref(item)},
            "page": {"type": "integer"}, "per_page": {"type": "integer"},
            "total": {"type": "integer", "description": "Items across all pages."},
            "pages": {"type": "integer"},
            "next": {"type": ["string", "null"], "format": "uri"},
            "prev": {"type": ["string", "null"], "format": "uri"},
        },
    }


def _op(summary: str, ok: dict, *, params: list | None = None, not_found: bool = False,
        tag: str = "", description: str = "") -> dict:
    op = {
        "summary": summary, "tags": [tag] if tag else [],
        "parameters": params or [],
        "responses": {"200": ok, **ERRORS, **(NOT_FOUND if not_found else {})},
    }
    if description:
        op["description"] = description
    return op


# --- report figures: schemas written from their dataclasses -----------------------------------

_SCALARS = {
    int: {"type": "integer"}, float: {"type": "number"}, Decimal: {"type": "number"},
    str: {"type": "string"}, bool: {"type": "boolean"},
    date: {"type": "string", "format": "date"},
    datetime: {"type": "string", "format": "date-time"},
}
# Closed sets of values, where the figure's type only says str.
_ENUMS = {(Report, "kind"): ["fair", "campaign"]}
_DESCRIPTIONS = {
    Report: "The same figures as the report page: money in integer VND, weights in kg "
            "(numbers), days as ISO dates. totals.net_vnd = sales_vnd - returned_vnd - "
            "refunded_vnd; collected_vnd = received_vnd - given_back_vnd; corrected payments "
            "count nowhere. tables holds the tables of the report's kind only; progress is a "
            "campaign's.",
}


def _type_schema(hint, found: dict) -> dict:
    """The JSON schema of one field's type (int | Decimal is a number; X | None may be null)."""
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        kinds = [a for a in args if a is not type(None)]
        if set(kinds) == {int, Decimal}:
            schema = {"type": "number"}
        else:
            (kind,) = kinds
            schema = _type_schema(kind, found)
        if type(None) in args:
            schema = {**schema, "type": [schema["type"], "null"]}
        return schema
    if typing.get_origin(hint) is tuple:
        return {"type": "array", "items": _type_schema(args[0], found)}
    if hint in _SCALARS:
        return dict(_SCALARS[hint])
    found[hint.__name__] = _figure_schema(hint, found)
    return _ref(hint.__name__)


def _figure_schema(cls, found: dict) -> dict:
    """The schema of a figures dataclass: every field named and typed, nothing else allowed.

    The fields JSON leaves out when None (api.services.LEFT_OUT_WHEN_NONE) are optional and
    never null; every other field is required.
    """
    hints = typing.get_type_hints(cls)
    optional = issubclass(cls, LEFT_OUT_WHEN_NONE)
    properties, required = {}, []
    for f in fields(cls):
        hint = hints[f.name]
        args = typing.get_args(hint)
        if optional and type(None) in args:
            (hint,) = [a for a in args if a is not type(None)]
        else:
            required.append(f.name)
        schema = _type_schema(hint, found)
        if (cls, f.name) in _ENUMS:
            schema = {"enum": _ENUMS[(cls, f.name)]}
        properties[f.name] = schema
    schema = {"type": "object", "properties": properties, "required": required,
              "additionalProperties": False}
    description = _DESCRIPTIONS.get(cls) or " ".join((cls.__doc__ or "").split())
    if description:
        schema["description"] = description
    return schema


def figure_schemas() -> dict:
    """Schemas of the report figures the API returns (Report, Progress and what they hold)."""
    found: dict = {}
    for cls in (Report, Progress):
        found[cls.__name__] = _figure_schema(cls, found)
    return found


SCHEMAS = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "integer"}, "message": {"type": "string"},
            "title": {"type": "string"}}}},
    },
    "Links": {"type": "object", "additionalProperties": {"type": "string", "format": "uri"}},
    "Fair": {
        "type": "object",
        "properties": {
            "slug": {"type": "string"}, "name": {"type": "string"}, "venue": {"type": "string"},
            "address": {"type": "string"},
            "starts_at": {"type": "string", "format": "date-time"},
            "ends_at": {"type": "string", "format": "date-time"},
            "state": {"enum": ["draft", "upcoming", "open", "closed"]},
            "published": {"type": "boolean"}, "public_board": {"type": "boolean"},
            "links": _ref("Links"),
        },
    },
    "FairDetail": {"allOf": [_ref("Fair"), {"type": "object", "properties": {
        "description": {"type": "string"},
        "stalls": {"type": "array", "items": {"type": "object", "properties": {
            "slug": {"type": "string"}, "name": {"type": "string"},
            "booth": {"type": ["string", "null"]}, "province": {"type": ["string", "null"]}}}},
    }}]},
    "Campaign": {
        "type": "object",
        "properties": {
            "slug": {"type": "string"}, "name": {"type": "string"},
            "starts_on": {"type": "string", "format": "date"},
            "ends_on": {"type": "string", "format": "date"},
            "goal_kg": {"type": ["number", "null"]}, "goal_vnd": {"type": ["integer", "null"]},
            "categories": {"type": "array", "items": {"type": "string"}},
            "channels": {"type": "array", "items": {
                "enum": ["fair", "online", "livestream", "imported"]}},
            "published": {"type": "boolean"}, "public_board": {"type": "boolean"},
            "links": _ref("Links"),
        },
    },
    "CampaignDetail": {"allOf": [_ref("Campaign"), {"type": "object", "properties": {
        "description": {"type": "string"},
        "stalls": {"type": "array", "items": {"type": "object"}},
        "products": {"type": "array", "items": {"type": "object"}},
        "progress": _ref("Progress"),
    }}]},
    "Product": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "description": "Public code printed on the label."},
            "name": {"type": "string"}, "category": {"type": "string"},
            "category_label": {"type": "string"}, "unit": {"type": "string"},
            "net_weight_kg": {"type": ["number", "null"]}, "price_vnd": {"type": "integer"},
            "gtin": {"type": ["string", "null"]},
            "stall": {"type": "object"},
            "producer": {"type": "object", "properties": {
                "name": {"type": ["string", "null"]}, "kind": {"type": ["string", "null"]},
                "address": {"type": ["string", "null"]}}},
            "growing_area": {"type": ["string", "null"]},
            "growing_area_code": {"type": ["string", "null"]},
            "variety": {"type": ["string", "null"]},
            "planting_year": {"type": ["integer", "null"]},
            "harvest_start": {"type": ["string", "null"], "format": "date"},
            "harvest_end": {"type": ["string", "null"], "format": "date"},
            "ocop": {"type": ["object", "null"], "properties": {
                "stars": {"type": "integer", "minimum": 3, "maximum": 5},
                "year": {"type": ["integer", "null"]}}},
            "batches": {"type": "array", "items": {"type": "object"}},
            "certificates": {"type": "array", "items": {"type": "object"}},
            "links": _ref("Links"),
        },
    },
    "ProductDetail": {"allOf": [_ref("Product"), {"type": "object", "properties": {
        "description": {"type": "string"},
        "timeline": {"type": "array", "items": {"type": "object"}}}}]},
    **figure_schemas(),
}


def _paths() -> dict:
    return {
        "/api/v1/openapi.json": {"get": {
            "summary": "This document", "security": [], "tags": ["meta"],
            "responses": {"200": {"description": "OpenAPI 3.1 document"}}}},
        "/api/v1/fairs": {"get": _op(
            "Fairs you run (every state, drafts included)",
            _json(_page_of("Fair"), "A page of fairs"), params=PAGE_PARAMS, tag="fairs")},
        "/api/v1/fairs/{slug}": {"get": _op(
            "One of your fairs, with its accepted stalls and booths",
            _json(_ref("FairDetail"), "The fair"), params=[SLUG], not_found=True,
            tag="fairs")},
        "/api/v1/fairs/{slug}/report": {"get": _op(
            "Sales report of one of your fairs (same figures as the report page)",
            _json({"type": "object", "required": ["fair", "report"],
                   "additionalProperties": False,
                   "properties": {"fair": _ref("Fair"), "report": _ref("Report")}}, "The report"),
            params=[SLUG], not_found=True, tag="reports")},
        "/api/v1/campaigns": {"get": _op(
            "Campaigns you run", _json(_page_of("Campaign"), "A page of campaigns"),
            params=PAGE_PARAMS, tag="campaigns")},
        "/api/v1/campaigns/{slug}": {"get": _op(
            "One of your campaigns, with its scope and progress toward the goal",
            _json(_ref("CampaignDetail"), "The campaign"), params=[SLUG], not_found=True,
            tag="campaigns")},
        "/api/v1/campaigns/{slug}/report": {"get": _op(
            "Sales report of one of your campaigns (same figures as the report page)",
            _json({"type": "object", "required": ["campaign", "report"],
                   "additionalProperties": False,
                   "properties": {"campaign": _ref("Campaign"), "report": _ref("Report")}},
                  "The report"),
            params=[SLUG], not_found=True, tag="reports")},
        "/api/v1/products": {"get": _op(
            "Active products of every stall, with provenance",
            _json(_page_of("Product"), "A page of products"),
            params=[*PAGE_PARAMS,
                    {"name": "stall", "in": "query", "schema": {"type": "string"},
                     "description": "Only this stall (slug)."},
                    {"name": "category", "in": "query", "schema": {"type": "string"},
                     "description": "Only this category key (400 if unknown)."}],
            tag="products",
            description="Product and provenance data is public (it is printed on labels), "
                        "so every valid token sees every active product.")},
        "/api/v1/products/{code}": {"get": _op(
            "One product by its label code (case-insensitive), with its cultivation diary",
            _json(_ref("ProductDetail"), "The product"),
            params=[{"name": "code", "in": "path", "required": True,
                     "schema": {"type": "string"}}],
            not_found=True, tag="products")},
    }


def openapi_document() -> dict:
    """Return the OpenAPI document, with this server's public URL."""
    def error(description: str) -> dict:
        return _json(_ref("Error"), description)

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Chợ 4.0 read API",
            "version": "1.0.0",
            "description": (
                "Read-only JSON for organizers' own tools. Create a token at "
                "/organizer/api-tokens (or `flask api-token create --email E`) and send it as "
                "`Authorization: Bearer <token>`. Fairs, campaigns and their reports are those "
                "the token's owner runs (others answer 404). Money is integer VND; times are "
                "UTC ISO 8601; weights are kg. Requests are limited per token "
                "(120 per minute by default; 429 when exceeded)."
            ),
        },
        "servers": [{"url": current_app.config.get("PUBLIC_BASE_URL", "")}],
        "security": [{"bearer": []}],
        "tags": [{"name": n} for n in ("fairs", "campaigns", "reports", "products", "meta")],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
            "responses": {
                "BadRequest": error("A query parameter is malformed"),
                "Unauthorized": {
                    **error("Missing, unknown or revoked token"),
                    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
                },
                "NotFound": error("No such resource among yours"),
                "TooManyRequests": error("Rate limit exceeded; retry after a minute"),
            },
        },
    }
