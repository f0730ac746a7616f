"""Logging in with email or phone, remember me, logging out, changing password."""

from tests.conftest import PASSWORD
from tests.factories import make_user


def test_login_with_email(client, auth):
    user = make_user(email="ha@example.vn")
    response = auth.login("HA@example.vn")
    assert response.status_code == 302
    assert response.headers["Location"] == "/me"
    assert user.name in client.get("/me").get_data(as_text=True)


def test_login_with_phone_in_any_spelling(client, auth):
    make_user(phone="0987000001", email=None)
    assert auth.login("+84 987 000 001").status_code == 302
    assert client.get("/me").status_code == 200


def test_wrong_password_shows_message_and_400(client, auth):
    make_user(email="ha@example.vn")
    response = auth.login("ha@example.vn", "wrong-password")
    assert response.status_code == 400
    assert "Sai email/số điện thoại hoặc mật khẩu." in response.get_data(as_text=True)
    assert client.get("/me").status_code == 302


def test_unknown_login_is_the_same_message(client, auth):
    response = auth.login("0911111111", "whatever-123")
    assert response.status_code == 400
    assert "Sai email/số điện thoại hoặc mật khẩu." in response.get_data(as_text=True)


def test_inactive_user_cannot_log_in(client, auth):
    make_user(email="off@example.vn", active=False)
    assert auth.login("off@example.vn").status_code == 400


def test_remember_me_sets_remember_cookie(client):
    make_user(email="ha@example.vn")
    client.post("/login", data={"login": "ha@example.vn", "password": PASSWORD, "remember": "y"})
    assert client.get_cookie("remember_token") is not None


def test_safe_next_redirect_only_to_local_paths(client):
    make_user(email="ha@example.vn")
    data = {"login": "ha@example.vn", "password": PASSWORD}
    response = client.post("/login?next=https://evil.example/x", data=data)
    assert response.headers["Location"] == "/me"
    client.post("/logout")
    response = client.post("/login?next=/me/password", data=data)
    assert response.headers["Location"] == "/me/password"


def test_logout_is_post_only(client, auth):
    make_user(email="ha@example.vn")
    auth.login("ha@example.vn")
    assert client.get("/logout").status_code == 405
    assert auth.logout().status_code == 302
    assert client.get("/me").status_code == 302


def test_me_requires_login(client):
    response = client.get("/me")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_change_password(client, auth):
    make_user(email="ha@example.vn")
    auth.login("ha@example.vn")
    response = client.post(
        "/me/password", data={"current_password": PASSWORD, "new_password": "moi-mat-khau-1"}
    )
    assert response.status_code == 302
    auth.logout()
    assert auth.login("ha@example.vn", PASSWORD).status_code == 400
    assert auth.login("ha@example.vn", "moi-mat-khau-1").status_code == 302


def test_change_password_with_wrong_current_password(client, auth):
    make_user(email="ha@example.vn")
    auth.login("ha@example.vn")
    response = client.post(
        "/me/password", data={"current_password": "nope-nope", "new_password": "moi-mat-khau-1"}
    )
    assert response.status_code == 400
    assert "Mật khẩu hiện tại không đúng." in response.get_data(as_text=True)
