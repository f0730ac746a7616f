"""make_* factories: build rows with sensible defaults, commit them, return them."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from marketplace.accounts.models import User
from marketplace.catalog.codes import new_code
from marketplace.catalog.models import Product, Stall
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.fairs.models import Campaign, Fair, FairStall
from tests.conftest import PASSWORD

_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def make_user(role: str = "shopper", *, email: str | None = None, phone: str | None = None,
              name: str | None = None, password: str = PASSWORD, **kw) -> User:
    n = _n()
    if email is None and phone is None:
        email = f"user{n}@example.vn"
    user = User(name=name or f"Người dùng {n}", email=email, phone=phone, role=role, **kw)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def make_seller(**kw) -> User:
    return make_user("seller", **kw)


def make_organizer(**kw) -> User:
    return make_user("organizer", **kw)


def make_stall(owner: User | None = None, **kw) -> Stall:
    n = _n()
    owner = owner or make_seller()
    values = {
        "name": f"Gian hàng {n}",
        "slug": f"gian-hang-{n}",
        "province": "Bắc Giang",
        "district": "Yên Dũng",
        "phone": "0912345678",
    }
    values.update(kw)
    stall = Stall(owner=owner, **values)
    db.session.add(stall)
    db.session.commit()
    return stall


def make_product(stall: Stall | None = None, **kw) -> Product:
    n = _n()
    stall = stall or make_stall()
    values = {
        "code": new_code(),
        "name": f"Sản phẩm {n}",
        "category": "gao",
        "unit": "túi",
        "net_weight_kg": Decimal("1.000"),
        "price": 45000,
        "stock": 100,
    }
    values.update(kw)
    product = Product(stall=stall, **values)
    db.session.add(product)
    db.session.commit()
    return product


def make_fair(organizer: User | None = None, *, state: str = "open", **kw) -> Fair:
    """A published fair that is open now (state='upcoming'/'closed' shifts the dates)."""
    n = _n()
    organizer = organizer or make_organizer()
    now = utcnow()
    starts, ends = {
        "open": (now - timedelta(days=1), now + timedelta(days=2)),
        "upcoming": (now + timedelta(days=5), now + timedelta(days=8)),
        "closed": (now - timedelta(days=10), now - timedelta(days=7)),
    }[state]
    values = {
        "name": f"Phiên chợ {n}",
        "slug": f"phien-cho-{n}",
        "venue": "Sân chùa Vĩnh Nghiêm",
        "starts_at": starts,
        "ends_at": ends,
        "published": True,
    }
    values.update(kw)
    fair = Fair(organizer=organizer, **values)
    db.session.add(fair)
    db.session.commit()
    return fair


def make_participation(fair: Fair, stall: Stall, *, booth: str | None = None,
                       status: str = "accepted") -> FairStall:
    fs = FairStall(fair=fair, stall=stall, status=status,
                   booth_number=booth if booth is not None else str(_n()),
                   decided_at=utcnow() if status != "applied" else None)
    db.session.add(fs)
    db.session.commit()
    return fs


def make_campaign(organizer: User | None = None, **kw) -> Campaign:
    n = _n()
    organizer = organizer or make_organizer()
    today = date.today()
    values = {
        "name": f"Chiến dịch {n}",
        "slug": f"chien-dich-{n}",
        "starts_on": today - timedelta(days=3),
        "ends_on": today + timedelta(days=14),
        "goal_kg": Decimal("50000"),
        "categories": "trai-cay",
        "published": True,
    }
    values.update(kw)
    campaign = Campaign(organizer=organizer, **values)
    db.session.add(campaign)
    db.session.commit()
    return campaign


def make_order(stall=None, lines=None, *, channel: str = "online", status: str = "placed",
               fair=None, placed_at=None, paid: bool = False, method: str = "cash",
               customer=None, fulfilment: str = "stall_pickup", **kw):
    """Write an order row directly (no stock taken): lines is [(product, qty), ...]."""
    import secrets as _secrets

    from marketplace.orders.models import Order, OrderLine, OrderStatusEvent
    from marketplace.payments.services import record_payment

    if lines is None:
        product = make_product(stall)
        lines = [(product, 1)]
    stall = stall or lines[0][0].stall
    n = _n()
    order = Order(
        code=kw.pop("code", f"T{n:06d}"),
        access_token=_secrets.token_urlsafe(16),
        stall=stall,
        fair=fair,
        customer=customer,
        customer_name=kw.pop("customer_name", f"Khách {n}"),
        customer_phone=kw.pop("customer_phone", "0987654321"),
        channel=channel,
        fulfilment=fulfilment,
        status=status,
        total=0,
        placed_at=placed_at or utcnow(),
        **kw,
    )
    for product, qty in lines:
        line_total = product.price * qty
        order.lines.append(OrderLine(
            product=product, product_name=product.name, unit=product.unit,
            unit_price=product.price, net_weight_kg=product.net_weight_kg, quantity=qty,
            line_total=line_total,
        ))
        order.total += line_total
    order.events.append(OrderStatusEvent(status="placed", at=order.placed_at))
    if status == "cancelled":
        order.cancelled_at = order.placed_at
        order.events.append(OrderStatusEvent(status="cancelled", at=order.placed_at))
    db.session.add(order)
    if paid:
        record_payment(order, method, order.total, provider_ref=None)
    db.session.commit()
    return order
