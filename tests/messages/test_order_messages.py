"""Shoppers and sellers hear about orders by email and Zalo, once, in their own language."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.messages import services as messages
from marketplace.messages.models import Message
from marketplace.orders import services as orders
from marketplace.orders.models import Order
from tests.factories import make_product, make_seller, make_stall, make_user
from tests.messages.conftest import body
from tests.orders.conftest import Shop


def _order(code_from_response=None) -> Order:
    db.session.expire_all()
    return db.session.scalars(sa.select(Order).order_by(Order.id.desc())).first()


def _banked_stall(**kw):
    owner = make_seller(email=kw.pop("owner_email", "ban@example.vn"),
                        locale=kw.pop("locale", None))
    return make_stall(owner, bank_bin="970436", bank_account_number="0011001234567",
                      bank_account_name="NGUYEN VAN BAN", **kw)


def test_shopper_gets_link_qr_and_deadline_and_seller_hears_of_the_order(mail_shop, smtp):
    stall = _banked_stall(name="Vải thiều Thanh Hà")
    lychee = make_product(stall, name="Vải thiều", price=60000, stock=10)
    mail_shop.add(lychee, 2)
    response = mail_shop.checkout([stall], payment="vietqr", customer_email="khach@example.vn")
    assert response.status_code == 303
    order = _order()

    [mail] = smtp.to("khach@example.vn")
    text = body(mail)
    assert order.code in mail["Subject"] and "Vải thiều Thanh Hà" in mail["Subject"]
    assert f"/orders/{order.code}?t={order.access_token}" in text
    assert "120.000 ₫" in text
    deadline = messages.payment_deadline(order)
    from marketplace.formatting import format_datetime_local
    assert f"Hạn thanh toán: {format_datetime_local(deadline)}" in text
    assert "tự động bị hủy" in text
    [qr] = [p for p in mail.iter_attachments() if p.get_content_type() == "image/png"]
    assert qr.get_filename() == f"vietqr-{order.code}.png"
    assert qr.get_content()[:8] == b"\x89PNG\r\n\x1a\n"

    [seller_mail] = smtp.to("ban@example.vn")
    assert order.code in seller_mail["Subject"] and "120.000 ₫" in seller_mail["Subject"]
    assert f"/seller/orders/{order.code}" in body(seller_mail)
    assert "Trần Văn Khách" in body(seller_mail)


def test_a_cash_order_has_no_deadline_in_the_message(mail_shop, smtp):
    stall = _banked_stall()
    rice = make_product(stall, price=45000)
    mail_shop.add(rice, 1)
    mail_shop.checkout([stall], payment="cash", customer_email="khach@example.vn")
    [mail] = smtp.to("khach@example.vn")
    assert "Hạn thanh toán" not in body(mail)
    assert not list(mail.iter_attachments())


def test_messages_go_out_in_each_recipients_language(mail_shop, mail_client, smtp):
    stall = _banked_stall(locale="vi")
    rice = make_product(stall, price=45000)
    mail_client.get("/lang/en")
    mail_shop.add(rice, 1)
    mail_shop.checkout([stall], payment="vietqr", customer_email="guest@example.com")
    shopper_text = body(smtp.to("guest@example.com")[0])
    assert "Payment deadline" in shopper_text and "Hạn thanh toán" not in shopper_text
    seller_mail = smtp.to("ban@example.vn")[0]
    assert seller_mail["Subject"].startswith("Đơn mới")


def test_a_bad_email_is_a_form_error_and_no_order_is_made(mail_shop, smtp):
    stall = _banked_stall()
    rice = make_product(stall)
    mail_shop.add(rice, 1)
    response = mail_shop.checkout([stall], customer_email="not an email")
    assert response.status_code == 400
    assert "Email không hợp lệ" in response.get_data(as_text=True)
    assert _order() is None and smtp.messages == []


def test_nothing_is_sent_without_an_email_or_a_channel(shop, client, db):
    stall = _banked_stall()
    rice = make_product(stall)
    shop.add(rice, 1)
    assert shop.checkout([stall], customer_email="khach@example.vn").status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_ready_tells_the_shopper_once(mail_app, mail_shop, smtp):
    stall = _banked_stall()
    rice = make_product(stall, price=45000)
    mail_shop.add(rice, 1)
    mail_shop.checkout([stall], fulfilment="delivery", address="Số 1 Lê Lợi",
                       customer_email="khach@example.vn")
    order = _order()
    orders.change_status(order, "confirmed", by_id=stall.owner_id)
    orders.change_status(order, "ready", by_id=stall.owner_id)
    messages.order_ready(order.id)  # a repeated event (a retried job) sends nothing more
    mails = smtp.to("khach@example.vn")
    assert len(mails) == 2
    assert "đã được gửi đi" in mails[1]["Subject"]


def test_seller_who_turned_order_mail_off_gets_none(mail_shop, mail_client, smtp):
    stall = _banked_stall()
    mail_client.post("/login", data={"login": "ban@example.vn", "password": "matkhau-123"})
    assert mail_client.post("/me/notifications", data={}).status_code == 303
    mail_client.post("/logout")
    rice = make_product(stall)
    mail_shop.add(rice, 1)
    mail_shop.checkout([stall], customer_email="khach@example.vn")
    assert smtp.to("ban@example.vn") == []
    assert len(smtp.to("khach@example.vn")) == 1


def _zalo_app(make_app, zalo, **extra):
    return make_app(ZALO_ACCESS_TOKEN="zalo-token", ZALO_API_BASE=zalo.url,
                    ZALO_TEMPLATE_IDS={"order_placed": "301", "new_order": "302"}, **extra)


def test_zalo_gets_the_template_request_only_when_the_shopper_opted_in(make_app, zalo):
    app = _zalo_app(make_app, zalo)
    with app.app_context():
        shop = Shop(app.test_client())
        stall = _banked_stall()
        rice = make_product(stall, price=45000)
        shop.add(rice, 1)
        shop.checkout([stall], phone="0912 345 678", notify_zalo="y")
        code = _order().code
        shop.add(rice, 1)
        shop.checkout([stall], phone="0987 000 111")  # no opt-in: no Zalo
    [(path, headers, request)] = zalo.requests
    assert path == "/message/template"
    assert headers["access_token"] == "zalo-token"
    assert headers["content-type"] == "application/json"
    assert request["phone"] == "84912345678"
    assert request["template_id"] == "301"
    assert request["template_data"]["order_code"] == code
    assert request["template_data"]["amount"] == "45.000 ₫"
    assert request["tracking_id"].startswith("cho40-")


def test_a_zalo_error_answer_is_a_failed_message_not_a_failed_order(make_app, zalo):
    zalo.answer = {"error": -124, "message": "Access token is invalid"}
    app = _zalo_app(make_app, zalo, JOBS_RETRY_INTERVALS=[])
    with app.app_context():
        shop = Shop(app.test_client())
        stall = _banked_stall()
        rice = make_product(stall)
        shop.add(rice, 1)
        assert shop.checkout([stall], notify_zalo="y").status_code == 303
        order = _order()
        [message] = messages.order_messages(order.id)
        assert order.status == "placed" and order.total == rice.price
        assert (message.status, message.attempts) == ("failed", 1)
        assert "Access token is invalid" in message.last_error


def test_seller_sees_on_the_order_page_what_was_sent(mail_shop, mail_client, smtp):
    stall = _banked_stall()
    rice = make_product(stall)
    mail_shop.add(rice, 1)
    mail_shop.checkout([stall], customer_email="khach@example.vn")
    order = _order()
    mail_client.post("/login", data={"login": "ban@example.vn", "password": "matkhau-123"})
    html = mail_client.get(f"/seller/orders/{order.code}").get_data(as_text=True)
    assert "Tin nhắn đã gửi" in html and "khach@example.vn" in html and "đã gửi" in html


def test_another_seller_cannot_open_the_order_or_its_messages(mail_shop, mail_client, smtp):
    stall = _banked_stall()
    rice = make_product(stall)
    mail_shop.add(rice, 1)
    mail_shop.checkout([stall], customer_email="khach@example.vn")
    order = _order()
    other = make_seller(email="khac@example.vn")
    make_stall(other)
    mail_client.post("/login", data={"login": other.email, "password": "matkhau-123"})
    assert mail_client.get(f"/seller/orders/{order.code}").status_code == 404


def test_settings_keep_only_what_applies_to_the_role(client, auth, db):
    shopper = make_user(email="mua@example.vn", phone=None)
    auth.login(shopper)
    client.post("/me/notifications", data={"notify_zalo": "y", "notify_daily_summary": "y"})
    db.session.refresh(shopper)
    assert not shopper.notify_zalo  # no phone to send to
    assert not shopper.notify_daily_summary  # not an organizer
