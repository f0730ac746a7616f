"""Vietnamese first, English on request; money and times shown the Vietnamese way."""

from datetime import UTC, date, datetime

from marketplace.formatting import (
    format_date,
    format_datetime_local,
    format_number,
    format_vnd,
    local_day_bounds,
    local_to_utc,
)
from tests.factories import make_user


def test_switching_to_english_translates_the_page(client):
    response = client.post("/lang/en", data={"next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Log in" in html
    assert "Email or phone number" in html
    client.post("/lang/vi", data={"next": "/login"})
    assert "Email hoặc số điện thoại" in client.get("/login").get_data(as_text=True)


def test_language_switch_refuses_unknown_language_and_foreign_next(client):
    response = client.post("/lang/fr", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert '<html lang="vi">' in client.get("/").get_data(as_text=True)


def test_logged_in_users_language_is_remembered_on_the_account(client, auth, db):
    user = make_user(email="ha@example.vn")
    auth.login("ha@example.vn")
    client.post("/lang/en", data={"next": "/me"})
    db.session.refresh(user)
    assert user.locale == "en"
    auth.logout()
    with client.session_transaction() as sess:
        sess.clear()
    auth.login("ha@example.vn")
    assert "Hello, " in client.get("/me").get_data(as_text=True)


def test_form_errors_follow_the_language(client):
    client.post("/lang/en")
    response = client.post("/register", data={"name": "", "email": "", "password": "x",
                                              "role": "shopper"})
    assert "Please enter your name." in response.get_data(as_text=True)


def test_money_is_integer_vnd_with_dot_thousands():
    assert format_vnd(45000) == "45.000 ₫"
    assert format_vnd(200_000_000) == "200.000.000 ₫"
    assert format_vnd(0) == "0 ₫"
    assert format_vnd(-15000) == "-15.000 ₫"


def test_numbers_use_vietnamese_separators():
    assert format_number(32.4, 1) == "32,4"
    assert format_number(50000) == "50.000"
    assert format_number(1234.567, 2) == "1.234,57"


def test_times_are_shown_in_ho_chi_minh_time():
    stored = datetime(2023, 6, 15, 17, 30, tzinfo=UTC)
    assert format_datetime_local(stored) == "16/06/2023 00:30"
    assert format_date(stored) == "16/06/2023"
    assert format_date(date(2023, 7, 2)) == "02/07/2023"


def test_local_input_is_stored_as_utc():
    assert local_to_utc(datetime(2023, 6, 15, 8, 0)) == datetime(2023, 6, 15, 1, 0, tzinfo=UTC)
    start, end = local_day_bounds(date(2023, 6, 15))
    assert start == datetime(2023, 6, 14, 17, 0, tzinfo=UTC)
    assert end.date() == date(2023, 6, 15) and end.hour == 16


def test_stored_times_come_back_aware_utc(db):
    user = make_user()
    db.session.expire_all()
    assert user.created_at.tzinfo is not None
    assert user.created_at.utcoffset().total_seconds() == 0


def test_today_is_vietnams_day_whatever_the_machine_clock_and_zone(any_hour):
    from marketplace.formatting import vn_today

    utc_now = datetime.now(UTC)
    expected = date(2026, 7, 1) if utc_now.hour >= 17 or utc_now.day == 1 else date(2026, 6, 30)
    assert vn_today() == expected


def test_weights_read_the_same_everywhere():
    from decimal import Decimal

    from marketplace.formatting import format_weight

    assert [format_weight(v) for v in (Decimal("68.000"), Decimal("16.100"), Decimal("0.250"),
                                       Decimal("1234.5"), 2, None)] == [
        "68", "16,1", "0,25", "1.234,5", "2", ""]


def test_huy_is_spelled_one_way_in_every_message():
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2]
    with (root / "marketplace/translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
        msgids = [m.id for m in read_po(handle) if m.id]
    pages = [p.read_text() for p in (root / "templates").rglob("*.*")
             if p.suffix in (".html", ".txt")]
    assert not [m for m in msgids if "huỷ" in str(m).lower()]
    assert not [page for page in pages if "huỷ" in page.lower()]


def test_units_appear_in_english_on_english_pages(client):
    from tests.factories import make_product

    product = make_product(unit="hộp", name="Vải thiều")
    assert "/ hộp" in client.get(f"/p/{product.code}").get_data(as_text=True)
    client.get("/lang/en")
    html = client.get(f"/p/{product.code}").get_data(as_text=True)
    assert "/ box" in html and "/ hộp" not in html
