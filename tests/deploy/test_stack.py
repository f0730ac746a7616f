"""The production set (deploy/): nginx in front of two gunicorn instances on PostgreSQL."""

from __future__ import annotations

import gzip
import json
import re
import time
import urllib.request
from pathlib import Path

import pytest

from bench.browserless import Client
from deploy.render_nginx import ROOT
from deploy.stack import Stack
from tests.deploy.conftest import app_env, buyable_products, flask, query
from tests.deploy.shop import add_to_cart, buy


@pytest.fixture(scope="module")
def seeded(databases):
    return databases.seeded()


@pytest.fixture(scope="module")
def stack(nginx, seeded, tmp_path_factory):
    with Stack(tmp_path_factory.mktemp("stack"), app_env(seeded), instances=2,
               workers=1) as running:
        yield running


def status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as resp:
        resp.read()
        return resp.status


def _products(url: str, n: int = 3) -> list[tuple[str, int, int]]:
    """(code, id, stock) of products a shopper can buy."""
    return buyable_products(url, n, 20)


def test_static_files_come_from_nginx_for_a_year_compressed(stack):
    with Client(stack.base) as client:
        _static(client)


def _static(client: Client) -> None:
    home = client.get("/")
    assert home.status == 200 and home.headers["content-encoding"] == "gzip"
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{10})"', home.text).group(1)
    resp = client.get(css)
    assert resp.status == 200
    assert resp.headers["server"].startswith("nginx")
    assert resp.headers["content-encoding"] == "gzip"
    assert "max-age=31536000" in resp.headers["cache-control"]
    assert "immutable" in resp.headers["cache-control"]
    assert resp.body == (ROOT / "static/css/app.css").read_bytes()
    # The version is the file's content: a changed stylesheet gets a new URL.
    other = re.search(r"\?v=([0-9a-f]+)", css).group(1)
    assert other not in client.get("/").text.replace(css, "")


def test_forwarded_host_port_and_address_reach_the_app(stack, seeded):
    [line] = [ln for ln in flask(seeded, "api-token", "create", "--email",
                                 "bantochuc@cho40.vn").splitlines() if ln and " " not in ln]
    with Client(stack.base, headers={"Authorization": f"Bearer {line}",
                                         "Host": "cho40.example.vn",
                                         # A client's own forwarded headers are not believed.
                                         "X-Forwarded-Host": "evil.example",
                                         "X-Forwarded-For": "203.0.113.66"}) as client:
        resp = client.get("/api/v1/products?per_page=1")
    assert resp.status == 200
    link = json.loads(resp.body)["next"]
    assert link.startswith(f"http://cho40.example.vn:{stack.port}/api/v1/products?")


def test_a_checkout_through_nginx_writes_the_order_and_takes_stock(stack, seeded):
    code, pid, stock = _products(seeded)[0]
    with Client(stack.base) as client:
        checkout_code = buy(client, code, 2)
        done = client.get(f"/checkout/{checkout_code}")
    assert done.status == 200 and checkout_code in done.text
    [(quantity, total)] = query(seeded, (
        "SELECT l.quantity, o.total FROM order_line l JOIN \"order\" o ON o.id = l.order_id "
        "JOIN checkout c ON c.id = o.checkout_id WHERE c.code = :c"), c=checkout_code)
    assert quantity == 2
    assert query(seeded, "SELECT stock FROM product WHERE id = :p", p=pid)[0][0] == stock - 2


def _served_by(stack: Stack) -> list[int]:
    return [len(Path(app.log.with_suffix(".access")).read_text().splitlines())
            if app.log.with_suffix(".access").exists() else 0 for app in stack.apps]


def test_killing_one_instance_keeps_the_site_serving(stack, seeded):
    code, pid, stock = _products(seeded)[1]
    stack.apps[0].kill()
    try:
        answers = [status(stack.base + path)
                   for path in ["/healthz", "/products", f"/p/{code}", "/fairs"] * 5]
        assert answers == [200] * 20
        with Client(stack.base) as client:
            buy(client, code, 1)  # a POST to the dead instance is refused, so it goes to the other
        assert query(seeded, "SELECT stock FROM product WHERE id = :p", p=pid)[0][0] == stock - 1
    finally:
        stack.apps[0].start()
    # Back in rotation after fail_timeout: both instances answer again.
    before = _served_by(stack)
    time.sleep(stack.fail_timeout + 0.5)
    for _ in range(20):
        assert status(stack.base + "/healthz") == 200
    after = _served_by(stack)
    assert all(b > a for a, b in zip(before, after, strict=True)), (before, after)


def test_html_is_compressed_and_forwarded_proto_is_http_here(stack):
    req = urllib.request.Request(stack.base + "/products", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.headers["Content-Encoding"] == "gzip"
        assert b"</html>" in gzip.decompress(resp.read())


def test_nginx_keeps_only_what_the_app_marks_public(stack, seeded):
    code = _products(seeded)[2][0]
    with Client(stack.base) as client:
        # The QR image says "public, max-age=86400": the second answer comes from nginx's cache.
        first, second = client.get(f"/p/{code}/qr.png"), client.get(f"/p/{code}/qr.png")
        assert (first.status, second.status) == (200, 200) and first.body == second.body
        assert second.headers["x-cache-status"] == "HIT"
        # The provenance page is the same for every anonymous visitor (no cookie set), but each
        # scan is counted by the app, so nginx passes every one through ("public, no-cache").
        pages = []
        for _ in range(2):
            with Client(stack.base) as visitor:
                pages.append(visitor.get(f"/p/{code}"))
        assert [p.status for p in pages] == [200, 200]
        assert [p.headers["x-cache-status"] for p in pages] == ["MISS", "MISS"]
        assert not any("set-cookie" in p.headers for p in pages)
    # A visitor with a session (here: a cart) never gets a stored answer, not even the QR image.
    with Client(stack.base) as shopper:
        assert add_to_cart(shopper, code, 1).status in (302, 303)
        assert "session" in shopper.cookies
        assert shopper.get(f"/p/{code}/qr.png").headers["x-cache-status"] == "BYPASS"
