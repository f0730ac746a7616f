"""Organizers create and revoke API tokens in the browser and on the command line."""

from __future__ import annotations

import re

import sqlalchemy as sa

from marketplace.api.models import ApiToken
from marketplace.extensions import db
from tests.factories import make_api_token, make_organizer, make_seller


def _tokens() -> list[ApiToken]:
    return list(db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)))


def test_create_shows_the_token_once_and_it_works(client, auth):
    organizer = make_organizer()
    auth.login(organizer)
    page = client.post("/organizer/api-tokens", data={"name": "Bảng tính"})
    raw = re.search(r'<code id="new-token">([^<]+)</code>', page.get_data(as_text=True))[1]
    assert client.get("/api/v1/fairs", headers={"Authorization": f"Bearer {raw}"}).status_code \
        == 200
    listing = client.get("/organizer/api-tokens").get_data(as_text=True)
    assert "Bảng tính" in listing and raw not in listing


def test_revoke_makes_the_token_answer_401(client, auth):
    organizer = make_organizer()
    token, raw = make_api_token(organizer)
    auth.login(organizer)
    response = client.post(f"/organizer/api-tokens/{token.id}/revoke")
    assert response.status_code == 302
    assert client.get("/api/v1/fairs", headers={"Authorization": f"Bearer {raw}"}).status_code \
        == 401


def test_another_organizer_cannot_revoke_my_token(client, auth):
    token, _raw = make_api_token(make_organizer())
    auth.login(make_organizer())
    assert client.post(f"/organizer/api-tokens/{token.id}/revoke").status_code == 404
    assert _tokens()[0].revoked_at is None


def test_token_page_needs_an_organizer(client, auth):
    response = client.get("/organizer/api-tokens")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login(make_seller())
    assert client.get("/organizer/api-tokens").status_code == 403


def test_empty_name_is_refused(client, auth):
    auth.login(make_organizer())
    client.post("/organizer/api-tokens", data={"name": "  "})
    assert _tokens() == []


def test_command_prints_the_token_once(app):
    make_organizer(email="btc@example.vn")
    result = app.test_cli_runner().invoke(
        args=["api-token", "create", "--email", "btc@example.vn", "--name", "Máy chủ"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip().splitlines()[-1]
    [token] = _tokens()
    assert raw.startswith(token.prefix) and token.name == "Máy chủ"


def test_command_refuses_a_seller(app):
    make_seller(email="ban@example.vn")
    result = app.test_cli_runner().invoke(args=["api-token", "create", "--email",
                                                "ban@example.vn"])
    assert result.exit_code != 0 and _tokens() == []


def test_organizer_me_page_links_to_tokens(client, auth):
    auth.login(make_organizer())
    assert "/organizer/api-tokens" in client.get("/me").get_data(as_text=True)
