"""Every endpoint that takes a `next` returns only to a page of this site, however it is spelled."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

from marketplace.auth import safe_next
from tests.conftest import PASSWORD
from tests.factories import make_batch, make_order, make_organizer, make_product, make_user
from tests.fairs.test_campaigns import campaign_form

# Spellings a browser reads as another site (or a script): a scheme, a second slash, a
# backslash, and tabs, newlines, spaces or control characters it drops before reading.
ATTACKS = [
    "https://evil.example/",
    "http:evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    "\n//evil.example",
    " //evil.example",
    "//evil.example ",
    "\x00//evil.example",
    "\x0b//evil.example",
    "/\x00/evil.example",
    "https:/\\evil.example",
    "javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "",
]
# Same-site paths, kept (percent-encoded where a header needs it).
SAFE = [
    ("/me/password", "/me/password"),
    ("/products?q=g%E1%BA%A1o&page=2", "/products?q=g%E1%BA%A1o&page=2"),
    ("/products?q=gạo", "/products?q=g%E1%BA%A1o"),
    ("/seller/products#batches", "/seller/products#batches"),
    ("/me\n", "/me"),
    ("  /me", "/me"),
    ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),  # a path on this site, not a host
]


def browser_reads(location: str, base: str = "http://localhost/here") -> str:
    """Resolve a Location header as a browser does: drop tabs/newlines, backslash = slash."""
    cleaned = location.strip("".join(chr(c) for c in range(0x21)))
    cleaned = cleaned.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    return urljoin(base, cleaned)


def assert_stays_on_site(response, default: str | None = None) -> None:
    if response.status_code == 400:  # refused outright (a NUL byte in the form): no redirect
        assert "Location" not in response.headers
        return
    assert response.status_code in (301, 302, 303), response.status_code
    location = response.headers["Location"]
    assert not any(ord(ch) < 0x21 or ch == "\\" for ch in location), repr(location)
    target = urlsplit(browser_reads(location))
    assert (target.scheme, target.netloc) == ("http", "localhost"), location
    if default is not None:
        assert target.path == default


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_helper_refuses_every_off_site_spelling(attack):
    assert safe_next(attack, "/fallback") == "/fallback"


@pytest.mark.parametrize(("given", "kept"), SAFE)
def test_the_helper_keeps_same_site_paths(given, kept):
    assert safe_next(given, "/fallback") == kept


@pytest.mark.parametrize("attack", ATTACKS)
def test_language_switch_by_form_stays_on_site(client, attack):
    assert_stays_on_site(client.post("/lang/en", data={"next": attack}), "/")


@pytest.mark.parametrize("attack", ATTACKS)
def test_language_switch_by_link_stays_on_site(client, attack):
    assert_stays_on_site(client.get("/lang/en", query_string={"next": attack}), "/")


@pytest.mark.parametrize("attack", ATTACKS)
def test_login_stays_on_site(client, attack):
    make_user(email="ha@example.vn")
    response = client.post("/login", query_string={"next": attack},
                           data={"login": "ha@example.vn", "password": PASSWORD})
    assert_stays_on_site(response, "/me")


@pytest.mark.parametrize("attack", ATTACKS)
def test_add_to_cart_stays_on_site(client, attack):
    product = make_product()
    response = client.post("/cart/add", data={"product_id": product.id, "quantity": "1",
                                              "next": attack})
    assert_stays_on_site(response, "/cart")


@pytest.mark.parametrize("attack", ATTACKS)
def test_campaign_form_stays_on_site(client, auth, attack):
    auth.login(make_organizer())
    response = client.post("/organizer/campaigns/new", query_string={"next": attack},
                           data=campaign_form(slug=f"c-{ATTACKS.index(attack)}"))
    assert_stays_on_site(response, "/organizer")


@pytest.mark.parametrize("attack", ATTACKS)
def test_provenance_edit_and_delete_stay_on_site(client, auth, attack):
    batch = make_batch()
    auth.login(batch.product.stall.owner)
    page = f"/seller/products/{batch.product.id}/provenance"
    edit = client.post(f"/seller/batches/{batch.id}/edit", query_string={"next": attack},
                       data={"code": "LN24-B", "quantity": "10"})
    assert_stays_on_site(edit, page)
    edit_form = client.post(f"/seller/batches/{batch.id}/edit",
                            data={"code": "LN24-C", "quantity": "10", "next": attack})
    assert_stays_on_site(edit_form, page)
    delete = client.post(f"/seller/batches/{batch.id}/delete", query_string={"next": attack})
    assert_stays_on_site(delete, page)


@pytest.mark.parametrize(("given", "kept"), SAFE)
def test_login_keeps_a_same_site_next(client, given, kept):
    make_user(email="ha@example.vn")
    response = client.post("/login", query_string={"next": given},
                           data={"login": "ha@example.vn", "password": PASSWORD})
    assert response.headers["Location"] == kept


@pytest.mark.parametrize("attack", ATTACKS)
def test_recording_cash_stays_on_site(client, auth, attack):
    product = make_product(price=45000)
    order = make_order(product.stall, [(product, 1)])
    auth.login(product.stall.owner)
    page = client.get(f"/seller/orders/{order.code}/payments").get_data(as_text=True)
    once_key = re.search(r'name="once_key" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/seller/orders/{order.code}/payments/cash",
                           data={"amount": "45.000", "once_key": once_key, "next": attack})
    assert_stays_on_site(response, f"/seller/orders/{order.code}/payments")
