"""Security headers: a CSP without inline code, framing, sniffing, referrer, HSTS, no-store."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from tests.factories import (
    make_campaign,
    make_fair,
    make_order,
    make_organizer,
    make_product,
    make_stall,
    make_user,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _csp(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


@pytest.mark.parametrize("path", ["/", "/products", "/login", "/register", "/cart",
                                  "/khong-co-trang-nay"])
def test_every_page_has_a_csp_without_inline_code_and_the_basic_headers(client, path):
    response = client.get(path)
    csp = _csp(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_the_provenance_json_ld_is_allowed_by_its_hash_only(client):
    product = make_product(name="Vải thiều Lục Ngạn")
    response = client.get(f"/p/{product.code}")
    html = response.get_data(as_text=True)
    [data] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert "Vải thiều" in data or "V\\u1ea3i" in data
    digest = base64.b64encode(hashlib.sha256(data.encode()).digest()).decode()
    assert _csp(response)["script-src"] == ["'self'", f"'sha256-{digest}'"]
    # A copy from the page cache carries the same policy as the page it copies.
    again = client.get(f"/p/{product.code}")
    assert again.headers["Content-Security-Policy"] == response.headers["Content-Security-Policy"]


def test_public_boards_may_be_embedded_other_pages_not(client):
    campaign = make_campaign(slug="vai", public_board=True)
    fair = make_fair(slug="phien", public_board=True)
    for path in (f"/board/campaigns/{campaign.slug}", f"/board/fairs/{fair.slug}"):
        response = client.get(path)
        assert response.status_code == 200
        assert _csp(response)["frame-ancestors"] == ["*"]
        assert "X-Frame-Options" not in response.headers
    assert _csp(client.get(f"/campaigns/{campaign.slug}"))["frame-ancestors"] == ["'none'"]


def test_hsts_is_sent_over_https_when_set(make_app):
    client = make_app(HSTS_SECONDS=31536000).test_client()
    assert client.get("/", base_url="https://localhost").headers[
        "Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/").headers  # plain http: meaningless


def test_hsts_follows_the_forwarded_protocol_behind_a_proxy(make_app):
    client = make_app(HSTS_SECONDS=600, PROXY_FIX_X_PROTO=1).test_client()
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"] == "max-age=600"


@pytest.fixture
def private_pages(app):
    seller = make_user("seller", phone="0912345678")
    stall = make_stall(seller)
    product = make_product(stall)
    order = make_order(stall, [(product, 1)])
    organizer = make_organizer()
    return {"seller": seller, "organizer": organizer, "order": order, "product": product}


def test_an_order_tracking_link_is_never_stored(client, private_pages):
    order = private_pages["order"]
    response = client.get(f"/orders/{order.code}", query_string={"t": order.access_token})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/me", "/me/password", "/seller/orders", "/seller/pos",
                                  "/seller/provenance", "/seller/summary", "/my/orders", "/"])
def test_pages_for_a_logged_in_seller_are_never_stored(client, auth, private_pages, path):
    auth.login(private_pages["seller"])
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/organizer", "/organizer/reports", "/organizer/stalls",
                                  "/organizer/password-codes"])
def test_organizer_pages_are_never_stored(client, auth, private_pages, path):
    auth.login(private_pages["organizer"])
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/login", "/register", "/password/forgot", "/password/code",
                                  "/cart"])
def test_account_forms_are_never_stored(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_public_pages_and_images_keep_their_caching(client, private_pages):
    product = private_pages["product"]
    for path in ("/", "/products", f"/p/{product.code}"):
        assert "no-store" not in client.get(path).headers.get("Cache-Control", ""), path


# Inline code a CSP without 'unsafe-inline' would block: style attributes and blocks, event
# handler attributes, javascript: URLs and <script> elements without src (inline_script() is the
# one way to write a hashed data block).
INLINE = re.compile(
    r"""\sstyle\s*=\s*["']|<style[\s>]|\son[a-z]+\s*=\s*["']|javascript:|<script(?![^>]*\ssrc=)[^>]*>""",
    re.I,
)


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix()
                                            for p in TEMPLATES.rglob("*.html")))
def test_no_template_holds_inline_code_or_style(template):
    text = (TEMPLATES / template).read_text()
    assert INLINE.findall(text) == []


def test_the_inline_pattern_finds_what_it_should():
    found = INLINE.findall('<p style="x"><style>a{}</style><b onclick="f()">'
                           '<a href="javascript:x"><script>x</script><script src="/a.js">')
    assert len(found) == 5
