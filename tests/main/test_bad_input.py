"""Bad input by class: names cleaned at input; NUL, huge numbers, odd dates, non-ASCII secrets,
decimal overflow answered with 400/404 and a message, never a 500."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.catalog.models import Product, Stall
from marketplace.fairs.models import Campaign, Fair
from marketplace.orders.models import Order
from marketplace.sanitize import clean_name, clean_text, secret_matches
from tests.factories import (
    make_fair,
    make_order,
    make_organizer,
    make_product,
    make_seller,
    make_stall,
)
from tests.fairs.test_campaigns import campaign_form
from tests.fairs.test_fair_crud import fair_form
from tests.orders.conftest import Shop


def product_form(**overrides) -> dict:
    data = {"name": "Vải thiều Lục Ngạn", "category": "trai-cay", "unit": "hộp",
            "net_weight_kg": "2", "price": "120.000", "stock": "50", "active": "y"}
    data.update(overrides)
    return data


# (typed, stored): every class of invisible or dangerous character in a name.
NAMES = {
    "control": ("Gạo\x01 thơm\x1b\x7f", "Gạo thơm"),
    "c1-control": ("Gạo\x85thơm\x9b", "Gạo\nthơm"),
    "zero-width": ("Gạo\u200b\u200c\u200d thơm\ufeff\u2060", "Gạo thơm"),
    "bidi": ("\u202eGạo thơm\u202c\u2066\u2069\u200f", "Gạo thơm"),
    "newline-tab": ("Gạo\n\tthơm\r\n", "Gạo thơm"),
    "decomposed": ("Ga\u0323o tho\u031bm", "Gạo thơm"),
}


@pytest.mark.parametrize("kind", NAMES)
def test_clean_name_strips_every_class(kind):
    typed, stored = NAMES[kind]
    assert clean_name(typed) == " ".join(stored.split())


def test_free_text_keeps_its_lines():
    assert clean_text("Dòng 1\r\nDòng\u202e 2\x00\n\n") == "Dòng 1\nDòng 2"


@pytest.mark.parametrize("kind", ["control", "zero-width", "bidi", "newline-tab"])
def test_names_are_cleaned_in_every_form_that_takes_one(client, auth, db, kind):
    """Products, stalls, fairs, campaigns, users and customers all store the clean name."""
    typed, _stored = NAMES[kind]
    clean = "Gạo thơm"
    organizer, seller = make_organizer(), make_seller()
    stall = make_stall(owner=seller)
    product = make_product(stall, stock=20)

    assert client.post("/register", data={
        "name": typed, "email": "an@example.vn", "phone": "", "password": "matkhau-123",
        "role": "shopper"}).status_code == 302
    assert db.session.scalar(sa.select(User.name).where(User.email == "an@example.vn")) == clean
    client.post("/logout")

    auth.login(seller)
    assert client.post("/seller/products/new", data=product_form(name=typed)).status_code == 302
    assert db.session.scalar(sa.select(Product.name).order_by(Product.id.desc())) == clean
    response = client.post("/seller/stall", data={"name": typed, "slug": stall.slug})
    assert response.status_code in (200, 302)
    db.session.expire_all()
    assert db.session.get(Stall, stall.id).name == clean
    client.post("/logout")

    auth.login(organizer)
    assert client.post("/organizer/fairs/new", data=fair_form(name=typed)).status_code == 302
    assert db.session.scalar(sa.select(Fair.name)) == clean
    assert client.post("/organizer/campaigns/new",
                       data=campaign_form(name=typed, stalls=[str(stall.id)])).status_code == 302
    assert db.session.scalar(sa.select(Campaign.name)) == clean
    client.post("/logout")

    shop = Shop(client)
    shop.add(product)
    assert shop.checkout([stall], name=typed).status_code in (302, 303)
    assert db.session.scalar(sa.select(Order.customer_name)) == clean


@pytest.mark.parametrize("where", ["query", "form", "path", "form-key"])
def test_nul_bytes_are_refused_with_a_message(client, auth, db, where):
    seller = make_seller()
    make_stall(owner=seller)
    auth.login(seller)
    if where == "query":
        response = client.get("/products", query_string={"q": "gạo\x00"})
    elif where == "path":
        response = client.get("/p/AB%00CD")
    elif where == "form":
        response = client.post("/seller/products/new", data={"name": "Gạo\x00", "price": "1"})
    else:
        response = client.post("/cart/add", data={"product_id\x00": "1"})
    assert response.status_code == 400
    assert "ký tự không hợp lệ" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Product.id))) == 0


HUGE = ["99999999999999999999", "2147483648", "9223372036854775808", "-1", "١٢", "²"]


@pytest.mark.parametrize("number", HUGE)
def test_out_of_range_integers_in_query_strings(client, auth, number):
    seller = make_seller()
    stall = make_stall(owner=seller)
    make_product(stall)
    for url in (f"/products?page={number}", f"/fairs?page={number}"):
        assert client.get(url).status_code in (200, 400, 404), url
    auth.login(seller)
    for url in (f"/seller/orders?fair={number}&page={number}",
                f"/seller/orders/packing?fair={number}", f"/seller/pos?stall={number}",
                f"/seller/summary?stall={number}"):
        assert client.get(url).status_code in (200, 400, 404), url


@pytest.mark.parametrize("number", ["99999999999999999999", "2147483648", "9223372036854775808"])
def test_out_of_range_ids_in_paths_and_forms(client, auth, number):
    seller = make_seller()
    stall = make_stall(owner=seller)
    product = make_product(stall, stock=5)
    auth.login(seller)
    for url in (f"/seller/products/{number}/edit", f"/seller/batches/{number}/edit",
                f"/img/{number}.jpg", f"/seller/stalls/{number}/labels"):
        assert client.get(url).status_code == 404, url
    response = client.post("/cart/add", data={"product_id": number, "quantity": "1"})
    assert response.status_code in (302, 303, 400, 404)
    response = client.post("/seller/pos/sell", data={f"qty_{number}": "1",
                                                      f"qty_{product.id}": number})
    assert response.status_code in (200, 302, 400, 404)
    response = client.post("/seller/products/new", data={"name": "Gạo", "price": number,
                                                           "stock": number, "unit": "kg"})
    assert response.status_code == 400
    assert "tối đa" in response.get_data(as_text=True).lower()


@pytest.mark.parametrize("token", ["ạạạạ", "\u202e", "x" * 5000, "%FF", "😀"])
def test_non_ascii_tokens_in_secret_links_are_not_found(client, token):
    order = make_order()
    for url in (f"/orders/{order.code}", f"/pay/{order.code}/vietqr"):
        assert client.get(url, query_string={"t": token}).status_code == 404, url
    response = client.post(f"/pay/{order.code}/card", data={"t": token})
    assert response.status_code in (400, 404)
    assert client.get(f"/orders/{order.code}", query_string={"t": order.access_token}
                      ).status_code == 200


def test_secret_matches_any_input():
    assert secret_matches("abc", "abc")
    assert not secret_matches("ạbc", "abc")
    assert not secret_matches("\udcff", "abc")
    assert not secret_matches(None, "abc") and not secret_matches(["abc"], "abc")


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"])
def test_dates_outside_1900_to_2100_are_refused_with_a_message(client, auth, db, day):
    organizer = make_organizer()
    fair = make_fair(organizer=organizer)
    auth.login(organizer)
    message = "Ngày phải nằm trong khoảng năm 1900 đến 2100."
    response = client.post("/organizer/fairs/new", data=fair_form(starts_at=day + "T08:00"))
    assert response.status_code in (200, 400) and message in response.get_data(as_text=True)
    response = client.post("/organizer/campaigns/new", data=campaign_form(ends_on=day))
    assert response.status_code in (200, 400) and message in response.get_data(as_text=True)
    response = client.get("/organizer/reports/range", query_string={"from": day, "to": day})
    assert response.status_code in (200, 400) and message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Fair.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 0
    del fair
    client.post("/logout")
    seller = make_seller()
    stall = make_stall(owner=seller)
    product = make_product(stall)
    auth.login(seller)
    for url, data in (
        (f"/seller/products/{product.id}/batches", {"code": "L1", "produced_on": day}),
        (f"/seller/products/{product.id}/steps", {"happened_on": day, "step": "Gieo"}),
        ("/seller/orders", None),
    ):
        response = (client.post(url, data=data) if data is not None
                    else client.get(url, query_string={"from": day, "to": day}))
        assert response.status_code in (200, 302, 400), url


@pytest.mark.parametrize("value", ["1e999999", "9" * 40, "1" * 30 + ",5", "Infinity", "NaN"])
def test_decimal_overflow_is_a_form_error(client, auth, db, value):
    organizer = make_organizer()
    auth.login(organizer)
    response = client.post("/organizer/campaigns/new",
                           data=campaign_form(goal_weight=value, goal_vnd=value))
    assert response.status_code in (200, 400)
    assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 0
    client.post("/logout")
    seller = make_seller()
    make_stall(owner=seller)
    auth.login(seller)
    response = client.post("/seller/products/new",
                           data=product_form(net_weight_kg=value, price=value))
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Product.id))) == 0
