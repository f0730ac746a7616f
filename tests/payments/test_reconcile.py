"""Bank statement reconciliation: match by order code AND amount, confirm, never twice."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from marketplace.payments.models import Payment
from marketplace.payments.reconcile import parse_amount, parse_statement
from tests.factories import (
    make_fair,
    make_order,
    make_organizer,
    make_participation,
    make_seller,
)

HEADER = ("Ngân hàng TMCP Á Châu - Sao kê tài khoản 257678859\n\n"
          "Ngày GD;Số tham chiếu;Nội dung;Ghi nợ;Ghi có\n")


def _csv(*lines: str) -> bytes:
    return (HEADER + "\n".join(lines) + "\n").encode("utf-8-sig")


def _upload(client, data: bytes):
    return client.post("/payments/reconcile", data={"statement": (io.BytesIO(data), "sk.csv")},
                       content_type="multipart/form-data")


def _confirm(client, html: str):
    text = re.search(r'name="statement_text" type="hidden" value="([^"]*)"', html).group(1)
    import html as htmllib

    refs = re.findall(r'name="ref" value="([^"]+)"', html)
    return client.post("/payments/reconcile/confirm",
                       data={"statement_text": htmllib.unescape(text), "ref": refs},
                       follow_redirects=True)


def _payments(db):
    return db.session.scalars(sa.select(Payment).order_by(Payment.id)).all()


@pytest.mark.parametrize(("text", "value"), [
    ("1.250.000", 1250000), ("1,250,000", 1250000), ("1.250.000,00", 1250000),
    ("1,250,000.00", 1250000), ("1250000", 1250000), ("+45.000 VND", 45000),
    ("-50.000", -50000), ("45.000 ₫", 45000), ("45000.5", None), ("", None),
])
def test_amounts_are_read_the_vietnamese_and_english_ways(text, value):
    assert parse_amount(text) == value


def test_headers_match_without_case_or_accents():
    statement = parse_statement(
        "NGAY GIAO DICH,so tien ghi co,NOI DUNG GIAO DICH,Ma giao dich\n"
        "01/07/2025,\"45.000\",CK don ABC1234,FT1\n")
    [line] = statement.lines
    assert (line.date, line.amount, line.description, line.reference) == (
        "01/07/2025", 45000, "CK don ABC1234", "FT1")


def test_signed_amount_column_skips_debits():
    statement = parse_statement("Date,Description,Amount\n2025-07-01,K7P2QX9,45000\n"
                                "2025-07-01,rut tien,-20000\n")
    assert [line.amount for line in statement.lines] == [45000]
    assert statement.skipped_debits == 1


def test_a_file_without_the_needed_columns_is_a_clear_error(client, auth, seller):
    auth.login(seller)
    resp = _upload(client, b"a,b,c\n1,2,3\n")
    assert resp.status_code == 400
    assert "Không tìm thấy dòng tiêu đề" in resp.get_data(as_text=True)


def test_matches_are_shown_and_nothing_is_written_before_confirming(client, auth, db, rice,
                                                                    seller):
    order = make_order(rice.stall, [(rice, 3)])
    auth.login(seller)
    resp = _upload(client, _csv(f"01/07/2025;FT001;NGUYEN VAN A chuyen tien {order.code};;135.000"))
    html = resp.get_data(as_text=True)
    assert "Khớp: 1 khoản" in html and order.code in html
    assert _payments(db) == []


def test_confirming_records_the_transfer_with_the_bank_reference(client, auth, db, rice, seller):
    order = make_order(rice.stall, [(rice, 3)])
    auth.login(seller)
    html = _upload(client, _csv(f"01/07/2025;FT001;{order.code.lower()} thanh toan;;135.000")
                   ).get_data(as_text=True)
    resp = _confirm(client, html)
    assert "Đã ghi nhận 1 khoản" in resp.get_data(as_text=True)
    [row] = _payments(db)
    assert (row.order_id, row.method, row.amount, row.provider_ref, row.recorded_by_id) == (
        order.id, "vietqr", 135000, "FT001", seller.id)


def test_confirming_the_same_statement_twice_pays_once(client, auth, db, rice, seller):
    order = make_order(rice.stall, [(rice, 1)])
    auth.login(seller)
    html = _upload(client, _csv(f"01/07/2025;FT001;{order.code};;45.000")).get_data(as_text=True)
    _confirm(client, html)
    resp = _confirm(client, html)
    assert resp.status_code == 409
    assert len(_payments(db)) == 1


def test_uploading_again_after_confirming_lists_the_line_as_duplicate(client, auth, db, rice,
                                                                     seller):
    order = make_order(rice.stall, [(rice, 1)])
    auth.login(seller)
    data = _csv(f"01/07/2025;FT001;{order.code};;45.000")
    _confirm(client, _upload(client, data).get_data(as_text=True))
    html = _upload(client, data).get_data(as_text=True)
    assert "Khớp: 0 khoản" in html and "Dòng trùng" in html


def test_mismatches_are_listed_with_their_reason(client, auth, db, rice, seller):
    unpaid = make_order(rice.stall, [(rice, 2)])
    paid = make_order(rice.stall, [(rice, 1)], paid=True)
    cancelled = make_order(rice.stall, [(rice, 1)], status="cancelled")
    auth.login(seller)
    html = _upload(client, _csv(
        f"01/07/2025;FT1;{unpaid.code};;80.000",
        "01/07/2025;FT2;chuyen tien hang;;45.000",
        f"01/07/2025;FT3;{paid.code};;45.000",
        f"01/07/2025;FT4;{cancelled.code};;45.000",
        f"01/07/2025;FT5;{unpaid.code};;90.000",
        f"01/07/2025;FT5;{unpaid.code};;90.000",
        f"01/07/2025;FT6;{unpaid.code} lan 2;;90.000",
        "01/07/2025;FT7;rut tien;500.000;",
    )).get_data(as_text=True)
    for reason in ("Sai số tiền", "Không thấy mã đơn", "Đơn đã thanh toán", "Đơn đã hủy",
                   "Dòng trùng"):
        assert reason in html
    assert "Khớp: 1 khoản" in html and "Không khớp: 6 dòng" in html
    assert "Đã bỏ qua 1 dòng tiền ra" in html


def test_another_stalls_order_code_is_unknown_to_the_seller(client, auth, db, rice):
    order = make_order(rice.stall, [(rice, 1)])
    auth.login(make_seller())
    html = _upload(client, _csv(f"01/07/2025;FT1;{order.code};;45.000")).get_data(as_text=True)
    assert "Khớp: 0 khoản" in html and "Không thấy mã đơn" in html


def test_another_seller_cannot_confirm_a_stalls_order(client, auth, db, rice, seller):
    order = make_order(rice.stall, [(rice, 1)])
    auth.login(seller)
    html = _upload(client, _csv(f"01/07/2025;FT1;{order.code};;45.000")).get_data(as_text=True)
    auth.logout()
    auth.login(make_seller())
    assert _confirm(client, html).status_code == 409
    assert _payments(db) == []


def test_organizer_reconciles_orders_of_stalls_at_their_fair(client, auth, db, rice):
    organizer = make_organizer()
    fair = make_fair(organizer)
    make_participation(fair, rice.stall)
    order = make_order(rice.stall, [(rice, 1)], channel="fair", fair=fair)
    auth.login(organizer)
    html = _upload(client, _csv(f"01/07/2025;FT1;{order.code};;45.000")).get_data(as_text=True)
    _confirm(client, html)
    assert [(p.order_id, p.recorded_by_id) for p in _payments(db)] == [(order.id, organizer.id)]


def test_organizer_of_another_fair_cannot_reconcile(client, auth, db, rice):
    fair = make_fair(make_organizer())
    make_participation(fair, rice.stall)
    order = make_order(rice.stall, [(rice, 1)], channel="fair", fair=fair)
    auth.login(make_organizer())
    html = _upload(client, _csv(f"01/07/2025;FT1;{order.code};;45.000")).get_data(as_text=True)
    assert "Khớp: 0 khoản" in html and "Không thấy mã đơn" in html


def test_shopper_cannot_open_reconciliation(client, auth):
    from tests.factories import make_user

    auth.login(make_user())
    assert client.get("/payments/reconcile").status_code == 403


def test_anonymous_is_sent_to_login(client):
    resp = client.get("/payments/reconcile")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
