"""Hypothesis over every route, form and query string, as each role: never a 500.

Each example picks a route of the app, fills its path with a real id/slug/code or a hostile
one, starts from a valid form (so the deep rules are reached too) and replaces a few fields
or query parameters with hostile values: out-of-range integers, NUL and control characters,
bidi overrides, dates far outside 1900–2100, decimal overflow, non-ASCII secrets.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

from marketplace.extensions import db
from tests.conftest import AuthActions
from tests.factories import (
    make_batch,
    make_campaign,
    make_certificate,
    make_fair,
    make_order,
    make_organizer,
    make_participation,
    make_product,
    make_seller,
    make_stall,
    make_step,
    make_user,
)

# Routes left out: logging out would turn the role into an anonymous visitor for the rest of
# the run, and the Stripe webhook refuses anything unsigned before reading it (its own tests).
SKIPPED_ENDPOINTS = {"static", "accounts.logout", "payments.stripe_webhook"}

SPECIAL = [
    "", " ", "0", "-1", "1", "2147483647", "2147483648", "-2147483649", "9223372036854775807",
    "9223372036854775808", "99999999999999999999", "9" * 400, "1e999999", "-1e-999999", "NaN",
    "Infinity", "-inf", "1,5", "1.000.000.000.000.000", "0x1F", "١٢٣", "²", "½", "①",
    "\x00", "a\x00b", "\x01\x1b[31m", "\u202egnp.exe", "\u200b", "\ufeff", "\ud800"[:0] + "\u2028",
    "0000-00-00", "0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31", "31/12/0001",
    "01/01/99999", "0001-01-01T00:00", "9999-12-31T23:59", "10000-01-01T00:00",
    "31/12/9999 23:59", "2026-02-30", "=1+1", "@SUM(A1)", "'", "\"", "<script>", "%00", "../",
    "https://evil.example/", "//evil.example", "\\\\evil", "ạ" * 300,
]
NASTY = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=40),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.dates(min_value=date(1, 1, 1)).map(lambda d: st.sampled_from(
        [d.isoformat(), d.strftime("%d/%m/%Y"), d.isoformat() + "T08:00"])).flatmap(lambda s: s),
)


def _form_field_names() -> set[str]:
    names: set[str] = set()
    pending = list(FlaskForm.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        names |= {n for n in dir(cls) if isinstance(getattr(cls, n, None), UnboundField)}
    return names


QUERY_NAMES = ["page", "per_page", "fair", "stall", "from", "to", "status", "q", "category",
               "ocop", "province", "certificate", "lot", "t", "next", "code", "session_id"]
EXTRA_FIELDS = ["product_id", "quantity", "action", "status", "ref", "active", "method", "next",
                "t", "nonce", "qty_1", "qty_99999999999999999999"]
FILE_FIELDS = ["photos", "logo", "cover", "file", "files", "statement"]


@dataclass
class World:
    values: dict
    form: dict
    clients: dict


@pytest.fixture
def world(app) -> World:
    organizer = make_organizer()
    seller = make_seller()
    shopper = make_user()
    stall = make_stall(owner=seller, slug="gao-thom")
    fair = make_fair(organizer=organizer, slug="phien-cho")
    campaign = make_campaign(organizer=organizer, slug="vai-thieu")
    participation = make_participation(fair, stall, booth="A1")
    product = make_product(stall, name="Gạo thơm", price=50000)
    batch = make_batch(product)
    step = make_step(product)
    cert = make_certificate(product)
    order = make_order(stall, [(product, 1)], fair=fair, paid=True, method="cash")
    db.session.commit()
    values = {
        "product_id": product.id, "fair_id": fair.id, "campaign_id": campaign.id,
        "fs_id": participation.id, "batch_id": batch.id, "cert_id": cert.id,
        "step_id": step.id, "stall_id": stall.id, "token_id": 1, "payment_id": 1,
        "photo_id": 1, "image_id": 1, "table": "days", "fmt": "csv", "gtin": "8934567890128",
        "lot": batch.code, "batch": "x", "slug": {"fairs": fair.slug, "campaigns": campaign.slug,
                                                   "default": stall.slug},
        "code": {"order": order.code, "product": product.code, "lang": "en"},
    }
    form = {
        "name": "Gạo thơm Yên Dũng", "price": "50000", "stock": "10", "unit": "kg",
        "category": "gao", "net_weight_kg": "1", "description": "Ngon", "venue": "Nhà văn hoá",
        "address": "Yên Dũng", "starts_at": "2026-07-01T08:00", "ends_at": "2026-07-03T21:00",
        "starts_on": "2026-07-01", "ends_on": "2026-07-31", "goal_weight": "50",
        "goal_unit": "t", "goal_vnd": "50000000", "customer_name": "Nguyễn Văn A",
        "customer_phone": "0912345678", "delivery_address": "Bắc Giang",
        "fulfilment": "booth_pickup", "payment_method": "cash", "quantity": "1",
        "product_id": str(product.id), "stall_id": str(stall.id), "stall": str(stall.id),
        "code": "LO-2", "produced_on": "2026-06-01", "happened_on": "2026-06-01",
        "step": "Gieo hạt", "number": "CN-1", "issuer": "Sở NN", "valid_until": "2027-01-01",
        "booth_number": "B2", "reason": "Hết chỗ", "amount": "10000", "method": "cash",
        "t": order.access_token, "next": "/", "email": "a@example.vn", "phone": "0912000111",
        "password": "matkhau-123", "login": "a@example.vn", f"qty_{product.id}": "1",
        "planting_year": "2020", "harvest_start": "2026-06-01", "harvest_end": "2026-06-30",
        "ocop_stars": "3", "ocop_year": "2024", "copies": "1", "received": "50000",
    }
    clients = {"anonymous": app.test_client()}
    for role, user in (("seller", seller), ("organizer", organizer), ("shopper", shopper)):
        clients[role] = app.test_client()
        AuthActions(clients[role]).login(user)
    return World(values=values, form=form, clients=clients)


# Areas a role cannot enter answer 403 or a login redirect at once: fuzz each role where it
# gets past the door.
OTHER_ROLES_AREAS = {
    "anonymous": ("/seller", "/stalls/", "/organizer", "/me", "/my/", "/payments/"),
    "shopper": ("/seller", "/stalls/", "/organizer", "/payments/"),
    "seller": ("/organizer",),
    "organizer": ("/seller/orders", "/seller/pos", "/payments/"),
}


def _routes(app, role: str) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS or rule.rule.startswith(OTHER_ROLES_AREAS[role]):
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            routes.append((rule.rule, rule.endpoint, method))
    return sorted(routes)


def _path_value(world: World, name: str, endpoint: str, rule: str):
    value = world.values.get(name, "x")
    if isinstance(value, dict):
        if name == "code":
            kind = ("lang" if endpoint.startswith("main.")
                    else "product" if rule.startswith("/p/") else "order")
        else:
            kind = next((k for k in value if f"/{k}/" in rule), "default")
        value = value[kind]
    return str(value)


@st.composite
def requests(draw, routes: list, fields: list[str], world: World):
    rule, endpoint, method = draw(st.sampled_from(routes))
    path = rule
    for part in rule.split("<")[1:]:
        spec = part.split(">")[0]
        name = spec.split(":")[-1]
        if spec.startswith("any("):
            options = spec[4:].split(")")[0].split(", ")
            real = options[0]
        else:
            real = _path_value(world, name, endpoint, rule)
        # Mostly the real object, so the form behind it is reached; sometimes a hostile one.
        value = draw(st.one_of(st.just(real), st.just(real), st.just(real), NASTY.filter(bool)))
        path = path.replace(f"<{spec}>", quote(value, safe="") or "x", 1)
    query = draw(st.dictionaries(st.sampled_from(QUERY_NAMES), NASTY, max_size=3))
    data = {}
    if method == "POST":
        data = dict(world.form)
        data.update(draw(st.dictionaries(st.sampled_from(fields), NASTY, max_size=4)))
        for field_name in draw(st.lists(st.sampled_from(FILE_FIELDS), max_size=2, unique=True)):
            blob = draw(st.binary(max_size=200))
            data[field_name] = (io.BytesIO(blob), draw(st.sampled_from(
                ["a.png", "a.csv", "a.xlsx", "a\x01.jpg", ""])))
    return method, path, query, data


@pytest.mark.parametrize("role", ["anonymous", "seller", "organizer", "shopper"])
def test_no_form_or_query_string_gives_a_500(app, world, role):
    client = world.clients[role]
    # Fixed once: forms made per request (one field per stall at checkout) add names later.
    fields = sorted(_form_field_names() | set(EXTRA_FIELDS))
    seen: set[int] = set()

    @given(req=requests(_routes(app, role), fields, world))
    @settings(max_examples=200, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                     HealthCheck.data_too_large])
    def fuzz(req):
        method, path, query, data = req
        if method == "POST":
            response = client.post(path, query_string=query, data=data,
                                   content_type="multipart/form-data")
        else:
            response = client.get(path, query_string=query)
        with response:
            response.get_data()
        seen.add(response.status_code // 100)
        assert response.status_code < 500, (method, path, query, data)

    fuzz()
    # The run reached pages and forms (2xx), and hostile values were answered (4xx).
    assert {2, 4} <= seen

