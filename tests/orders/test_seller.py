"""The seller's inbox, order handling, cancellation and packing lists; who may see what."""

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.payments.models import Payment
from tests.factories import (
    make_fair,
    make_order,
    make_participation,
    make_product,
    make_seller,
    make_stall,
    make_user,
)
from tests.keys import new_key


def _stall_with_order(**order_kw):
    seller = make_seller()
    stall = make_stall(seller, name="Gạo thơm Yên Dũng")
    product = make_product(stall, name="Gạo thơm", price=50000, stock=10)
    order = make_order(stall, [(product, 2)], **order_kw)
    return seller, stall, product, order


def _stock(product) -> int:
    db.session.expire_all()
    return db.session.get(type(product), product.id).stock


def test_inbox_lists_own_orders_only(client, auth):
    seller, _stall, _p, mine = _stall_with_order(customer_name="Chị Lan")
    _s2, _st2, _p2, theirs = _stall_with_order(customer_name="Anh Tuấn")
    auth.login(seller)
    html = client.get("/seller/orders").get_data(as_text=True)
    assert mine.code in html and "Chị Lan" in html
    assert theirs.code not in html


def test_inbox_filters_by_status_and_fair(client, auth):
    seller, stall, product, placed = _stall_with_order()
    fair = make_fair(state="open")
    make_participation(fair, stall)
    done = make_order(stall, [(product, 1)], status="fulfilled", fair=fair, channel="fair")
    auth.login(seller)
    by_status = client.get("/seller/orders?status=fulfilled").get_data(as_text=True)
    assert done.code in by_status and placed.code not in by_status
    by_fair = client.get(f"/seller/orders?fair={fair.id}").get_data(as_text=True)
    assert done.code in by_fair and placed.code not in by_fair


def test_inbox_filters_by_date(client, auth):
    from datetime import datetime

    from marketplace.formatting import VN_TZ

    seller, stall, product, today = _stall_with_order()
    old = make_order(stall, [(product, 1)],
                     placed_at=datetime(2023, 6, 20, 9, 0, tzinfo=VN_TZ))
    auth.login(seller)
    html = client.get("/seller/orders?from=2023-06-20&to=2023-06-20").get_data(as_text=True)
    assert old.code in html and today.code not in html
    assert client.get("/seller/orders?from=not-a-date").status_code == 200


def test_seller_pages_need_login(client):
    for path in ("/seller/orders", "/seller/pos", "/seller/orders/new", "/seller/orders/packing"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_shopper_is_forbidden_from_seller_pages(client, auth):
    auth.login(make_user())
    assert client.get("/seller/orders").status_code == 403
    assert client.get("/seller/pos").status_code == 403


def test_another_seller_cannot_see_or_change_an_order(client, auth):
    _seller, _stall, product, order = _stall_with_order()
    auth.login(make_seller())
    assert client.get(f"/seller/orders/{order.code}").status_code == 404
    assert client.post(f"/seller/orders/{order.code}/status",
                       data={"status": "confirmed"}).status_code == 404
    assert client.post(f"/seller/orders/{order.code}/cancel",
                       data={"reason": "x", "once_key": new_key()}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "placed"
    assert _stock(product) == 10


def test_anonymous_cannot_change_an_order(client):
    _seller, _stall, _product, order = _stall_with_order()
    response = client.post(f"/seller/orders/{order.code}/status", data={"status": "confirmed"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "placed"


def test_seller_moves_an_order_through_its_statuses(client, auth):
    seller, _stall, _p, order = _stall_with_order(method="vietqr", paid=True)
    auth.login(seller)
    for status, word in (("confirmed", "Đã xác nhận"), ("ready", "Sẵn sàng giao/nhận"),
                         ("fulfilled", "Hoàn tất")):
        page = client.post(f"/seller/orders/{order.code}/status", data={"status": status},
                           follow_redirects=True).get_data(as_text=True)
        assert word in page
    db.session.expire_all()
    events = [e.status for e in db.session.get(Order, order.id).events]
    assert events == ["placed", "confirmed", "ready", "fulfilled"]


def test_going_backwards_is_refused(client, auth):
    seller, _stall, _p, order = _stall_with_order(status="ready")
    auth.login(seller)
    html = client.post(f"/seller/orders/{order.code}/status", data={"status": "confirmed"},
                       follow_redirects=True).get_data(as_text=True)
    assert "không đổi được" in html
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "ready"


def test_handing_over_a_cash_order_records_the_cash(client, auth):
    seller, _stall, _p, order = _stall_with_order(payment_method="cash")
    auth.login(seller)
    client.post(f"/seller/orders/{order.code}/status", data={"status": "fulfilled"})
    db.session.expire_all()
    fresh = db.session.get(Order, order.id)
    assert fresh.paid_amount == fresh.total == 100000
    assert db.session.scalar(sa.select(Payment.method)) == "cash"


def test_cancel_returns_stock_exactly_once(client, auth):
    seller, _stall, product, order = _stall_with_order()
    auth.login(seller)
    client.post(f"/seller/orders/{order.code}/cancel", data={"reason": "Khách đổi ý",
                                                             "once_key": new_key()})
    assert _stock(product) == 12
    again = client.post(f"/seller/orders/{order.code}/cancel",
                        data={"reason": "Lần nữa", "once_key": new_key()},
                        follow_redirects=True)
    assert "không đổi được" in again.get_data(as_text=True)
    assert _stock(product) == 12
    fresh = db.session.get(Order, order.id)
    assert (fresh.status, fresh.cancel_reason) == ("cancelled", "Khách đổi ý")
    assert [e.status for e in fresh.events] == ["placed", "cancelled"]


def test_cancel_needs_a_reason(client, auth):
    seller, _stall, product, order = _stall_with_order()
    auth.login(seller)
    html = client.post(f"/seller/orders/{order.code}/cancel",
                       data={"reason": " ", "once_key": new_key()},
                       follow_redirects=True).get_data(as_text=True)
    assert "Vui lòng ghi lý do hủy đơn." in html
    assert _stock(product) == 10
    assert db.session.get(Order, order.id).status == "placed"


def test_cancelling_a_cash_paid_order_shows_the_money_as_owed_back(client, auth):
    seller, _stall, _product, order = _stall_with_order(paid=True, method="cash")
    auth.login(seller)
    html = client.post(f"/seller/orders/{order.code}/cancel",
                       data={"reason": "Hết hàng thật", "once_key": new_key()},
                       follow_redirects=True).get_data(as_text=True)
    assert "Cần trả lại khách 100.000 ₫" in html
    db.session.expire_all()
    assert db.session.get(Order, order.id).paid_amount == 100000
    assert list(db.session.scalars(sa.select(Payment.amount))) == [100000]


def test_fulfilled_order_cannot_be_cancelled(client, auth):
    seller, _stall, product, order = _stall_with_order(status="fulfilled")
    auth.login(seller)
    client.post(f"/seller/orders/{order.code}/cancel",
                data={"reason": "muộn", "once_key": new_key()})
    assert _stock(product) == 10
    assert db.session.get(Order, order.id).status == "fulfilled"


def test_packing_list_by_product_and_by_customer(client, auth):
    seller = make_seller()
    stall = make_stall(seller)
    fair = make_fair(state="open", name="Phiên chợ Yên Dũng")
    make_participation(fair, stall)
    rice = make_product(stall, name="Gạo thơm", unit="túi")
    sauce = make_product(stall, name="Tương", unit="chai")
    make_order(stall, [(rice, 2), (sauce, 1)], fair=fair, channel="fair",
               customer_name="Chị Hoa")
    make_order(stall, [(rice, 3)], customer_name="Anh Nam", fulfilment="booth_pickup",
               pickup_fair_id=fair.id)
    make_order(stall, [(rice, 50)], fair=fair, status="cancelled", customer_name="Hủy rồi")
    make_order(stall, [(rice, 40)], customer_name="Đơn khác")  # not for this fair
    auth.login(seller)
    html = client.get(f"/seller/orders/packing?fair={fair.id}").get_data(as_text=True)
    assert "Phiên chợ Yên Dũng" in html
    assert "Chị Hoa" in html and "Anh Nam" in html
    assert "Hủy rồi" not in html and "Đơn khác" not in html
    assert '<td class="num">5 túi</td>' in html
    assert '<td class="num">1 chai</td>' in html


def test_packing_list_shows_only_own_orders(client, auth):
    seller, other = make_seller(), make_seller()
    fair = make_fair(state="open")
    mine, theirs = make_stall(seller), make_stall(other)
    make_participation(fair, mine)
    make_participation(fair, theirs)
    make_order(mine, [(make_product(mine), 1)], fair=fair, customer_name="Khách của tôi")
    make_order(theirs, [(make_product(theirs), 1)], fair=fair, customer_name="Khách người khác")
    auth.login(seller)
    html = client.get(f"/seller/orders/packing?fair={fair.id}").get_data(as_text=True)
    assert "Khách của tôi" in html and "Khách người khác" not in html


def test_tracking_page_is_public_with_the_token_only(client):
    _seller, _stall, _product, order = _stall_with_order()
    assert client.get(f"/orders/{order.code}?t={order.access_token}").status_code == 200
    assert client.get(f"/orders/{order.code}?t={order.access_token[:-1]}x").status_code == 404
    assert client.get("/orders/not-a-code?t=x").status_code == 404


def test_inbox_pages_through_many_orders(client, auth):
    seller, stall, product, _first = _stall_with_order()
    for _ in range(50):
        make_order(stall, [(product, 1)])
    auth.login(seller)
    first = client.get("/seller/orders").get_data(as_text=True)
    assert "Trang sau" in first and "Trang trước" not in first
    second = client.get("/seller/orders?page=2").get_data(as_text=True)
    assert "Trang trước" in second and "Trang sau" not in second
    assert second.count("/seller/orders/T") == 1


def test_personal_page_links_to_seller_and_shopper_tools(client, auth, app):
    auth.login(make_seller())
    html = client.get("/me").get_data(as_text=True)
    assert 'href="/seller/pos"' in html and 'href="/seller/orders/packing"' in html
    shopper_client = app.test_client()
    shopper = make_user()
    shopper_client.post("/login", data={"login": shopper.email, "password": "matkhau-123"})
    assert 'href="/my/orders"' in shopper_client.get("/me").get_data(as_text=True)
