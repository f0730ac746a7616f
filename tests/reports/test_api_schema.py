"""The API's reports match the schema /api/v1/openapi.json publishes, and nothing else passes."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from marketplace.demo import campaign as demo
from tests.factories import make_api_token, make_campaign, make_scan_event
from tests.reports.conftest import vn
from tests.reports.test_demo import _lychee_campaign

FAIR_REPORT = "/api/v1/fairs/{slug}/report"
CAMPAIGN_REPORT = "/api/v1/campaigns/{slug}/report"
CAMPAIGN = "/api/v1/campaigns/{slug}"


def _validator(client, path: str) -> jsonschema.Draft202012Validator:
    """A validator of the 200 response of one path, from the document the API serves."""
    document = client.get("/api/v1/openapi.json").get_json()
    registry = Registry().with_resource(
        "urn:openapi", Resource.from_contents(document, default_specification=DRAFT202012))
    pointer = "/paths/" + path.replace("~", "~0").replace("/", "~1") + (
        "/get/responses/200/content/application~1json/schema")
    return jsonschema.Draft202012Validator(
        {"$ref": f"urn:openapi#{pointer}"}, registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _get(client, url: str, raw: str) -> dict:
    response = client.get(url, headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def reports(client, world):
    """The fair's and a campaign's report as the API returns them, with label scans."""
    lychee, sauce = world.products["lychee"], world.products["sauce"]
    make_scan_event(lychee, fair=world.fair, scanned_at=vn(2024, 5, 10, 9), qr=True)
    make_scan_event(sauce, fair=world.fair, scanned_at=vn(2024, 5, 11, 9))
    campaign = make_campaign(organizer=world.organizer, starts_on=date(2024, 5, 10),
                             ends_on=date(2024, 5, 11), categories="trai-cay,gia-vi",
                             channels="fair,online,livestream,imported", goal_vnd=2_000_000,
                             stalls=world.stalls[:2])
    raw = make_api_token(world.organizer)[1]
    return {
        "fair": _get(client, FAIR_REPORT.format(slug=world.fair.slug), raw),
        "campaign": _get(client, CAMPAIGN_REPORT.format(slug=campaign.slug), raw),
        "detail": _get(client, CAMPAIGN.format(slug=campaign.slug), raw),
    }


def test_fair_and_campaign_reports_match_the_schema(client, reports):
    fair, campaign = reports["fair"], reports["campaign"]
    _validator(client, FAIR_REPORT).validate(fair)
    _validator(client, CAMPAIGN_REPORT).validate(campaign)
    _validator(client, CAMPAIGN).validate(reports["detail"])
    # The data fills what the schema describes: every table has rows, imports and scans too.
    assert all(fair["report"]["tables"][name] for name in (
        "days", "hours", "stalls", "products", "payments", "card_owed", "scans_products",
        "conversion"))
    assert "progress" not in fair["report"]
    assert campaign["report"]["progress"]["goal_vnd"] == 2_000_000
    assert campaign["report"]["totals"]["imported_orders"] > 0
    assert {r["channel"] for r in campaign["report"]["tables"]["channels"]} >= {
        "imported:shopee", "imported:tiktok"}


def test_the_demo_campaign_report_matches_the_schema(client, app, db):
    campaign = _lychee_campaign()
    demo.seed({"campaign": campaign})
    db.session.commit()
    body = _get(client, CAMPAIGN_REPORT.format(slug=campaign.slug),
                make_api_token(campaign.organizer)[1])
    _validator(client, CAMPAIGN_REPORT).validate(body)
    assert body["report"]["progress"]["kg_confirmed"] >= float(Decimal("50000"))


@pytest.mark.parametrize("where", [
    ["report"], ["report", "totals"], ["report", "totals", "units", 0], ["report", "tables"],
    ["report", "tables", "stalls", 0], ["report", "tables", "conversion", 0],
    ["report", "progress"], [],
])
def test_an_unknown_property_fails_validation(client, reports, where):
    body = copy.deepcopy(reports["campaign" if "progress" in where else "fair"])
    target = body
    for key in where:
        target = target[key]
    target["surprise"] = 1
    path = CAMPAIGN_REPORT if "progress" in where else FAIR_REPORT
    with pytest.raises(jsonschema.ValidationError, match="surprise"):
        _validator(client, path).validate(body)


def test_a_wrong_type_or_a_missing_figure_fails_validation(client, reports):
    body = copy.deepcopy(reports["fair"])
    body["report"]["totals"]["net_vnd"] = "1.250.000"
    with pytest.raises(jsonschema.ValidationError):
        _validator(client, FAIR_REPORT).validate(body)
    body = copy.deepcopy(reports["fair"])
    del body["report"]["tables"]["days"][0]["net_vnd"]
    with pytest.raises(jsonschema.ValidationError, match="net_vnd"):
        _validator(client, FAIR_REPORT).validate(body)


def test_every_report_schema_is_closed(client):
    """additionalProperties is false on every object a report holds (no open dicts)."""
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    seen, todo = set(), ["Report", "Progress"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        schema = schemas[name]
        assert schema["additionalProperties"] is False, name
        assert set(schema["required"]) <= set(schema["properties"]), name
        for prop in schema["properties"].values():
            ref = prop.get("$ref") or prop.get("items", {}).get("$ref")
            if ref:
                todo.append(ref.rsplit("/", 1)[1])
            else:
                assert "type" in prop or "enum" in prop, (name, prop)
    assert {"Totals", "Tables", "StallRow", "ProductRow", "ConversionRow", "Unit"} <= seen
