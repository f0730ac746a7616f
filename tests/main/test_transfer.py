"""Pages travel small: compressed when no proxy does it, and a favicon that costs one request."""

from __future__ import annotations

import gzip
import io

import brotli
from PIL import Image


def test_html_css_and_js_are_compressed_for_browsers_that_ask(client):
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    assert "Chợ 4.0" in gzip.decompress(page.data).decode()
    with client.get("/static/css/app.css", headers={"Accept-Encoding": "br, gzip"}) as css:
        assert css.headers["Content-Encoding"] == "br"
        packed = css.data
    with client.get("/static/css/app.css") as response:
        plain = response.data
    assert brotli.decompress(packed) == plain
    assert len(packed) < len(plain) / 2


def test_nothing_is_compressed_for_a_client_that_did_not_ask(client):
    assert "Content-Encoding" not in client.get("/").headers


def test_compression_can_be_left_to_the_proxy(make_app):
    app = make_app(COMPRESS_REGISTER=False)
    page = app.test_client().get("/", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in page.headers


def test_favicon_is_linked_and_served(client):
    assert 'rel="icon"' in client.get("/").get_data(as_text=True)
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200 and "max-age=604800" in icon.headers["Cache-Control"]
        data = icon.data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "ICO"
    with client.get("/static/favicon.svg") as svg:
        assert svg.data.startswith(b"<svg")
