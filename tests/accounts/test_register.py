"""Signing up as a shopper or a seller."""

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from tests.factories import make_user


def _register(client, **overrides):
    data = {"name": "Trần Văn An", "email": "an@example.vn", "phone": "", "password": "matkhau-123",
            "role": "seller"}
    data.update(overrides)
    return client.post("/register", data=data)


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_register_as_seller_logs_in_and_shows_seller_page(client, db):
    response = _register(client)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Xin chào, Trần Văn An" in page
    assert "Tài khoản người bán" in page
    user = db.session.scalar(sa.select(User))
    assert user.role == "seller"
    assert user.password_hash != "matkhau-123"
    assert user.check_password("matkhau-123")


def test_register_with_phone_only_normalises_it(client, db):
    response = _register(client, email="", phone="+84 912 345 678", role="shopper")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(User.phone)) == "0912345678"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"name": ""}, "Vui lòng nhập họ tên."),
        ({"name": "A" * 121}, "Không được dài quá 120 ký tự."),
        ({"email": "", "phone": ""}, "Vui lòng nhập email hoặc số điện thoại."),
        ({"email": "not-an-email"}, "Địa chỉ email không hợp lệ."),
        ({"email": "", "phone": "12345"}, "Số điện thoại không hợp lệ"),
        ({"password": "short"}, "Mật khẩu cần từ 8 đến 128 ký tự."),
        ({"role": "organizer"}, "Lựa chọn không hợp lệ."),
    ],
)
def test_bad_registration_gets_a_clear_400_and_creates_nothing(client, db, overrides, message):
    response = _register(client, **overrides)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(db) == 0


def test_duplicate_email_is_refused(client, db):
    make_user(email="an@example.vn")
    response = _register(client)
    assert response.status_code == 400
    assert "Email này đã được đăng ký." in response.get_data(as_text=True)
    assert _count(db) == 1


def test_duplicate_phone_in_another_spelling_is_refused(client, db):
    make_user(phone="0912345678", email=None)
    response = _register(client, email="", phone="84912345678")
    assert response.status_code == 400
    assert "Số điện thoại này đã được đăng ký." in response.get_data(as_text=True)
    assert _count(db) == 1
