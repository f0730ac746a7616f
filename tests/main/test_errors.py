"""Friendly error pages in the user's language, JSON under /api/."""

from flask import abort

from tests.factories import make_user


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Không tìm thấy trang" in html
    assert "Về trang chủ" in html


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/khong-co")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == 404


def test_error_pages_exist_for_403_and_500(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/_test/403")
    def forbidden():
        abort(403)

    @app.route("/_test/500")
    def boom():
        raise RuntimeError("boom")

    client = app.test_client()
    assert "Bạn không có quyền xem trang này" in client.get("/_test/403").get_data(as_text=True)
    response = client.get("/_test/500")
    assert response.status_code == 500
    assert "Máy chủ gặp sự cố" in response.get_data(as_text=True)


def test_navigation_follows_the_role(client, auth):
    html = client.get("/").get_data(as_text=True)
    assert "Đăng nhập" in html and "Đăng xuất" not in html
    make_user(email="ha@example.vn")
    auth.login("ha@example.vn")
    html = client.get("/").get_data(as_text=True)
    assert "Đăng xuất" in html and "Đăng nhập" not in html
