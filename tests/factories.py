"""make_* factories: build rows with sensible defaults, commit them, return them."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from marketplace.accounts.models import User
from marketplace.catalog.codes import new_code
from marketplace.catalog.models import Product, Stall
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.fairs.models import Campaign, Fair, FairStall
from marketplace.formatting import vn_today
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


def make_campaign(organizer: User | None = None, *, stalls=(), **kw) -> Campaign:
    """A campaign; stalls: stalls whose sellers joined it (a campaign counts only those)."""
    n = _n()
    organizer = organizer or make_organizer()
    today = vn_today()
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
    if stalls:
        join_campaign(campaign, *stalls)
    return campaign


def join_campaign(campaign: Campaign, *stalls: Stall, status: str = "joined") -> None:
    """Put stalls in a campaign as their sellers answered its invitation (joined by default)."""
    from marketplace.fairs.models import CampaignStall

    for stall in stalls:
        db.session.add(CampaignStall(campaign_id=campaign.id, stall_id=stall.id, status=status,
                                     decided_at=utcnow() if status != "invited" else None))
    db.session.commit()
    db.session.refresh(campaign)


def make_order(stall=None, lines=None, *, channel: str = "online", status: str = "placed",
               fair=None, placed_at=None, paid: bool = False, method: str = "cash",
               customer=None, fulfilment: str = "stall_pickup", **kw):
    """Write an order through the order writer (no stock taken): lines is [(product, qty), ...].

    paid: the whole total paid now with `method`; a paid booth sale is handed over, as
    payments.record_payment does. Other keywords are fields of orders.writer.NewOrder.
    """
    from marketplace.orders.models import Order
    from marketplace.orders.writer import KEEP, NewLine, NewOrder, Paid, write_orders

    if lines is None:
        product = make_product(stall)
        lines = [(product, 1)]
    stall = stall or lines[0][0].stall
    n = _n()
    statuses = ["placed"] if status == "placed" else ["placed", status]
    booth_sale = (channel == "fair" and fulfilment == "booth_pickup"
                  and kw.get("created_by_id") is not None)
    if paid and booth_sale and status in ("placed", "confirmed", "ready"):
        statuses.append("fulfilled")
    order = NewOrder(
        stall_id=stall.id, lines=[NewLine.of(product, qty) for product, qty in lines],
        channel=channel, fulfilment=fulfilment, statuses=statuses,
        placed_at=placed_at or utcnow(), fair_id=fair.id if fair is not None else None,
        customer_id=customer.id if customer is not None else None,
        customer_name=kw.pop("customer_name", f"Khách {n}"),
        customer_phone=kw.pop("customer_phone", "0987654321"), code=kw.pop("code", f"T{n:06d}"),
        paid=Paid(method, at=utcnow()) if paid else None, **kw)
    written = write_orders([order], stock=KEEP)
    db.session.commit()
    return db.session.get(Order, written.orders[0].id)


def make_application(fair, stall) -> FairStall:
    """A stall's pending application to a fair (no booth yet)."""
    fs = FairStall(fair=fair, stall=stall, status="applied")
    db.session.add(fs)
    db.session.commit()
    return fs


def make_batch(product: Product | None = None, **kw):
    """A batch (lot) of a product, produced ten days ago."""
    from marketplace.provenance.models import Batch

    n = _n()
    product = product or make_product()
    values = {
        "code": f"LO-{n}",
        "produced_on": vn_today() - timedelta(days=10),
        "quantity": 100,
        "best_before": vn_today() + timedelta(days=90),
        "note": "",
    }
    values.update(kw)
    batch = Batch(product=product, **values)
    db.session.add(batch)
    db.session.commit()
    return batch


def make_step(product: Product | None = None, **kw):
    """A step of a product's cultivation and processing diary."""
    from marketplace.provenance.models import TimelineStep

    n = _n()
    product = product or make_product()
    values = {"happened_on": vn_today() - timedelta(days=30), "step": f"Bước {n}", "note": ""}
    values.update(kw)
    step = TimelineStep(product=product, **values)
    db.session.add(step)
    db.session.commit()
    return step


def make_certificate(product: Product | None = None, *, stall: Stall | None = None, **kw):
    """A certificate of a product (or, with stall=, of a whole stall), valid for a year."""
    from marketplace.provenance.models import Certificate

    n = _n()
    if product is None and stall is None:
        product = make_product()
    values = {
        "kind": "vietgap",
        "number": f"VG-{n:05d}",
        "issuer": "Trung tâm Chứng nhận VietGAP",
        "valid_until": vn_today() + timedelta(days=365),
    }
    values.update(kw)
    cert = Certificate(product=product, stall=stall, **values)
    db.session.add(cert)
    db.session.commit()
    return cert


def make_checkout(orders, *, customer=None, code: str | None = None):
    """Group existing orders under one checkout (as a multi-stall cart's checkout does)."""
    from marketplace.orders.models import Checkout

    n = _n()
    first = orders[0]
    checkout = Checkout(
        code=code or f"C{n:06d}", customer_id=customer.id if customer else None,
        customer_name=first.customer_name, customer_phone=first.customer_phone,
    )
    db.session.add(checkout)
    for order in orders:
        order.checkout = checkout
        if customer is not None:
            order.customer_id = customer.id
    db.session.commit()
    return checkout


def make_imported_line(stall, product=None, *, platform: str = "shopee", status: str = "sale",
                       qty: int = 1, returned_qty: int = 0, net_amount: int = 100000,
                       created_at=None, net_weight_kg=None, **kw):
    """An imported marketplace sale line written directly (as an import would leave it)."""
    from marketplace.imports.models import ImportedSaleLine

    n = _n()
    line = ImportedSaleLine(
        stall_id=stall.id, platform=platform, external_order_id=kw.pop("external_order_id",
                                                                       f"EXT{n:08d}"),
        line_key=kw.pop("line_key", f"EXT{n:08d}-1"), created_at_source=created_at or utcnow(),
        status_class=status, status_raw=kw.pop("status_raw", status), qty=qty,
        returned_qty=returned_qty, net_amount=net_amount,
        product_id=product.id if product is not None else None, net_weight_kg=net_weight_kg,
        **kw,
    )
    db.session.add(line)
    db.session.commit()
    return line


def make_scan_event(product, *, fair=None, scanned_at=None, qr: bool = False):
    """A counted view of a product's page (optionally at a fair; qr: through a label's flag)."""
    import secrets as _secrets

    from marketplace.provenance.models import ScanEvent

    scan = ScanEvent(uid=_secrets.token_hex(16), product_id=product.id,
                     fair_id=fair.id if fair is not None else None,
                     scanned_at=scanned_at or utcnow(), qr=qr)
    db.session.add(scan)
    db.session.commit()
    return scan


def make_api_token(user: User | None = None, *, name: str = "Bảng tính") -> tuple:
    """An API token for an organizer: returns (ApiToken, the clear token)."""
    from marketplace.api.services import create_token

    return create_token(user or make_organizer(), name)
