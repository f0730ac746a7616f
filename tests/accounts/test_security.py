"""CSRF on every form and the login rate limit (memory and Redis storage)."""

import re
import subprocess
import sys
import textwrap

from marketplace.extensions import limiter
from tests.factories import make_user


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_post_without_csrf_token_is_refused_with_a_clear_message(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        make_user(email="ha@example.vn")
    response = client.post("/login", data={"login": "ha@example.vn", "password": "matkhau-123"})
    assert response.status_code == 400
    assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)


def test_post_with_wrong_csrf_token_is_refused(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    client.get("/register")
    response = client.post("/register", data={"csrf_token": "forged", "name": "X",
                                               "email": "x@example.vn", "password": "matkhau-123",
                                               "role": "shopper"})
    assert response.status_code == 400


def test_login_with_csrf_token_from_the_form_works(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        make_user(email="ha@example.vn")
    token = _token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "login": "ha@example.vn",
                                            "password": "matkhau-123"})
    assert response.status_code == 302


def _hammer(client, attempts: int) -> list[int]:
    return [
        client.post("/login", data={"login": "ha@example.vn", "password": "wrong-pass"}).status_code
        for _ in range(attempts)
    ]


def test_eleventh_wrong_password_in_a_minute_gets_429(client):
    make_user(email="ha@example.vn")
    codes = _hammer(client, 11)
    assert codes[:10] == [400] * 10
    assert codes[10] == 429
    page = client.post("/login", data={"login": "ha@example.vn", "password": "x"})
    assert page.status_code == 429
    assert "Vui lòng đợi một phút rồi thử lại." in page.get_data(as_text=True)


def test_successful_logins_do_not_count_towards_the_limit(client, auth):
    make_user(email="ha@example.vn")
    for _ in range(12):
        assert auth.login("ha@example.vn").status_code == 302
        auth.logout()


def test_rate_limit_is_shared_through_redis_across_processes(make_app, redis_url):
    """Another worker process and this one count against one limit when Redis stores it."""
    app = make_app(RATELIMIT_STORAGE_URI=redis_url)
    limiter.reset()
    with app.app_context():
        make_user(email="ha@example.vn")
    other_worker = textwrap.dedent(f"""
        from marketplace import create_app
        app = create_app({{
            "TESTING": True, "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": {app.config["SQLALCHEMY_DATABASE_URI"]!r},
            "RATELIMIT_STORAGE_URI": {redis_url!r},
        }})
        client = app.test_client()
        for _ in range(6):
            r = client.post("/login", data={{"login": "ha@example.vn", "password": "wrong-1"}})
            print(r.status_code)
    """)
    done = subprocess.run([sys.executable, "-c", other_worker], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.split() == ["400"] * 6
    codes = _hammer(app.test_client(), 5)
    assert codes == [400] * 4 + [429]
