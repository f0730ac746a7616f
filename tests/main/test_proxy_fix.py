"""Behind a proxy: X-Forwarded-* believed only when PROXY_FIX_X_* says how many proxies set them."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import jsonify, request

from marketplace.config import load_config


def _whoami(app):
    # A probe route, added before the first request, that shows what the app believes.
    app.add_url_rule("/_test/whoami", "whoami", lambda: jsonify(
        addr=request.remote_addr, root=request.url_root, secure=request.is_secure))
    return app.test_client()


FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "cho40.example.vn", "X-Forwarded-Port": "443"}


def test_settings_come_from_the_environment(tmp_path):
    config = load_config(str(tmp_path), env={"PROXY_FIX_X_FOR": "1", "PROXY_FIX_X_PROTO": "2"})
    assert (config["PROXY_FIX_X_FOR"], config["PROXY_FIX_X_PROTO"]) == (1, 2)
    assert load_config(str(tmp_path), env={})["PROXY_FIX_X_HOST"] == 0


def test_forwarded_headers_are_ignored_by_default(make_app):
    client = _whoami(make_app())
    data = client.get("/_test/whoami", headers=FORWARDED,
                      environ_base={"REMOTE_ADDR": "127.0.0.1"}).json
    assert data == {"addr": "127.0.0.1", "root": "http://localhost/", "secure": False}


def test_one_trusted_proxy_gives_the_client_address_scheme_and_host(make_app):
    app = make_app(PROXY_FIX_X_FOR=1, PROXY_FIX_X_PROTO=1, PROXY_FIX_X_HOST=1,
                   PROXY_FIX_X_PORT=1)
    client = _whoami(app)
    # A client's own X-Forwarded-For comes first; the proxy appends what it saw: only that counts.
    data = client.get("/_test/whoami", headers={**FORWARDED,
                                                "X-Forwarded-For": "10.6.6.6, 203.0.113.7"}).json
    assert data == {"addr": "203.0.113.7", "root": "https://cho40.example.vn/", "secure": True}


def test_static_urls_carry_a_hash_of_the_file(app, client):
    page = client.get("/").get_data(as_text=True)
    version = re.search(r'/static/css/app\.css\?v=([0-9a-f]{10})"', page).group(1)
    css = Path(app.static_folder, "css/app.css").read_bytes()
    assert version == hashlib.sha256(css).hexdigest()[:10]
