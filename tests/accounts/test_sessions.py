"""Sessions end when they should: log out everywhere, a new password, logout; cookie settings."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest

from marketplace.config import load_config
from marketplace.database import utcnow
from tests.conftest import PASSWORD
from tests.factories import make_user

NEW_PASSWORD = "matkhau-moi-456"


def _login(app, login="ha@example.vn", password=PASSWORD, remember=False):
    client = app.test_client()
    data = {"login": login, "password": password}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    return client


def _opens_me(client) -> bool:
    response = client.get("/me")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def _copy_cookies(source, target, names=("session", "remember_token")) -> None:
    """Put the same cookies in another browser (as a thief with a copy would)."""
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


@pytest.fixture
def user(app):
    return make_user(email="ha@example.vn")


def test_log_out_everywhere_ends_every_session_and_remember_cookie(app, user):
    phone, laptop = _login(app), _login(app, remember=True)
    stolen, stolen_remember = app.test_client(), app.test_client()
    _copy_cookies(phone, stolen)
    _copy_cookies(laptop, stolen_remember, names=("remember_token",))
    assert _opens_me(stolen) and _opens_me(stolen_remember)

    response = phone.post("/me/logout-everywhere")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    for client in (phone, laptop, stolen, stolen_remember):
        assert not _opens_me(client)
    assert _opens_me(_login(app))  # a new login works as before


def test_the_me_page_offers_log_out_everywhere(app, user):
    html = _login(app).get("/me").get_data(as_text=True)
    assert "Đăng xuất mọi nơi" in html
    assert 'action="/me/logout-everywhere"' in html


def test_a_password_change_signs_out_the_other_devices_but_not_this_one(app, user):
    this, other = _login(app, remember=True), _login(app, remember=True)
    stolen = app.test_client()
    _copy_cookies(other, stolen, names=("remember_token",))
    response = this.post("/me/password", data={"current_password": PASSWORD,
                                               "new_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert _opens_me(this)
    assert not _opens_me(other) and not _opens_me(stolen)
    fresh = app.test_client()  # this browser's new remember cookie works on its own
    _copy_cookies(this, fresh, names=("remember_token",))
    assert _opens_me(fresh)


def test_logout_deletes_the_remember_cookie(app, user):
    client = _login(app, remember=True)
    assert client.get_cookie("remember_token") is not None
    client.post("/logout")
    assert client.get_cookie("remember_token") is None
    assert not _opens_me(client)


def test_a_cookie_from_before_session_versions_is_refused(app, user):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    assert not _opens_me(client)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
    assert _opens_me(client)


def test_an_inactive_account_is_signed_out(app, db, user):
    client = _login(app)
    user.active = False
    db.session.commit()
    assert not _opens_me(client)


@pytest.mark.parametrize("secure", ["0", "1"])
def test_remember_cookie_is_secure_like_the_session_cookie_and_lives_30_days(tmp_path, secure):
    config = load_config(str(tmp_path), {"SESSION_COOKIE_SECURE": secure})
    assert config["REMEMBER_COOKIE_SECURE"] is (secure == "1")
    assert config["SESSION_COOKIE_SECURE"] is (secure == "1")
    assert config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)
    assert config["REMEMBER_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_HTTPONLY"]
    assert config["REMEMBER_COOKIE_SAMESITE"] == config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_the_remember_cookie_sent_behind_https(make_app, tmp_path):
    settings = load_config(str(tmp_path), {"SESSION_COOKIE_SECURE": "1"})
    app = make_app(**{k: v for k, v in settings.items() if k.startswith("REMEMBER_COOKIE")})
    with app.app_context():
        make_user(email="ha@example.vn")
    response = app.test_client().post("/login", base_url="https://localhost", data={
        "login": "ha@example.vn", "password": PASSWORD, "remember": "y"})
    [remember] = [h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith("remember_token=")]
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in remember.split(";")}
    assert {"secure", "httponly"} <= attributes.keys()
    assert attributes["samesite"] == "SameSite=Lax"
    expires = parsedate_to_datetime(attributes["expires"].split("=", 1)[1])
    assert abs(expires - (utcnow() + timedelta(days=30))) < timedelta(minutes=5)
