"""The read API: tokens, scoping, reports, products, pagination, errors, rate limits."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from marketplace.api.models import ApiToken
from marketplace.extensions import db
from marketplace.provenance.models import Batch, Certificate
from marketplace.reports.figures import campaign_progress, fair_report
from tests.factories import (
    join_campaign,
    make_api_token,
    make_campaign,
    make_fair,
    make_order,
    make_organizer,
    make_participation,
    make_product,
    make_stall,
)


def _get(client, url, raw):
    return client.get(url, headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def organizer(app):
    return make_organizer()


@pytest.fixture
def raw(organizer):
    return make_api_token(organizer)[1]


def test_missing_token_is_401_with_www_authenticate(client):
    response = client.get("/api/v1/fairs")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["error"]["code"] == 401


def test_unknown_token_is_401(client):
    assert _get(client, "/api/v1/fairs", "cho40_nope").status_code == 401


def test_revoked_token_is_401(client, organizer, raw):
    token = db.session.scalar(sa.select(ApiToken))
    from marketplace.api.services import revoke_token

    revoke_token(token)
    assert _get(client, "/api/v1/fairs", raw).status_code == 401


def test_only_the_hash_and_prefix_are_stored(organizer, raw):
    token = db.session.scalar(sa.select(ApiToken))
    assert raw.startswith(token.prefix)
    assert raw not in (token.token_hash, token.prefix)
    assert len(token.token_hash) == 64


def test_fairs_lists_only_my_fairs(client, organizer, raw):
    make_fair(organizer, name="Phiên của tôi", slug="cua-toi")
    make_fair(name="Phiên người khác", slug="nguoi-khac")
    body = _get(client, "/api/v1/fairs", raw).json
    assert [f["slug"] for f in body["items"]] == ["cua-toi"]
    assert body["total"] == 1


def test_pagination_with_next_links_and_totals(client, organizer, raw):
    for i in range(5):
        make_fair(organizer, slug=f"phien-{i}")
    first = _get(client, "/api/v1/fairs?per_page=2", raw).json
    assert (first["total"], first["pages"], len(first["items"])) == (5, 3, 2)
    assert first["prev"] is None
    second = _get(client, first["next"], raw).json
    assert second["page"] == 2 and second["prev"] and second["next"]
    last = _get(client, second["next"], raw).json
    assert len(last["items"]) == 1 and last["next"] is None
    seen = {f["slug"] for page in (first, second, last) for f in page["items"]}
    assert len(seen) == 5


@pytest.mark.parametrize("query", ["per_page=101", "per_page=0", "page=0", "page=abc",
                                   "per_page=-1"])
def test_bad_pagination_is_400(client, raw, query):
    response = _get(client, f"/api/v1/fairs?{query}", raw)
    assert response.status_code == 400
    assert "error" in response.json


def test_fair_detail_has_accepted_stalls(client, organizer, raw):
    fair = make_fair(organizer, slug="yen-dung")
    make_participation(fair, make_stall(name="Gạo thơm"), booth="A1")
    body = _get(client, "/api/v1/fairs/yen-dung", raw).json
    assert body["stalls"][0]["name"] == "Gạo thơm" and body["stalls"][0]["booth"] == "A1"


def test_another_organizers_token_cannot_read_my_fair_report(client, organizer):
    make_fair(organizer, slug="cua-toi")
    other_raw = make_api_token(make_organizer())[1]
    response = _get(client, "/api/v1/fairs/cua-toi/report", other_raw)
    assert response.status_code == 404
    assert response.is_json


def test_fair_report_carries_the_report_figures(client, organizer, raw):
    fair = make_fair(organizer, slug="yen-dung")
    stall = make_stall()
    make_participation(fair, stall)
    product = make_product(stall, price=45000)
    make_order(stall, [(product, 3)], channel="fair", fair=fair, paid=True)
    body = _get(client, "/api/v1/fairs/yen-dung/report", raw).json
    expected = fair_report(fair).totals
    assert body["report"]["totals"]["net_vnd"] == expected.net_vnd == 135000
    assert body["report"]["totals"]["quantity"] == 3
    assert body["fair"]["slug"] == "yen-dung"


def test_campaign_report_and_progress(client, organizer, raw):
    stall = make_stall(name="Vải thiều Lục Ngạn")
    product = make_product(stall, category="trai-cay", price=100000)
    make_order(stall, [(product, 2)], channel="online", paid=True)
    outsider = make_product(make_stall(name="Vải chưa tham gia"), category="trai-cay")
    make_order(outsider.stall, [(outsider, 5)], channel="online", paid=True)
    campaign = make_campaign(organizer, slug="vai-thieu", categories="trai-cay", stalls=[stall])
    join_campaign(campaign, outsider.stall, status="invited")
    detail = _get(client, "/api/v1/campaigns/vai-thieu", raw).json
    report = _get(client, "/api/v1/campaigns/vai-thieu/report", raw).json
    expected = campaign_progress(campaign)
    assert detail["progress"]["vnd_confirmed"] == expected.vnd_confirmed == 200000
    assert report["report"]["progress"]["kg_confirmed"] == float(expected.kg_confirmed)
    assert [s["name"] for s in detail["stalls"]] == ["Vải thiều Lục Ngạn"]


def test_campaigns_list_is_scoped(client, organizer, raw):
    make_campaign(organizer, slug="cua-toi")
    make_campaign(slug="cua-nguoi-khac")
    body = _get(client, "/api/v1/campaigns", raw).json
    assert [c["slug"] for c in body["items"]] == ["cua-toi"]
    assert _get(client, "/api/v1/campaigns/cua-nguoi-khac", raw).status_code == 404


def test_products_with_provenance_and_filters(client, raw):
    stall = make_stall(slug="vai-luc-ngan", growing_area="Lục Ngạn",
                       growing_area_code="VN-BG-LN-001")
    product = make_product(stall, category="trai-cay", ocop_stars=4, ocop_year=2022)
    make_product(make_stall(), category="gao")
    db.session.add_all([
        Batch(product_id=product.id, code="L2023-06"),
        Certificate(stall_id=stall.id, kind="VietGAP", number="VG-1", issuer="Sở NN"),
    ])
    db.session.commit()
    body = _get(client, "/api/v1/products?stall=vai-luc-ngan", raw).json
    [item] = body["items"]
    assert item["growing_area_code"] == "VN-BG-LN-001"
    assert item["ocop"] == {"stars": 4, "year": 2022}
    assert item["batches"][0]["code"] == "L2023-06"
    assert item["certificates"][0]["kind"] == "VietGAP"
    assert _get(client, "/api/v1/products?category=gao", raw).json["total"] == 1


def test_products_unknown_category_is_400(client, raw):
    assert _get(client, "/api/v1/products?category=xyz", raw).status_code == 400


def test_product_by_code_case_insensitive(client, raw):
    product = make_product()
    response = _get(client, f"/api/v1/products/{product.code.lower()}", raw)
    assert response.status_code == 200 and response.json["code"] == product.code
    assert "timeline" in response.json


def test_unknown_product_is_404_json(client, raw):
    response = _get(client, "/api/v1/products/ZZZZZZ", raw)
    assert response.status_code == 404 and response.json["error"]["code"] == 404


def test_rate_limit_answers_429(make_app, organizer):
    limited = make_app(API_RATE_LIMIT="3 per minute")
    raw = make_api_token(organizer)[1]
    client = limited.test_client()
    try:
        codes = [_get(client, "/api/v1/fairs", raw).status_code for _ in range(4)]
        body = _get(client, "/api/v1/fairs", raw).json
    finally:
        with limited.app_context():
            db.session.remove()
            db.engine.dispose()  # this second app's pool would otherwise outlive the test
    assert codes == [200, 200, 200, 429]
    assert body["error"]["code"] == 429


def test_openapi_describes_every_api_route(client, app):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    routes = {
        re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.rule.startswith("/api/")
    }
    assert routes and routes <= set(doc["paths"])


def test_last_used_is_recorded(client, organizer, raw):
    _get(client, "/api/v1/fairs", raw)
    assert isinstance(db.session.scalar(sa.select(ApiToken.last_used_at)), datetime)


@pytest.mark.parametrize("bad", [
    lambda n: f"cho40_guess{n}",  # looks like a token
    lambda n: f"garbage-{n}",  # does not
    lambda n: f"cho40_{'ạ' * 3}{n}",  # not even ASCII
])
def test_invalid_tokens_share_one_bucket_per_address(make_app, organizer, bad):
    limited = make_app(API_RATE_LIMIT="3 per minute")
    raw = make_api_token(organizer)[1]
    client = limited.test_client()
    try:
        codes = [_get(client, "/api/v1/fairs", bad(n).encode().decode("latin-1")).status_code
                 for n in range(4)]
        anonymous = client.get("/api/v1/fairs").status_code
        other_address = client.get("/api/v1/fairs", headers={
            "Authorization": f"Bearer {bad(9)}".encode().decode("latin-1")},
            environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code
        valid = _get(client, "/api/v1/fairs", raw).status_code
    finally:
        with limited.app_context():
            db.session.remove()
            db.engine.dispose()
    # A new guess each time does not get a new bucket; nor does sending no token at all.
    assert codes == [401, 401, 401, 429]
    assert anonymous == 429
    assert other_address == 401
    assert valid == 200  # the owner of a real token is not locked out by the guesser
