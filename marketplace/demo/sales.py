"""Demo order history: the past Yên Dũng fair's sales, the open fair's sales up to now, and the
demo shopper's own orders."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from marketplace.catalog.codes import new_code
from marketplace.catalog.models import Product, Stall
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.fairs.models import Fair, FairStall
from marketplace.formatting import local_to_utc, to_local, vn_today
from marketplace.orders.models import CHECKOUT_CODE_LENGTH, ORDER_CODE_LENGTH, Order
from marketplace.orders.writer import KEEP, NewCheckout, NewLine, NewOrder, Paid, write_orders
from marketplace.provenance.models import Batch

BOOTH_CASH_TARGET = 212_000_000  # "over 200 million VND in cash" at the real fair
ONLINE_ORDERS = 330
VIA_FAIR_ORDERS = 90  # ordered online from the fair's page: counted for the fair
LIVESTREAM_ORDERS = 45
OPEN_HOUR, CLOSE_HOUR = 7, 21  # the fair's daily hours, Vietnam time
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
MIDDLE = ["Thị", "Văn", "Minh", "Thu", "Đức", "Ngọc", "Quang", "Thanh"]
GIVEN = ["Hoa", "Nam", "Trang", "Đức", "Lan", "Anh", "Mai", "Huy", "Hà", "Long", "Dũng", "Yến"]
PLACES = ["TP Bắc Giang", "Yên Dũng", "Lạng Giang", "Việt Yên", "Hiệp Hoà", "Bắc Ninh",
          "Hà Nội", "Hải Dương"]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _phone(rng: random.Random) -> str:
    return "09" + "".join(rng.choice("0123456789") for _ in range(8))


def _moment(rng: random.Random, fair: Fair) -> datetime:
    """A time within the fair's opening hours on one of its days."""
    first = to_local(fair.starts_at).date()
    last = to_local(fair.ends_at - timedelta(seconds=1)).date()
    day = first + timedelta(days=rng.randrange((last - first).days + 1))
    local = datetime.combine(day, time(OPEN_HOUR)) + timedelta(
        seconds=rng.randrange((CLOSE_HOUR - OPEN_HOUR) * 3600))
    return min(max(local_to_utc(local), fair.starts_at), fair.ends_at - timedelta(minutes=1))


class _Writer:
    """Collects the demo's orders with unique codes; write() hands them to the order writer."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.codes: set[str] = set(db.session.scalars(sa.select(Order.code)))
        self.orders: list[NewOrder] = []
        self.checkouts: dict[int, NewCheckout] = {}  # a shopper's order (its index): its checkout

    def code(self, length: int = ORDER_CODE_LENGTH) -> str:
        while True:
            code = new_code(length)
            if code not in self.codes:
                self.codes.add(code)
                return code

    def order(self, stall_id: int, items: list[tuple[Product, int]], *, at: datetime,
              statuses: list[str], paid_with: str | None = None, recorded_by: int | None = None,
              gap_minutes: tuple[int, int] = (20, 600), until: datetime | None = None,
              checkout: NewCheckout | None = None, **fields) -> NewOrder:
        steps = [at + timedelta(minutes=i * self.rng.randint(*gap_minutes))
                 for i in range(len(statuses))]
        if until is not None:  # nothing happens after the moment the demo is seeded
            steps = [min(step, until) for step in steps]
        # A payment carries the time of its order: paid at the booth, or by transfer or card
        # as the order was placed.
        order = NewOrder(
            stall_id=stall_id, lines=[NewLine.of(p, q) for p, q in items], statuses=statuses,
            status_times=steps, placed_at=at, code=self.code(),
            cancel_reason="Khách đổi ý" if statuses[-1] == "cancelled" else None,
            paid=Paid(paid_with, by_id=recorded_by) if paid_with else None, **fields)
        if checkout is not None:
            self.checkouts[len(self.orders)] = checkout
        self.orders.append(order)
        return order

    def write(self) -> int:
        """Write every collected order, with its lines, events and payments, in bulk (a
        shopper's order with its own checkout)."""
        bulk = [o for n, o in enumerate(self.orders) if n not in self.checkouts]
        if bulk:
            write_orders(bulk, stock=KEEP)
        for n, checkout in self.checkouts.items():
            write_orders([self.orders[n]], checkout=checkout, stock=KEEP)
        return len(self.orders)


def _items(rng: random.Random, products: list[Product], most: int = 3) -> list[tuple[Product, int]]:
    chosen = rng.sample(products, k=min(len(products), rng.randint(1, most)))
    return [(p, rng.choice((1, 1, 1, 2, 2, 3))) for p in chosen]


def _fair_history(ctx: dict, fair: Fair, writer: _Writer) -> None:
    rng = writer.rng
    stalls = list(db.session.scalars(
        sa.select(Stall).join(FairStall, FairStall.stall_id == Stall.id)
        .where(FairStall.fair_id == fair.id, FairStall.status == "accepted")
    ))
    by_stall: dict[int, list[Product]] = {}
    for product in db.session.scalars(
        sa.select(Product).where(Product.stall_id.in_([s.id for s in stalls]), Product.active)
        .order_by(Product.id)
    ):
        by_stall.setdefault(product.stall_id, []).append(product)
    if not by_stall:
        return
    stall_ids = sorted(by_stall)
    owners = {s.id: s.owner_id for s in stalls}
    # Booth sales, paid in cash and handed over, until the booths took the real fair's cash.
    cash = 0
    while cash < BOOTH_CASH_TARGET:
        sid = rng.choice(stall_ids)
        order = writer.order(
            sid, _items(rng, by_stall[sid], 4), at=_moment(rng, fair),
            statuses=["placed", "fulfilled"], paid_with="cash", recorded_by=owners[sid],
            gap_minutes=(0, 0),
            channel="fair", fair_id=fair.id, pickup_fair_id=fair.id, fulfilment="booth_pickup",
            payment_method="cash", created_by_id=owners[sid],
        )
        cash += order.total
    # Online orders during the fair: from the fair's page (counted for it) and from elsewhere.
    for n in range(VIA_FAIR_ORDERS + ONLINE_ORDERS):
        via_fair = n < VIA_FAIR_ORDERS
        sid = rng.choice(stall_ids)
        roll = rng.random()
        fulfilment = rng.choice(["delivery", "delivery", "stall_pickup"] +
                                (["booth_pickup"] if via_fair else []))
        method = rng.choice(["vietqr", "vietqr", "cash"])
        if roll < 0.08:
            statuses, paid = ["placed", "cancelled"], None
        elif roll < 0.15:
            statuses = ["placed", "confirmed", "ready"]
            paid = method if method != "cash" else None
        else:
            statuses, paid = ["placed", "confirmed", "fulfilled"], method
        writer.order(
            sid, _items(rng, by_stall[sid]), at=_moment(rng, fair), statuses=statuses,
            paid_with=paid, channel="fair" if via_fair else "online",
            fair_id=fair.id if via_fair else None,
            pickup_fair_id=fair.id if fulfilment == "booth_pickup" else None,
            fulfilment=fulfilment, payment_method=method, customer_name=_name(rng),
            customer_phone=_phone(rng),
            delivery_address=f"Thôn {rng.randint(1, 12)}, {rng.choice(PLACES)}"
            if fulfilment == "delivery" else "",
        )
    # Orders taken during the fair's livestreams.
    for _ in range(LIVESTREAM_ORDERS):
        sid = rng.choice(stall_ids)
        writer.order(
            sid, _items(rng, by_stall[sid]), at=_moment(rng, fair),
            statuses=["placed", "confirmed", "fulfilled"], paid_with="vietqr",
            recorded_by=owners[sid], channel="livestream", fulfilment="delivery",
            payment_method="vietqr", created_by_id=owners[sid], customer_name=_name(rng),
            customer_phone=_phone(rng), delivery_address=f"{rng.choice(PLACES)}",
        )


BOOTH_SALES_PER_HOUR = 18  # across the open fair's booths
FAIR_PAGE_ORDERS_PER_HOUR = 3


def _opening_windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The fair's opening hours (UTC) that fall between start and end."""
    windows = []
    day, last = to_local(start).date(), to_local(end).date()
    while day <= last:
        opens = local_to_utc(datetime.combine(day, time(OPEN_HOUR)))
        closes = local_to_utc(datetime.combine(day, time(CLOSE_HOUR)))
        if max(opens, start) < min(closes, end):
            windows.append((max(opens, start), min(closes, end)))
        day += timedelta(days=1)
    return windows


def _sellable_now(stall_ids: list[int]) -> dict[int, list[Product]]:
    """Products a booth can sell today: active, in stock, with no lot past its best-before."""
    expired = sa.select(Batch.id).where(Batch.product_id == Product.id,
                                        Batch.best_before < vn_today())
    by_stall: dict[int, list[Product]] = {}
    for product in db.session.scalars(
        sa.select(Product).where(Product.stall_id.in_(stall_ids), Product.active,
                                 Product.stock > 0, ~expired.exists())
        .order_by(Product.id)
    ):
        by_stall.setdefault(product.stall_id, []).append(product)
    return by_stall


def _open_fair_sales(fair: Fair, writer: _Writer) -> None:
    """Booth sales and orders from the fair's page, from the fair's opening (or the last sale
    already seeded) up to now, within its daily hours: so the fair open today has sold this
    morning, and yesterday, whatever the hour the demo is seeded."""
    rng, now = writer.rng, utcnow()
    stalls = list(db.session.scalars(
        sa.select(Stall).join(FairStall, FairStall.stall_id == Stall.id)
        .where(FairStall.fair_id == fair.id, FairStall.status == "accepted")
    ))
    by_stall = _sellable_now([s.id for s in stalls])
    if not by_stall:
        return
    stall_ids = sorted(by_stall)
    owners = {s.id: s.owner_id for s in stalls}
    last = db.session.scalar(sa.select(sa.func.max(Order.placed_at))
                             .where(Order.fair_id == fair.id))
    start = max(fair.starts_at, last + timedelta(seconds=1)) if last else fair.starts_at
    rate = (BOOTH_SALES_PER_HOUR + FAIR_PAGE_ORDERS_PER_HOUR) / 3600
    for opens, closes in _opening_windows(start, min(now, fair.ends_at)):
        at = opens + timedelta(seconds=rng.expovariate(rate))
        while at < closes:
            sid = rng.choice(stall_ids)
            if rng.random() < BOOTH_SALES_PER_HOUR / (BOOTH_SALES_PER_HOUR +
                                                      FAIR_PAGE_ORDERS_PER_HOUR):
                method = rng.choice(["cash"] * 6 + ["vietqr"] * 3 + ["card"])
                writer.order(
                    sid, _items(rng, by_stall[sid], 3), at=at, statuses=["placed", "fulfilled"],
                    paid_with=method, recorded_by=owners[sid], gap_minutes=(0, 0), until=now,
                    channel="fair", fair_id=fair.id, pickup_fair_id=fair.id,
                    fulfilment="booth_pickup", payment_method=method, created_by_id=owners[sid],
                )
            else:
                age = now - at
                statuses = (["placed"] if age < timedelta(minutes=30) else
                            ["placed", "confirmed"] if age < timedelta(hours=3) else
                            ["placed", "confirmed", "fulfilled"])
                writer.order(
                    sid, _items(rng, by_stall[sid]), at=at, statuses=statuses,
                    paid_with="vietqr", gap_minutes=(10, 90), until=now, channel="fair",
                    fair_id=fair.id, pickup_fair_id=fair.id, fulfilment="booth_pickup",
                    payment_method="vietqr", customer_name=_name(rng),
                    customer_phone=_phone(rng),
                )
            at += timedelta(seconds=rng.expovariate(rate))


def _shopper_orders(ctx: dict, writer: _Writer) -> None:
    shopper = ctx.get("shopper")
    products = [p for p in ctx.get("products") or [] if p.active and p.stall.active]
    if shopper is None or len(products) < 2:
        return
    now = utcnow()
    plans = [  # (days ago, statuses, paid with, fulfilment)
        (40, ["placed", "confirmed", "fulfilled"], "vietqr", "delivery"),
        (12, ["placed", "cancelled"], None, "stall_pickup"),
        (2, ["placed", "confirmed"], None, "stall_pickup"),
        (0, ["placed"], None, "delivery"),
    ]
    for n, (days, statuses, paid, fulfilment) in enumerate(plans):
        product = products[(n * 5) % len(products)]
        at = now - timedelta(days=days, hours=3)
        checkout = NewCheckout(code=writer.code(CHECKOUT_CODE_LENGTH), customer_id=shopper.id,
                               customer_name=shopper.name, customer_phone=shopper.phone or "",
                               created_at=at)
        writer.order(
            product.stall_id, [(product, 1 + n % 2)], at=at, statuses=statuses, paid_with=paid,
            checkout=checkout, channel="online", fulfilment=fulfilment,
            payment_method=paid or "cash", customer_id=shopper.id, customer_name=shopper.name,
            customer_phone=shopper.phone or "",
            delivery_address="Số 5 Nguyễn Văn Cừ, TP Bắc Giang" if fulfilment == "delivery" else "",
        )


def seed(ctx: dict) -> None:
    """Write the fair's sales history and the demo shopper's orders, once (no stock taken)."""
    rng = random.Random(2023)
    writer = _Writer(rng)
    fair = ctx.get("past_fair")
    _seed(ctx, fair, writer)
    # Historical orders leave live stock as the catalog set it.
    ctx["demo_orders"] = writer.write()


def _seed(ctx: dict, fair: Fair | None, writer: _Writer) -> None:
    if fair is not None and not db.session.scalar(
        sa.select(Order.id).where(Order.fair_id == fair.id).limit(1)
    ):
        _fair_history(ctx, fair, writer)
    open_fair = ctx.get("open_fair")
    if open_fair is not None and open_fair.state(utcnow()) == "open":
        _open_fair_sales(open_fair, writer)
    shopper = ctx.get("shopper")
    if shopper is not None and not db.session.scalar(
        sa.select(Order.id).where(Order.customer_id == shopper.id).limit(1)
    ):
        _shopper_orders(ctx, writer)
