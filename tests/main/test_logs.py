"""A database error logs what went wrong, never the customer's data; its page still renders."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from flask import request

from marketplace.accounts.models import User
from marketplace.extensions import db
from tests.factories import make_user

CUSTOMER = {
    "name": "Nguyễn Thị Bí Mật",
    "email": "bimat.khachhang@example.vn",
    "phone": "0987654321",
    "address": "Số 7 ngõ Kín, Yên Dũng",
}


@pytest.fixture
def failing_app(make_app):
    """An app with routes whose write the database refuses (a duplicate login, a bad type)."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.post("/_test/duplicate")
    def duplicate():
        for _ in range(2):  # the second row breaks the unique email and phone
            db.session.add(User(name=request.form["name"], email=request.form["email"],
                                phone=request.form["phone"], password_hash=request.form["address"]))
        db.session.flush()
        return "unreachable"

    @app.post("/_test/bad-value")
    def bad_value():
        db.session.execute(
            # PostgreSQL quotes the name it cannot read as a time; SQLite refuses the missing
            # login (CHECK has_login).
            sa.text("INSERT INTO \"user\" (name, password_hash, role, active, created_at) "
                    "VALUES (:name, :address || :email || :phone, 'shopper', true, :name)"),
            dict(request.form),
        )
        return "unreachable"

    return app


@pytest.mark.parametrize("route", ["/_test/duplicate", "/_test/bad-value"])
def test_a_database_error_logs_no_personal_data(failing_app, caplog, route):
    client = failing_app.test_client()
    with caplog.at_level(logging.DEBUG):
        response = client.post(route, data=CUSTOMER)
    assert response.status_code == 500
    assert "Máy chủ gặp sự cố" in response.get_data(as_text=True)
    logged = caplog.text + "".join(
        str(r.exc_info[1]) for r in caplog.records if r.exc_info and r.exc_info[1]
    )
    assert "Exception on " + route in logged  # the failure itself is still logged …
    assert "Error" in logged and "INSERT INTO" in logged  # … with its kind and statement
    for value in CUSTOMER.values():
        assert value not in logged
    assert "Bí Mật" not in logged and "987654321" not in logged


def test_the_error_page_renders_after_a_failed_transaction(failing_app):
    """The navigation loads the logged-in user after the failed flush: rolled back first."""
    with failing_app.app_context():
        make_user(email="ha@example.vn", name="Trần Văn Ha")
    client = failing_app.test_client()
    client.post("/login", data={"login": "ha@example.vn", "password": "matkhau-123"})
    with failing_app.app_context():
        response = client.post("/_test/duplicate", data=CUSTOMER)
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Máy chủ gặp sự cố" in html
    assert "Đăng xuất" in html  # the page still knows who is logged in
