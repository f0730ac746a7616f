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
from tests.keys import new_key, page_keys

HEADER = ("Ngân hàng TMCP Á Châu - Sao kê tài khoản 257678859\n\n"
          "Ngày GD;Số tham chiếu;Nội dung;Ghi nợ;Ghi có\n")


def _csv(*lines: str) -> bytes:
    return (HEADER + "\n".join(lines) + "\n").encode("utf-8-sig")


def _upload(client, data: bytes):
    return client.post("/payments/reconcile", data={"statement": (io.BytesIO(data), "sk.csv")},
                       content_type="multipart/form-data", follow_redirects=True)


def _confirm(client, html: str):
    """Tick the matched lines shown and confirm them: only stored line ids travel back."""
    action = re.search(r'action="(/payments/reconcile/\d+/confirm)"', html).group(1)
    lines = re.findall(r'name="line" value="(\d+)"', html)
    return client.post(action, data={"line": lines, "once_key": page_keys(html)[0]},
                       follow_redirects=True)


def _statement_id(db, user) -> int:
    from marketplace.payments.models import BankStatement

    return db.session.scalar(sa.select(BankStatement.id).where(
        BankStatement.uploaded_by_id == user.id))


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
    resp = _confirm(client, html)  # the same form again: the first answer, nothing new
    assert resp.status_code == 200
    assert "Đã ghi nhận 1 khoản chuyển khoản." in resp.get_data(as_text=True)
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
    assert _confirm(client, html).status_code == 404
    assert client.get(re.search(r'action="(/payments/reconcile/\d+)/confirm"', html).group(1)
                      ).status_code == 404
    assert _payments(db) == []


def test_the_statement_is_stored_and_confirmed_from_its_stored_lines(client, auth, db, rice,
                                                                     seller):
    from marketplace.payments.models import BankStatement, BankStatementLine

    paid_by_statement = make_order(rice.stall, [(rice, 1)])
    other = make_order(rice.stall, [(rice, 2)])
    auth.login(seller)
    html = _upload(client, _csv(f"01/07/2025;FT1;{paid_by_statement.code};;45.000")
                   ).get_data(as_text=True)
    [stored] = db.session.scalars(sa.select(BankStatement)).all()
    assert stored.uploaded_by_id == seller.id
    [line] = stored.lines
    assert (line.reference, line.amount, line.description) == (
        "FT1", 45000, paid_by_statement.code)
    action = re.search(r'action="(/payments/reconcile/\d+/confirm)"', html).group(1)
    # Text a browser might post back (the old way) is ignored; an unknown line id is refused.
    forged = (HEADER + f"01/07/2025;FT9;{other.code};;90.000\n")
    resp = client.post(action, data={"statement_text": forged, "ref": "FT9", "once_key": new_key(),
                                     "line": [str(line.id + 1000)]})
    assert resp.status_code == 409
    assert _payments(db) == []
    client.post(action, data={"statement_text": forged, "line": [str(line.id)],
                                     "once_key": new_key()})
    assert [(p.order_id, p.provider_ref) for p in _payments(db)] == [
        (paid_by_statement.id, "FT1")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BankStatementLine)) == 1


def test_a_line_of_someone_elses_statement_cannot_be_confirmed_through_mine(client, auth, db,
                                                                            rice, seller):
    order = make_order(rice.stall, [(rice, 1)])
    auth.login(seller)
    theirs = _upload(client, _csv(f"01/07/2025;FT1;{order.code};;45.000")).get_data(as_text=True)
    their_line = re.search(r'name="line" value="(\d+)"', theirs).group(1)
    auth.logout()
    rival = make_seller()
    auth.login(rival)
    mine = _upload(client, _csv("01/07/2025;FT2;KHONG CO MA;;10.000")).get_data(as_text=True)
    assert "Khớp: 0 khoản" in mine
    action = f"/payments/reconcile/{_statement_id(db, rival)}/confirm"
    answer = client.post(action, data={"line": [their_line], "once_key": new_key()})
    assert answer.status_code == 409
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


def test_the_seller_sees_the_organizer_recorded_the_transfer(client, auth, db, rice, seller):
    organizer = make_organizer(name="Đoàn Thanh niên Yên Dũng")
    fair = make_fair(organizer)
    make_participation(fair, rice.stall)
    order = make_order(rice.stall, [(rice, 1)], channel="fair", fair=fair)
    auth.login(organizer)
    _confirm(client, _upload(client, _csv(f"01/07/2025;FT1;{order.code};;45.000")
                             ).get_data(as_text=True))
    auth.logout()
    auth.login(seller)
    html = client.get(f"/seller/orders/{order.code}/payments").get_data(as_text=True)
    assert "Đoàn Thanh niên Yên Dũng (ban tổ chức phiên chợ)" in html


def test_organizer_reaches_only_orders_placed_at_their_fair(client, auth, db, rice):
    organizer = make_organizer()
    fair = make_fair(organizer)
    make_participation(fair, rice.stall)
    online = make_order(rice.stall, [(rice, 1)], channel="online")
    elsewhere = make_order(rice.stall, [(rice, 2)], channel="fair",
                           fair=make_participation(make_fair(make_organizer()), rice.stall).fair)
    auth.login(organizer)
    html = _upload(client, _csv(f"01/07/2025;FT1;{online.code};;45.000",
                                f"01/07/2025;FT2;{elsewhere.code};;90.000")
                   ).get_data(as_text=True)
    assert "Khớp: 0 khoản" in html and html.count("Không thấy mã đơn") == 2


def test_organizer_cannot_reconcile_a_stall_no_longer_taking_part(client, auth, db, rice):
    organizer = make_organizer()
    fair = make_fair(organizer)
    make_participation(fair, rice.stall, status="invited")
    order = make_order(rice.stall, [(rice, 1)], channel="fair", fair=fair)
    auth.login(organizer)
    html = _upload(client, _csv(f"01/07/2025;FT1;{order.code};;45.000")).get_data(as_text=True)
    assert "Khớp: 0 khoản" in html and "Không thấy mã đơn" in html


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


def test_stored_statements_are_listed_for_their_uploader_only(client, auth, db, rice, seller):
    order = make_order(rice.stall, [(rice, 1)])
    auth.login(seller)
    _upload(client, _csv(f"01/07/2025;FT1;{order.code};;45.000"))
    page = client.get("/payments/reconcile").get_data(as_text=True)
    [link] = re.findall(r'href="(/payments/reconcile/\d+)"', page)
    assert "Sao kê đã tải lên" in page
    assert "Khớp: 1 khoản" in client.get(link).get_data(as_text=True)
    auth.logout()
    auth.login(make_seller())
    assert "Sao kê đã tải lên" not in client.get("/payments/reconcile").get_data(as_text=True)
    assert client.get(link).status_code == 404
