"""CSRF on every form and the login rate limit (memory and Redis storage)."""

import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import time_machine

from marketplace.extensions import limiter
from tests.conftest import PASSWORD
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


def _hammer(client, attempts: int, login: str | None = None, ip: str = "127.0.0.1") -> list[int]:
    """Wrong passwords from one address, for one account or (login=None) a new one each time."""
    return [
        client.post("/login", environ_base={"REMOTE_ADDR": ip},
                    data={"login": login or f"ha{n}@example.vn", "password": "wrong-pass"}
                    ).status_code
        for n in range(attempts)
    ]


def test_eleventh_wrong_password_in_a_minute_from_one_address_gets_429(client):
    make_user(email="ha@example.vn")
    codes = _hammer(client, 11)
    assert codes[:10] == [400] * 10
    assert codes[10] == 429
    page = client.post("/login", data={"login": "ha@example.vn", "password": "x"})
    assert page.status_code == 429
    assert "Vui lòng đợi một phút rồi thử lại." in page.get_data(as_text=True)


def test_sixth_wrong_password_for_one_account_gets_429_from_any_address(client):
    """Behind a proxy, or from a botnet, the account itself is throttled."""
    make_user(email="ha@example.vn")
    codes = [_hammer(client, 1, "ha@example.vn", ip=f"10.0.0.{n}")[0] for n in range(6)]
    assert codes == [400] * 5 + [429]
    # … however the login is spelled, and the owner's right password waits too.
    right = client.post("/login", environ_base={"REMOTE_ADDR": "10.9.9.9"},
                        data={"login": " HA@Example.VN ", "password": PASSWORD})
    assert right.status_code == 429
    # Other accounts are not affected.
    assert _hammer(client, 1, "other@example.vn", ip="10.0.0.1") == [400]


def test_the_owner_logs_in_after_the_backoff_window(client):
    """An attacker's burst locks the account for a minute at most, not for good."""
    make_user(email="ha@example.vn")
    with time_machine.travel(datetime(2026, 7, 1, 3, 0, tzinfo=UTC), tick=False) as clock:
        burst = [_hammer(client, 1, "ha@example.vn", ip=f"10.0.1.{n}")[0] for n in range(20)]
        assert burst.count(429) == 15
        owner = {"login": "ha@example.vn", "password": PASSWORD}
        assert client.post("/login", data=owner).status_code == 429
        clock.shift(timedelta(seconds=61))
        response = client.post("/login", data=owner)
    assert response.status_code == 302 and response.headers["Location"] == "/me"


def test_phone_logins_share_one_account_limit_in_any_spelling(client):
    make_user(phone="0912345678")
    spellings = ["0912345678", "0912 345 678", "+84912345678", "84912345678", "0912.345.678"]
    codes = [
        client.post("/login", environ_base={"REMOTE_ADDR": f"10.0.2.{n}"},
                    data={"login": login, "password": "wrong-pass"}).status_code
        for n, login in enumerate(spellings + ["091-234-5678"])
    ]
    assert codes == [400] * 5 + [429]


def test_without_proxy_fix_a_forwarded_address_is_not_believed(client):
    codes = [
        client.post("/login", headers={"X-Forwarded-For": f"203.0.113.{n}"},
                    data={"login": f"ha{n}@example.vn", "password": "wrong"}).status_code
        for n in range(11)
    ]
    assert codes[-1] == 429


def test_behind_a_proxy_each_client_address_has_its_own_limit(make_app):
    app = make_app(PROXY_FIX_X_FOR=1, PROXY_FIX_X_PROTO=1)
    client = app.test_client()
    limiter.reset()

    def attempt(n: int, forwarded: str) -> int:
        return client.post("/login", headers={"X-Forwarded-For": forwarded,
                                              "X-Forwarded-Proto": "https"},
                           data={"login": f"ha{n}@example.vn", "password": "wrong"}).status_code

    assert [attempt(n, "203.0.113.7") for n in range(11)][-1] == 429
    assert attempt(99, "203.0.113.8") == 400  # another shopper at the same fair's wifi proxy
    # X-Forwarded-Proto is believed too: redirects and secure cookies see https.
    response = client.get("/lang/en", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 302


def test_a_missing_account_costs_one_password_check_like_an_existing_one(client, monkeypatch):
    """Same work, so the same time, whether or not the account exists (counted, not timed)."""
    import werkzeug.security

    make_user(email="ha@example.vn")
    make_user(email="off@example.vn", active=False)
    client.post("/login", data={"login": "warm-up@example.vn", "password": "x" * 9})
    calls = []
    original = werkzeug.security._hash_internal
    monkeypatch.setattr(werkzeug.security, "_hash_internal",
                        lambda *a, **k: calls.append(a[0]) or original(*a, **k))
    counts = {}
    for login in ("ha@example.vn", "nobody@example.vn", "off@example.vn", "0999999999",
                  "not a login"):
        calls.clear()
        client.post("/login", data={"login": login, "password": "wrong-pass"})
        counts[login] = list(calls)
    methods = set(map(tuple, counts.values()))
    assert methods == {("pbkdf2:sha256:1000",)}, counts


def test_rate_limits_are_shared_through_redis_across_processes(make_app, redis_url):
    """Another worker process and this one count against the same limits when Redis stores them."""
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
        for n in range(6):  # six accounts from this address
            r = client.post("/login", data={{"login": f"ha{{n}}@example.vn", "password": "w"}})
            print(r.status_code)
        for n in range(3):  # one account from three addresses
            r = client.post("/login", data={{"login": "ha@example.vn", "password": "w"}},
                            environ_base={{"REMOTE_ADDR": f"10.2.0.{{n}}"}})
            print(r.status_code)
    """)
    done = subprocess.run([sys.executable, "-c", other_worker], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.split() == ["400"] * 9
    client = app.test_client()
    assert _hammer(client, 5) == [400] * 4 + [429]
    account = [_hammer(client, 1, "ha@example.vn", ip=f"10.3.0.{n}")[0] for n in range(3)]
    assert account == [400, 400, 429]
