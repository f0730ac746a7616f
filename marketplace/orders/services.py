"""Cart, checkout, booth sales, seller order handling and the one honest stock."""

from __future__ import annotations

import functools
import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from marketplace import phones
from marketplace.catalog import quantities as qty_rules
from marketplace.catalog.codes import new_code, normalize_code
from marketplace.catalog.models import Product, Stall
from marketplace.catalog.owners import owned_stall_ids
from marketplace.catalog.text import search_key
from marketplace.database import utcnow
from marketplace.delivery import services as delivery
from marketplace.errors import Conflict, DomainError, OutOfStock, ValidationError
from marketplace.extensions import db
from marketplace.fairs.models import Fair, FairStall
from marketplace.formatting import (
    format_number,
    format_vnd,
    format_weight,
    local_day_bounds,
    vn_today,
)
from marketplace.messages import services as messages
from marketplace.once import services as once_svc
from marketplace.orders import booth as cash_desk
from marketplace.orders.models import (
    CHECKOUT_CODE_LENGTH,
    ORDER_CODE_LENGTH,
    Channel,
    Checkout,
    Fulfilment,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusEvent,
)
from marketplace.payments.models import Payment
from marketplace.payments.services import outstanding, record_payment, refund_on_cancel
from marketplace.provenance.models import Batch
from marketplace.provenance.versions import invalidate_product_pages
from marketplace.sanitize import int_arg, secret_matches, text_field

log = logging.getLogger(__name__)

MAX_QUANTITY = qty_rules.MAX_QUANTITY
CASH, VIETQR, CARD = "cash", "vietqr", "card"
UNPAID_METHODS = (VIETQR, CARD)  # online orders paid this way expire when left unpaid
_WRITE_ATTEMPTS = 3  # a random code may collide with an existing one: try again

# Which statuses an order may move to, from which.
_FROM = {
    OrderStatus.CONFIRMED: (OrderStatus.PLACED,),
    OrderStatus.READY: (OrderStatus.PLACED, OrderStatus.CONFIRMED),
    OrderStatus.FULFILLED: (OrderStatus.PLACED, OrderStatus.CONFIRMED, OrderStatus.READY),
    OrderStatus.CANCELLED: (OrderStatus.PLACED, OrderStatus.CONFIRMED, OrderStatus.READY),
}
# The steps a seller takes with the status buttons (cancelling has its own form and reason).
SELLER_STEPS = frozenset({OrderStatus.CONFIRMED, OrderStatus.READY, OrderStatus.FULFILLED})


class PaymentOutstanding(Conflict):
    """Handing over an order not fully paid needs the seller's confirmation."""

    def __init__(self, owed: int):
        super().__init__(_("Khách còn nợ %(owed)s.", owed=format_vnd(owed)))
        self.owed = owed


class StaleCart(DomainError):
    """The cart changed under the shopper (price, availability): they must look again."""

    status_code = 409

    def __init__(self, notices: list[str], cart: dict):
        super().__init__(" ".join(notices))
        self.notices = notices
        self.cart = cart


# --- input ------------------------------------------------------------------------------------


def parse_quantity(raw, *, field: str = "quantity", allow_zero: bool = False) -> Decimal:
    """Read a typed quantity (0 < q <= 10 000, '1,5' or '1.5'); the product checks the rest.

    The rule (decimal marks, 3 places, pieces whole, steps) is in catalog.quantities.
    """
    return qty_rules.parse_amount(raw, field=field, allow_zero=allow_zero)


def check_quantity(product: Product | CartProduct, qty: Decimal, field: str) -> None:
    """Refuse part of a piece, or a weight off the product's selling step."""
    qty_rules.check_quantity(qty, product.unit, product.quantity_step, product.name, field)


def _cart_qty(qty: Decimal) -> int | str:
    """A quantity as the cart cookie keeps it: 2 stays a number, 1.5 becomes '1.5'."""
    qty = qty_rules.exact(qty)
    return int(qty) if qty == qty.to_integral_value() else qty_rules.plain(qty)


def parse_id(raw, field: str = "product_id") -> int:
    """Read a row id posted by a form."""
    text = str(raw or "").strip()
    number = int_arg(text)
    if number is None:
        raise ValidationError(field, _("Sản phẩm không hợp lệ."))
    return number


def normalize_phone(raw: str | None, field: str = "customer_phone") -> str:
    """A shopper's phone (required): a mobile, or a landline for the delivery call."""
    phone = phones.normalize_phone(raw, field=field, landline_ok=True)
    if phone is None:
        raise ValidationError(field, _("Vui lòng nhập số điện thoại."))
    return phone


def _not_sellable_reason(product: Product | CartProduct | None) -> str | None:
    if product is None:
        return _("Sản phẩm không tồn tại.")
    if not product.stall.active:
        return _("Gian hàng của “%(name)s” đang tạm đóng.", name=product.name)
    if not product.active:
        return _("“%(name)s” hiện không còn bán.", name=product.name)
    best_before = (product.best_before if isinstance(product, CartProduct)
                   else db.session.scalar(_latest_best_before(product.id)))
    if best_before is not None and best_before < vn_today():
        return _("Lô hiện tại của “%(name)s” đã quá hạn sử dụng, không bán được.",
                 name=product.name)
    return None


def _latest_best_before(product_id) -> sa.Select:
    """The best-before day of a product's newest batch (what is on the shelf now)."""
    b = Batch.__table__
    return (sa.select(b.c.best_before).where(b.c.product_id == product_id)
            .order_by(b.c.produced_on.desc().nulls_last(), b.c.id.desc()).limit(1))


# --- cart (kept in the session as {"<product id>": [quantity, price when added]}) -------------


@dataclass
class CartLine:
    product: Product | CartProduct
    quantity: Decimal
    line_total: int


@dataclass
class CartGroup:
    """The part of a cart bought from one stall, with how it may be fulfilled and paid."""

    stall: Stall | CartStall
    lines: list[CartLine]
    subtotal: int
    booth: CartBooth | None
    fulfilment_options: list[str]
    payment_options: list[str]


@dataclass
class CartView:
    groups: list[CartGroup]
    total: int
    count: int
    notices: list[str]
    cart: dict


def payment_options(stall: Stall | CartStall) -> list[str]:
    """Payment methods a shopper may choose for an order to this stall."""
    options = [CASH]
    if stall.has_bank_account:
        options.append(VIETQR)
    if current_app.config.get("STRIPE_SECRET_KEY"):
        options.append(CARD)
    return options


def _open_booths(stall_ids, now: datetime) -> dict[int, FairStall]:
    """Accepted booths at fairs open now, one per stall (the earliest fair)."""
    if not stall_ids:
        return {}
    rows = db.session.scalars(
        sa.select(FairStall)
        .join(Fair)
        .options(joinedload(FairStall.fair))
        .where(
            FairStall.stall_id.in_(stall_ids),
            FairStall.status == "accepted",
            Fair.published,
            Fair.starts_at <= now,
            Fair.ends_at > now,
        )
        .order_by(Fair.starts_at)
    )
    booths: dict[int, FairStall] = {}
    for row in rows:
        booths.setdefault(row.stall_id, row)
    return booths


def _in_cart(cart: dict, key: str) -> Decimal:
    try:
        return qty_rules.read_number((cart.get(key) or [0])[0], "quantity") or Decimal(0)
    except (ValidationError, TypeError, IndexError):
        return Decimal(0)  # a damaged cookie entry counts as nothing


def add_to_cart(cart: dict, product_id, quantity) -> tuple[dict, Product, Decimal]:
    """Add units of a product to a cart; return the new cart, the product and the quantity."""
    pid = parse_id(product_id)
    qty = parse_quantity(quantity)
    product = db.session.get(Product, pid, options=[joinedload(Product.stall)])
    reason = _not_sellable_reason(product)
    if reason:
        raise ValidationError("product_id", reason)
    check_quantity(product, qty, "quantity")
    wanted = _in_cart(cart, str(pid)) + qty
    if wanted > MAX_QUANTITY:
        raise ValidationError(
            "quantity", _("Số lượng tối đa là %(n)s.", n=format_number(MAX_QUANTITY))
        )
    if wanted > product.stock:
        raise OutOfStock(product.name, product.stock)
    new_cart = dict(cart)
    new_cart[str(pid)] = [_cart_qty(wanted), product.price]
    return new_cart, product, qty


def update_cart(cart: dict, quantities: dict[str, str]) -> dict:
    """Set new quantities (0 removes a line); all are checked before any is applied."""
    new_cart = dict(cart)
    for key, raw in quantities.items():
        if key not in cart:
            continue
        qty = parse_quantity(raw, field=f"qty_{key}", allow_zero=True)
        if qty == 0:
            new_cart.pop(key, None)
            continue
        product = db.session.get(Product, int_arg(key) or 0)
        if product is not None:
            check_quantity(product, qty, f"qty_{key}")
        new_cart[key] = [_cart_qty(qty), cart[key][1]]
    return new_cart


def remove_from_cart(cart: dict, product_id) -> dict:
    """Drop a product from the cart."""
    new_cart = dict(cart)
    new_cart.pop(str(parse_id(product_id)), None)
    return new_cart


# The cart is priced from a snapshot of its products read with one prebuilt Core query: the
# busiest read of a fair (every cart page, every checkout) needs a dozen columns, not the
# ORM's whole Product and Stall objects.


@dataclass(frozen=True, slots=True)
class CartStall:
    id: int
    name: str
    active: bool
    has_bank_account: bool


@dataclass(frozen=True, slots=True)
class CartFair:
    id: int
    name: str
    slug: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class CartBooth:
    """A stall's accepted booth at a fair open now."""

    fair_id: int
    stall_id: int
    booth_number: str | None
    fair: CartFair


@dataclass(frozen=True, slots=True)
class CartProduct:
    """A product as the cart sees it now: what it costs, weighs and how many are left."""

    id: int
    stall_id: int
    code: str
    name: str
    unit: str
    price: int
    net_weight_kg: Decimal
    stock: Decimal
    active: bool
    stall: CartStall
    best_before: date | None = None  # of the newest batch: past it, the product is not sold
    quantity_step: Decimal = qty_rules.ONE


@functools.cache
def _cart_query() -> sa.Select:
    p, s, fs, f = (Product.__table__, Stall.__table__, FairStall.__table__, Fair.__table__)
    now = sa.bindparam("now", type_=f.c.starts_at.type)
    open_fairs = sa.select(f.c.id).where(f.c.published.is_(True), f.c.starts_at <= now,
                                         f.c.ends_at > now)
    return (
        sa.select(
            p.c.id, p.c.stall_id, p.c.code, p.c.name, p.c.unit, p.c.price, p.c.net_weight_kg,
            p.c.stock, p.c.active, p.c.quantity_step,
            s.c.name.label("stall_name"), s.c.active.label("stall_active"), s.c.bank_bin,
            s.c.bank_account_number,
            fs.c.booth_number, f.c.id.label("fair_id"), f.c.name.label("fair_name"),
            f.c.slug.label("fair_slug"), f.c.starts_at.label("fair_starts_at"),
            f.c.ends_at.label("fair_ends_at"),
            _latest_best_before(p.c.id).scalar_subquery().label("best_before"),
        )
        .select_from(p)
        .join(s, s.c.id == p.c.stall_id)
        .outerjoin(fs, sa.and_(fs.c.stall_id == p.c.stall_id, fs.c.status == "accepted",
                               fs.c.fair_id.in_(open_fairs)))
        .outerjoin(f, f.c.id == fs.c.fair_id)
        .where(p.c.id.in_(sa.bindparam("ids", expanding=True)))
    )


def _cart_products(ids, now: datetime) -> tuple[dict[int, CartProduct], dict[int, CartBooth]]:
    """Load the cart's products with their stalls and each stall's open booth, in one query."""
    products: dict[int, CartProduct] = {}
    booths: dict[int, CartBooth] = {}
    stalls: dict[int, CartStall] = {}
    for row in db.session.connection().execute(_cart_query(), {"ids": ids, "now": now}):
        stall = stalls.get(row.stall_id)
        if stall is None:
            stall = stalls[row.stall_id] = CartStall(
                row.stall_id, row.stall_name, row.stall_active,
                bool(row.bank_bin and row.bank_account_number))
        products[row.id] = CartProduct(row.id, row.stall_id, row.code, row.name, row.unit,
                                       row.price, row.net_weight_kg,
                                       qty_rules.exact(row.stock), row.active, stall,
                                       row.best_before, qty_rules.exact(row.quantity_step))
        if row.fair_id is not None:
            seen = booths.get(row.stall_id)
            if seen is None or row.fair_starts_at < seen.fair.starts_at:  # the earliest fair
                booths[row.stall_id] = CartBooth(
                    row.fair_id, row.stall_id, row.booth_number,
                    CartFair(row.fair_id, row.fair_name, row.fair_slug, row.fair_starts_at,
                             row.fair_ends_at))
    return products, booths


def review_cart(cart: dict, now: datetime | None = None) -> CartView:
    """Price the cart by stall from today's products, noting and fixing anything stale."""
    now = now or utcnow()
    entries: dict[int, tuple[Decimal, int | None]] = {}
    for key, value in (cart or {}).items():
        try:
            qty = qty_rules.read_number(value[0], "quantity") or Decimal(0)
            price = int(value[1]) if value[1] is not None else None
            pid = int(key)
        except (TypeError, ValueError, IndexError, KeyError, ValidationError):
            continue  # a damaged cookie entry is simply dropped
        if 0 < qty <= MAX_QUANTITY:
            entries[pid] = (qty, price)
    products, booths = _cart_products(list(entries), now) if entries else ({}, {})
    notices: list[str] = []
    clean: dict = {}
    by_stall: dict[int, list[CartLine]] = defaultdict(list)
    for pid in sorted(entries):
        qty, seen_price = entries[pid]
        product = products.get(pid)
        reason = _not_sellable_reason(product)
        if reason:
            notices.append(reason + " " + _("Đã bỏ khỏi giỏ."))
            continue
        if product.stock <= 0:
            notices.append(_("“%(name)s” đã hết hàng. Đã bỏ khỏi giỏ.", name=product.name))
            continue
        if qty > product.stock:
            notices.append(_("“%(name)s” chỉ còn %(n)s, giỏ đã được cập nhật.",
                             name=product.name, n=format_weight(product.stock)))
            qty = product.stock
        if seen_price is not None and seen_price != product.price:
            notices.append(_("Giá “%(name)s” đã đổi từ %(old)s thành %(new)s.", name=product.name,
                             old=format_vnd(seen_price), new=format_vnd(product.price)))
        clean[str(pid)] = [_cart_qty(qty), product.price]
        by_stall[product.stall_id].append(
            CartLine(product, qty, qty_rules.line_total(product.price, qty)))
    groups = []
    for lines in sorted(by_stall.values(), key=lambda ls: ls[0].product.stall.name):
        stall = lines[0].product.stall
        booth = booths.get(stall.id)
        options = [Fulfilment.STALL_PICKUP.value, Fulfilment.DELIVERY.value]
        if booth is not None:
            options.insert(0, Fulfilment.BOOTH_PICKUP.value)
        groups.append(CartGroup(stall, lines, sum(ln.line_total for ln in lines), booth,
                                options, payment_options(stall)))
    return CartView(groups, sum(g.subtotal for g in groups),
                    sum(ln.quantity for g in groups for ln in g.lines), notices, clean)


# --- writing orders ---------------------------------------------------------------------------


@dataclass
class OrderDraft:
    """Everything needed to write one order, already validated."""

    stall_id: int
    lines: list[tuple[Product | CartProduct, Decimal]]
    channel: str
    fulfilment: str
    payment_method: str = CASH
    fair_id: int | None = None
    pickup_fair_id: int | None = None
    customer_id: int | None = None
    customer_name: str = ""
    customer_phone: str = ""
    delivery_address: str = ""
    delivery_fee: int = 0  # VND, added to the lines' total
    note: str = ""
    created_by_id: int | None = None
    paid_method: str | None = None  # record a payment of the whole total with this method
    cash_given: int | None = None  # a booth cash sale: what the buyer handed over
    statuses: list[str] = field(default_factory=lambda: [OrderStatus.PLACED.value])
    # A sale made offline: when it really happened, and stock taken even below what is held
    # (the goods are gone; the missing quantity is kept as a StockShortfall).
    placed_at: datetime | None = None
    short_ok: bool = False


@dataclass
class PlacedOrder:
    id: int
    code: str
    access_token: str
    total: int
    payment_method: str
    stall_name: str
    receipt_token: str | None = None


@dataclass
class Placed:
    checkout_code: str | None
    orders: list[PlacedOrder]


@functools.cache
def _take_stock_stmt() -> sa.Update:
    product = Product.__table__
    qty = sa.bindparam("qty", type_=product.c.stock.type)
    return (
        sa.update(product)
        .where(product.c.id == sa.bindparam("pid"), product.c.stock >= qty,
               product.c.active.is_(True))
        # Rounded to the gram: SQLite does this arithmetic in floating point.
        .values(stock=sa.func.round(product.c.stock - qty, 3), updated_at=sa.bindparam("now"))
        .returning(product.c.stock)
    )


def _take_stock(conn: sa.Connection, quantities: dict[int, Decimal], names: dict[int, str],
                now: datetime) -> bool:
    """Take stock line by line with a conditional UPDATE, in product-id order (no deadlocks).

    The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) and checks the stock
    in one statement, so two buyers racing for the last unit cannot both get it. Return whether
    a product sold out (its public page must stop offering it).
    """
    sold_out = False
    for pid in sorted(quantities):
        left = conn.execute(
            _take_stock_stmt(), {"pid": pid, "qty": quantities[pid], "now": now}).scalar()
        sold_out = sold_out or (left is not None and qty_rules.exact(left) == 0)
        if left is None:
            db.session.rollback()
            row = db.session.execute(
                sa.select(Product.stock, Product.active).where(Product.id == pid)
            ).first()
            if row is None or not row.active:
                raise ValidationError(None, _("“%(name)s” hiện không còn bán.", name=names[pid]))
            raise OutOfStock(names[pid], row.stock)
    return sold_out


def _take_stock_short_ok(conn: sa.Connection, quantities: dict, now: datetime) -> dict:
    """Take stock for a sale that already happened: never refuse, stop at zero.

    Return {product id: (stock before, quantity short)} for the products it ran short of.
    """
    product = Product.__table__
    short = {}
    for pid in sorted(quantities):
        qty = quantities[pid]
        left = conn.execute(_take_stock_stmt(), {"pid": pid, "qty": qty, "now": now}).scalar()
        if left is not None:
            continue
        before = qty_rules.exact(conn.execute(sa.select(product.c.stock)
                                              .where(product.c.id == pid)
                                              .with_for_update()).scalar_one())
        conn.execute(sa.update(product).where(product.c.id == pid)
                     .values(stock=max(before - qty, 0), updated_at=now))
        if qty > before:  # (else the product was only switched off meanwhile)
            short[pid] = (before, qty - before)
    return short


def _insert(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    if rows:  # a list even for one row: executemany, so no RETURNING of an unused id
        conn.execute(_insert_stmt(table), rows)


@functools.cache
def _insert_stmt(table: sa.Table, returning: bool = False) -> sa.Insert:
    stmt = sa.insert(table)
    return stmt.returning(table.c.id, sort_by_parameter_order=True) if returning else stmt


def _insert_returning_ids(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> list[int]:
    stmt = _insert_stmt(table, returning=True)
    if len(rows) == 1:
        return [conn.execute(stmt, rows[0]).scalar_one()]
    return list(conn.execute(stmt, rows).scalars())


def _write(drafts: list[OrderDraft], checkout_fields: dict | None,
           once: once_svc.Once | None = None) -> Placed:
    """Take stock and write the checkout, orders, lines, events and payments in one commit.

    Plain INSERTs rather than the ORM's unit of work: a checkout is the busiest write of a fair
    and the unit of work was most of its cost. The form's one-time key, when given, is the
    transaction's first row, so a repeat waits for this one and then finds its result.
    """
    quantities: dict[int, Decimal] = defaultdict(Decimal)
    names: dict[int, str] = {}
    prepared = []  # per draft: (draft, line rows, total, stall name)
    for draft in drafts:
        lines = []
        for product, qty in draft.lines:
            qty = qty_rules.exact(qty)
            quantities[product.id] += qty
            names[product.id] = product.name
            # Price, unit and weight are snapshotted: later edits of the product change nothing.
            lines.append({"product_id": product.id, "product_name": product.name,
                          "unit": product.unit, "unit_price": product.price,
                          "net_weight_kg": product.net_weight_kg, "quantity": qty,
                          "line_total": qty_rules.line_total(product.price, qty)})
        total = sum(line["line_total"] for line in lines) + draft.delivery_fee
        prepared.append((draft, lines, total, draft.lines[0][0].stall.name))
    for attempt in range(_WRITE_ATTEMPTS):
        now = utcnow()
        checkout_code = new_code(CHECKOUT_CODE_LENGTH) if checkout_fields is not None else None
        codes = [new_code(ORDER_CODE_LENGTH) for _draft in prepared]
        if once is not None:
            once_svc.claim(once, f"checkout:{checkout_code}" if checkout_code
                           else f"order:{codes[0]}")
        conn = db.session.connection()
        short = {}
        if any(d.short_ok for d in drafts):
            short = _take_stock_short_ok(conn, quantities, now)
            sold_out = True
        else:
            sold_out = _take_stock(conn, quantities, names, now)
        checkout_row = None if checkout_fields is None else {
            "code": checkout_code, "created_at": now, **checkout_fields}
        orders, children = [], []
        for code, (draft, lines, total, _stall) in zip(codes, prepared, strict=True):
            at = draft.placed_at or now
            orders.append({
                "code": code, "access_token": secrets.token_urlsafe(16),
                "stall_id": draft.stall_id, "fair_id": draft.fair_id,
                "pickup_fair_id": draft.pickup_fair_id, "customer_id": draft.customer_id,
                "customer_name": draft.customer_name, "customer_phone": draft.customer_phone,
                "delivery_address": draft.delivery_address, "note": draft.note,
                "channel": draft.channel, "fulfilment": draft.fulfilment,
                "payment_method": draft.payment_method, "status": draft.statuses[-1],
                "placed_at": at, "total": total, "delivery_fee": draft.delivery_fee,
                "paid_amount": total if draft.paid_method else 0,
                "cancelled_at": None, "cancel_reason": None,
                "created_by_id": draft.created_by_id,
                "cash_given": draft.cash_given, "receipt_token": cash_desk.new_receipt_token(),
            })
            by_id = draft.created_by_id or draft.customer_id
            events = [{"status": s, "at": at, "by_id": by_id, "note": ""}
                      for s in draft.statuses]
            payments = [{  # the whole total, as payments.record_payment records it
                "method": str(draft.paid_method), "amount": total, "kind": "payment",
                "provider_ref": None, "reverses_id": None,
                "recorded_by_id": draft.created_by_id, "created_at": at,
            }] if draft.paid_method else []
            children.append((lines, events, payments))
        try:
            order_ids = _insert_rows(conn, checkout_row, orders, children)
        except sa.exc.IntegrityError:
            db.session.rollback()  # a code collided: stock is back too; draw new codes
            if attempt == _WRITE_ATTEMPTS - 1:
                raise
            continue
        if short:
            _record_shortfalls(conn, short, drafts[0], order_ids[0], now)
        db.session.commit()
        if sold_out:
            invalidate_product_pages()
        return Placed(checkout_code, [
            PlacedOrder(order_id, row["code"], row["access_token"], total,
                        draft.payment_method, stall_name, row["receipt_token"])
            for order_id, row, (draft, _lines, total, stall_name)
            in zip(order_ids, orders, prepared, strict=True)
        ])
    raise AssertionError("unreachable")  # pragma: no cover


def _record_shortfalls(conn: sa.Connection, short: dict, draft: OrderDraft, order_id: int,
                       now: datetime) -> None:
    from marketplace.orders.models import StockShortfall

    conn.execute(sa.insert(StockShortfall.__table__), [
        {"stall_id": draft.stall_id, "product_id": pid, "order_id": order_id,
         "stock_before": before, "quantity_short": missing,
         "sold_at": draft.placed_at or now, "created_at": now}
        for pid, (before, missing) in sorted(short.items())])


def _child_tables() -> tuple[sa.Table, sa.Table, sa.Table]:
    return OrderLine.__table__, OrderStatusEvent.__table__, Payment.__table__


def _insert_rows(conn: sa.Connection, checkout_row: dict | None, orders: list[dict],
                 children: list[tuple[list[dict], ...]]) -> list[int]:
    """Insert the rows table by table (RETURNING the new ids); return the orders' ids."""
    checkout_id = None
    if checkout_row is not None:
        checkout_id = _insert_returning_ids(conn, Checkout.__table__, [checkout_row])[0]
    order_ids = _insert_returning_ids(
        conn, Order.__table__, [{**row, "checkout_id": checkout_id} for row in orders])
    for n, table in enumerate(_child_tables()):
        _insert(conn, table, [{**row, "order_id": order_id}
                              for order_id, kids in zip(order_ids, children, strict=True)
                              for row in kids[n]])
    return order_ids


# --- shopper checkout -------------------------------------------------------------------------


@dataclass
class CustomerDetails:
    name: str
    phone: str
    address: str = ""
    note: str = ""
    email: str = ""
    notify_zalo: bool = False
    locale: str = "vi"
    province: str = ""  # of the delivery address (old names are read too)
    commune: str = ""


def _fair_participants(fair_id: int | None, stall_ids) -> set[int]:
    if fair_id is None or not stall_ids:
        return set()
    return set(db.session.scalars(
        sa.select(FairStall.stall_id).where(
            FairStall.fair_id == fair_id, FairStall.status == "accepted",
            FairStall.stall_id.in_(stall_ids),
        )
    ))


def _replay_placed(ref: str) -> Placed:
    """Read back what a spent key placed: a checkout's orders, or one order."""
    kind, _sep, code = ref.partition(":")
    stmt = sa.select(Order).options(joinedload(Order.stall)).order_by(Order.id)
    if kind == "checkout":
        stmt = stmt.join(Checkout).where(Checkout.code == code)
    else:
        stmt = stmt.where(Order.code == code)
    return Placed(code if kind == "checkout" else None, [
        PlacedOrder(o.id, o.code, o.access_token, o.total, o.payment_method, o.stall.name,
                    o.receipt_token)
        for o in db.session.scalars(stmt)
    ])


def place_checkout(cart: dict, details: CustomerDetails, choices: dict[int, tuple[str, str]], *,
                   once: once_svc.Once, customer_id: int | None = None,
                   via_fair_id: int | None = None, view: CartView | None = None) -> Placed:
    """Turn the cart into one order per stall under one checkout code, all or nothing, once.

    choices maps a stall id to (fulfilment, payment method). via_fair_id is the open fair the
    shopper came through: orders to stalls taking part in it count for it (channel "fair").
    view is the cart as just reviewed for the same request (saves querying it twice). A repeat
    of the same form (once) gets the first checkout back, whatever the cart holds by then.
    """
    return once_svc.run_once(once, lambda: _place_checkout(
        cart, details, choices, once=once, customer_id=customer_id, via_fair_id=via_fair_id,
        view=view), _replay_placed)


def _place_checkout(cart: dict, details: CustomerDetails, choices: dict[int, tuple[str, str]],
                    *, once: once_svc.Once, customer_id: int | None,
                    via_fair_id: int | None, view: CartView | None) -> Placed:
    view = view or review_cart(cart)
    if view.notices:
        raise StaleCart(view.notices, view.cart)
    if not view.groups:
        raise ValidationError(None, _("Giỏ hàng đang trống."))
    name = text_field(details.name, "customer_name", 120, required=True,
                 missing=_("Vui lòng nhập họ tên người nhận."))
    phone = normalize_phone(details.phone)
    note = text_field(details.note, "note", 400, multiline=True)
    address = text_field(details.address, "delivery_address", 400, multiline=True)
    at_fair = _fair_participants(via_fair_id, [g.stall.id for g in view.groups])
    delivering = [g.stall.id for g in view.groups
                  if choices.get(g.stall.id, ("", ""))[0] == Fulfilment.DELIVERY]
    if delivering and not address:
        raise ValidationError("delivery_address", _("Vui lòng nhập địa chỉ giao hàng."))
    fees, address = delivery.checkout_fees(view.groups, delivering, province=details.province,
                                           commune=details.commune, address=address)
    drafts = []
    for group in view.groups:
        fulfilment, method = choices.get(group.stall.id, ("", ""))
        if fulfilment not in group.fulfilment_options:
            raise ValidationError(f"fulfilment_{group.stall.id}",
                                  _("Vui lòng chọn cách nhận hàng."))
        if method not in group.payment_options:
            raise ValidationError(f"payment_{group.stall.id}",
                                  _("Vui lòng chọn cách thanh toán."))
        counted = via_fair_id if group.stall.id in at_fair else None
        drafts.append(OrderDraft(
            stall_id=group.stall.id,
            lines=[(ln.product, ln.quantity) for ln in group.lines],
            channel=Channel.FAIR.value if counted else Channel.ONLINE.value,
            fair_id=counted,
            fulfilment=fulfilment,
            pickup_fair_id=group.booth.fair_id if fulfilment == Fulfilment.BOOTH_PICKUP else None,
            payment_method=method,
            customer_id=customer_id,
            customer_name=name,
            customer_phone=phone,
            delivery_address=address if fulfilment == Fulfilment.DELIVERY else "",
            delivery_fee=fees.get(group.stall.id, 0),
            note=note,
        ))
    email = _email(details.email)
    placed = _write(drafts, {"customer_id": customer_id, "customer_name": name,
                             "customer_phone": phone, "customer_email": email,
                             "notify_zalo": bool(details.notify_zalo),
                             "locale": details.locale or "vi"}, once)
    _tell(messages.order_placed, [o.id for o in placed.orders])
    return placed


def _email(raw: str | None) -> str:
    """An optional email for order messages: empty, or a valid address."""
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationError("customer_email", _("Email không hợp lệ.")) from None


def _tell(send, *args) -> None:
    """Queue an event's messages; a failure there never undoes the order (it is committed)."""
    try:
        send(*args)
    except Exception:
        db.session.rollback()
        log.exception("could not queue messages %s%r", send.__name__, args)


# --- seller sales: booth (POS) and manual entry ----------------------------------------------


@dataclass
class Quote:
    lines: list[CartLine]
    total: int
    quantities: dict[int, Decimal]


def sellable_products(stall: Stall, query: str = "") -> list[Product]:
    """The stall's active products, by name; a query matches names with or without accents."""
    stmt = (sa.select(Product).where(Product.stall_id == stall.id, Product.active.is_(True))
            .order_by(Product.name))
    for word in search_key(query).split()[:5]:  # "vai thieu" finds "Vải thiều"
        stmt = stmt.where(Product.search_text.contains(word, autoescape=True))
    return list(db.session.scalars(stmt))


def quote_sale(stall: Stall, raw_quantities: dict[int, str | Decimal], *,
               short_ok: bool = False) -> Quote:
    """Check the quantities typed on a sale screen and price them.

    short_ok: the sale already happened offline: stock, a closed stall or product, a lot past
    best-before cannot undo it (only products of another stall are refused).
    """
    wanted = {}
    for pid, raw in raw_quantities.items():
        qty = parse_quantity(raw, field=f"qty_{pid}", allow_zero=True)
        if qty:
            wanted[pid] = qty
    if not wanted:
        raise ValidationError(None, _("Chọn ít nhất một sản phẩm."))
    products = {p.id: p for p in db.session.scalars(
        sa.select(Product).options(joinedload(Product.stall))
        .where(Product.id.in_(wanted), Product.stall_id == stall.id)
    )}
    if not stall.active and not short_ok:
        raise ValidationError(None, _("Gian hàng đang tạm đóng."))
    lines = []
    for pid in sorted(wanted, key=lambda i: products[i].name if i in products else ""):
        product = products.get(pid)
        if product is None or not (product.active or short_ok):
            raise ValidationError(f"qty_{pid}", _("Sản phẩm này không còn bán."))
        if short_ok:
            lines.append(CartLine(product, wanted[pid],
                                  qty_rules.line_total(product.price, wanted[pid])))
            continue
        reason = _not_sellable_reason(product)
        if reason:
            raise ValidationError(f"qty_{pid}", reason)
        check_quantity(product, wanted[pid], f"qty_{pid}")
        if wanted[pid] > product.stock:
            raise OutOfStock(product.name, product.stock)
        lines.append(CartLine(product, wanted[pid],
                              qty_rules.line_total(product.price, wanted[pid])))
    return Quote(lines, sum(ln.line_total for ln in lines), wanted)


def sale_payment_options(stall: Stall) -> list[str]:
    """Ways a buyer standing at the booth can pay."""
    return [CASH, VIETQR] if stall.has_bank_account else [CASH]


def record_booth_sale(stall: Stall, raw_quantities: dict[int, str | Decimal], method: str, *,
                      seller_id: int, once: once_svc.Once, now: datetime | None = None,
                      cash_given: str | int | None = None,
                      sold_offline: bool = False) -> PlacedOrder:
    """Record a sale at the booth once: paid in cash now (fulfilled), or awaiting a transfer QR.

    Quantities may be typed text ('1,5') or Decimals. cash_given is what the buyer handed over
    for a cash sale (optional; less than the total is refused): the receipt shows the change.
    sold_offline: the sale was made at `now` on a phone without network and is only being
    sent now: it keeps that time (and the fair open then) and is never refused for stock.
    """
    return once_svc.run_once(
        once, lambda: _booth_sale(stall, raw_quantities, method, seller_id, once, now,
                                  cash_given, sold_offline),
        lambda ref: _replay_placed(ref).orders[0])


def _booth_sale(stall: Stall, raw_quantities: dict[int, str | Decimal], method: str,
                seller_id: int, once: once_svc.Once, now: datetime | None,
                cash_given: str | int | None = None, sold_offline: bool = False) -> PlacedOrder:
    quote = quote_sale(stall, raw_quantities, short_ok=sold_offline)
    if method not in sale_payment_options(stall):
        raise ValidationError("method", _("Vui lòng chọn cách thanh toán."))
    given = cash_desk.parse_cash_given(cash_given) if method == CASH else None
    cash_desk.change_due(quote.total, given)  # refuses an amount short of the total
    booth = _open_booths([stall.id], now or utcnow()).get(stall.id)
    fair_id = booth.fair_id if booth else None
    cash = method == CASH
    draft = OrderDraft(
        stall_id=stall.id, lines=[(ln.product, ln.quantity) for ln in quote.lines],
        channel=Channel.FAIR.value, fair_id=fair_id, pickup_fair_id=fair_id,
        fulfilment=Fulfilment.BOOTH_PICKUP.value, payment_method=method,
        created_by_id=seller_id, paid_method=CASH if cash else None, cash_given=given,
        statuses=[OrderStatus.PLACED.value, OrderStatus.FULFILLED.value] if cash
        else [OrderStatus.PLACED.value],
        placed_at=now if sold_offline else None, short_ok=sold_offline,
    )
    return _write([draft], None, once).orders[0]


def manual_fulfilment_options(stall: Stall) -> list[str]:
    options = [Fulfilment.STALL_PICKUP.value, Fulfilment.DELIVERY.value]
    if _open_booths([stall.id], utcnow()).get(stall.id):
        options.insert(0, Fulfilment.BOOTH_PICKUP.value)
    return options


def create_manual_order(stall: Stall, raw_quantities: dict[int, str], details: CustomerDetails,
                        *, channel: str, fulfilment: str, method: str, paid: bool,
                        seller_id: int, once: once_svc.Once) -> PlacedOrder:
    """Record an order taken by phone, Zalo or livestream, paid or not yet, once per form."""
    return once_svc.run_once(once, lambda: _manual_order(
        stall, raw_quantities, details, channel=channel, fulfilment=fulfilment, method=method,
        paid=paid, seller_id=seller_id, once=once), lambda ref: _replay_placed(ref).orders[0])


def _manual_order(stall: Stall, raw_quantities: dict[int, str], details: CustomerDetails, *,
                  channel: str, fulfilment: str, method: str, paid: bool, seller_id: int,
                  once: once_svc.Once) -> PlacedOrder:
    quote = quote_sale(stall, raw_quantities)
    if channel not in (Channel.LIVESTREAM, Channel.ONLINE):
        raise ValidationError("channel", _("Vui lòng chọn kênh bán."))
    booth = _open_booths([stall.id], utcnow()).get(stall.id)
    options = manual_fulfilment_options(stall)
    if fulfilment not in options:
        raise ValidationError("fulfilment", _("Vui lòng chọn cách nhận hàng."))
    if method not in sale_payment_options(stall):
        raise ValidationError("method", _("Vui lòng chọn cách thanh toán."))
    name = text_field(details.name, "customer_name", 120, required=True,
                 missing=_("Vui lòng nhập họ tên khách."))
    phone = normalize_phone(details.phone)
    address = text_field(details.address, "delivery_address", 400, multiline=True)
    if fulfilment == Fulfilment.DELIVERY and not address:
        raise ValidationError("delivery_address", _("Vui lòng nhập địa chỉ giao hàng."))
    draft = OrderDraft(
        stall_id=stall.id, lines=[(ln.product, ln.quantity) for ln in quote.lines],
        channel=channel, fulfilment=fulfilment, payment_method=method,
        pickup_fair_id=booth.fair_id if booth and fulfilment == Fulfilment.BOOTH_PICKUP else None,
        customer_name=name, customer_phone=phone,
        delivery_address=address if fulfilment == Fulfilment.DELIVERY else "",
        note=text_field(details.note, "note", 400, multiline=True), created_by_id=seller_id,
        paid_method=method if paid else None,
        statuses=[OrderStatus.PLACED.value, OrderStatus.CONFIRMED.value],
    )
    return _write([draft], None, once).orders[0]


# --- status changes ---------------------------------------------------------------------------


def change_status(order: Order, new_status: str, *, by_id: int | None, reason: str = "",
                  only_unpaid: bool = False, unpaid_ok: bool = False,
                  once: once_svc.Once | None = None) -> None:
    """Move an order to a new status once; cancelling returns stock and refunds card money.

    The status is changed by a conditional UPDATE, so of two racing changes only one wins and
    stock comes back exactly once. Handing over an order paid by transfer or card that is not
    fully paid raises PaymentOutstanding unless the seller confirmed it (unpaid_ok); a cash
    order handed over records the cash instead. With a form's one-time key (once), a repeat of
    that form answers as the first did instead of reporting a conflict.
    """
    if once is None:
        _change_status(order, new_status, by_id=by_id, reason=reason, only_unpaid=only_unpaid,
                       unpaid_ok=unpaid_ok)
        return
    code = order.code
    once_svc.run_once(once, lambda: _change_status(
        order, new_status, by_id=by_id, reason=reason, only_unpaid=only_unpaid,
        unpaid_ok=unpaid_ok, once=once), lambda ref: once_svc.same_result(ref, f"order:{code}"))
    db.session.refresh(order)


def _change_status(order: Order, new_status: str, *, by_id: int | None, reason: str,
                   only_unpaid: bool, unpaid_ok: bool, once: once_svc.Once | None = None) -> None:
    if once is not None:
        once_svc.claim(once, f"order:{order.code}")
    if new_status not in _FROM:
        raise ValidationError(None, _("Trạng thái không hợp lệ."))
    new_status = OrderStatus(new_status)
    if (new_status == OrderStatus.FULFILLED and order.payment_method != CASH and not unpaid_ok
            and order.status in [s.value for s in _FROM[new_status]]
            and (owed := outstanding(order)) > 0):
        raise PaymentOutstanding(owed)
    values: dict = {"status": new_status.value}
    now = utcnow()
    if new_status == OrderStatus.CANCELLED:
        reason = text_field(reason, "reason", 255, required=True,
                       missing=_("Vui lòng ghi lý do hủy đơn."))
        values.update(cancelled_at=now, cancel_reason=reason)
    stmt = (
        sa.update(Order)
        .where(Order.id == order.id, Order.status.in_([s.value for s in _FROM[new_status]]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if only_unpaid:
        stmt = stmt.where(Order.paid_amount < Order.total)
    if db.session.execute(stmt).rowcount != 1:
        db.session.rollback()
        db.session.refresh(order)
        raise Conflict(_("Đơn %(code)s đang ở trạng thái “%(status)s”, không đổi được.",
                         code=order.code, status=status_label(order.status)))
    # The UPDATE bypassed the ORM: tell the loaded order its new status, without a write.
    set_committed_value(order, "status", new_status.value)
    back_on_sale = False
    try:
        if new_status == OrderStatus.CANCELLED:
            for line in sorted(order.lines, key=lambda ln: ln.product_id):
                stock = db.session.execute(
                    sa.update(Product).where(Product.id == line.product_id)
                    .values(stock=sa.func.round(Product.stock + line.quantity, 3))
                    .returning(Product.stock)
                    .execution_options(synchronize_session=False)
                ).scalar()
                # it had sold out
                back_on_sale = back_on_sale or (
                    qty_rules.exact(stock) == qty_rules.exact(line.quantity))
            refund_on_cancel(order, by_id)
        elif (new_status == OrderStatus.FULFILLED and order.payment_method == CASH
              and order.paid_amount < order.total):
            # Handing over a cash order means the money was taken.
            record_payment(order, CASH, order.total - order.paid_amount, recorded_by_id=by_id)
        db.session.add(OrderStatusEvent(order_id=order.id, status=new_status.value, at=now,
                                        by_id=by_id, note=reason))
        db.session.commit()
    except Exception:
        db.session.rollback()
        db.session.refresh(order)
        raise
    if back_on_sale:
        invalidate_product_pages()
    db.session.refresh(order)
    if new_status == OrderStatus.READY:
        _tell(messages.order_ready, order.id)
    if new_status == OrderStatus.CANCELLED:
        from marketplace.payments.card import expire_open_sessions

        expire_open_sessions(order)


def unpaid_deadline(order: Order) -> datetime | None:
    """Return when an unpaid order expires if still unpaid, or None if it never does.

    The same rule as expire_unpaid_orders: online orders placed by the shopper, to be paid by
    transfer or card, still in "placed".
    """
    if (order.status != OrderStatus.PLACED or order.channel != Channel.ONLINE
            or order.payment_method not in UNPAID_METHODS or order.created_by_id is not None):
        return None
    return order.placed_at + timedelta(
        minutes=current_app.config.get("ORDER_UNPAID_TTL_MINUTES", 60))


def expire_unpaid_orders(now: datetime | None = None) -> int:
    """Cancel online orders left unpaid (transfer/card) past the TTL; return how many."""
    now = now or utcnow()
    cutoff = now - timedelta(minutes=current_app.config.get("ORDER_UNPAID_TTL_MINUTES", 60))
    ids = list(db.session.scalars(
        sa.select(Order.id).where(
            Order.status == OrderStatus.PLACED.value,
            Order.channel == Channel.ONLINE.value,
            Order.payment_method.in_(UNPAID_METHODS),
            Order.created_by_id.is_(None),
            Order.paid_amount < Order.total,
            Order.placed_at < cutoff,
        ).order_by(Order.id)
    ))
    done = 0
    for order_id in ids:
        order = db.session.get(Order, order_id)
        try:
            change_status(order, OrderStatus.CANCELLED, by_id=None, only_unpaid=True,
                          reason=_("Quá hạn thanh toán, đơn tự hủy."))
        except Conflict:
            continue  # paid or changed meanwhile (another run, the seller): leave it
        except DomainError as exc:  # Stripe unreachable for a refund: the next run retries
            current_app.logger.warning("order %s not expired: %s", order.code, exc)
            continue
        done += 1
    return done


# --- reading ----------------------------------------------------------------------------------


def status_label(status: str) -> str:
    from marketplace.orders.labels import STATUS

    return str(STATUS.get(status, status))


def tracked_order(code: str, token: str | None) -> Order | None:
    """The order behind a tracking link, or None when the code or secret token is wrong."""
    normal = normalize_code(code or "")
    if not normal or not token:
        return None
    order = db.session.scalar(
        sa.select(Order).options(selectinload(Order.lines), selectinload(Order.events))
        .where(Order.code == normal)
    )
    if order is None or not secret_matches(token, order.access_token):
        return None
    return order


def find_order(code: str, phone: str) -> Order | None:
    """A guest's order found by its code and the phone number it was placed with."""
    normal = normalize_code(code or "")
    try:
        phone = normalize_phone(phone)
    except ValidationError:
        return None
    if not normal:
        return None
    order = db.session.scalar(sa.select(Order).where(Order.code == normal))
    if order is None or not secret_matches(phone, order.customer_phone):
        return None
    return order


def payment_deadline(order: Order) -> datetime | None:
    """When this order is cancelled if still unpaid; None once paid or if it never expires."""
    return None if order.is_paid else unpaid_deadline(order)


def unpaid_siblings(order: Order) -> list[Order]:
    """The other orders of the same checkout still waiting for a transfer, by stall."""
    if order.checkout_id is None:
        return []
    return [o for o in checkout_orders_by_id(order.checkout_id)
            if o.id != order.id and payment_deadline(o) and o.payment_method == VIETQR]


def checkout_orders_by_id(checkout_id: int) -> list[Order]:
    return list(db.session.scalars(
        sa.select(Order).where(Order.checkout_id == checkout_id).order_by(Order.id)))


def checkout_orders(code: str) -> list[Order]:
    """Orders of a checkout, by stall."""
    return list(db.session.scalars(
        sa.select(Order).join(Checkout).options(selectinload(Order.lines))
        .where(Checkout.code == code).order_by(Order.id)
    ))


def customer_orders(user_id: int) -> list[Order]:
    """A shopper's own orders, newest first."""
    return list(db.session.scalars(
        sa.select(Order).options(joinedload(Order.stall))
        .where(Order.customer_id == user_id).order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(200)
    ))


def seller_order(code: str, owner_id: int) -> Order | None:
    """An order to one of the seller's stalls, or None (another seller's order is not found)."""
    normal = normalize_code(code or "")
    if not normal:
        return None
    return db.session.scalar(
        sa.select(Order)
        .options(selectinload(Order.lines), selectinload(Order.events))
        .where(Order.code == normal, Order.stall_id.in_(owned_stall_ids(owner_id)))
    )


@dataclass
class InboxFilter:
    status: str | None = None
    fair_id: int | None = None
    day_from: date | None = None
    day_to: date | None = None
    page: int = 1


PAGE_SIZE = 50


def seller_inbox(owner_id: int, flt: InboxFilter) -> tuple[list[Order], bool]:
    """A page of orders to the seller's stalls, newest first; and whether more follow."""
    stmt = (
        sa.select(Order)
        .options(joinedload(Order.fair))
        .where(Order.stall_id.in_(owned_stall_ids(owner_id)))
    )
    if flt.status:
        stmt = stmt.where(Order.status == flt.status)
    if flt.fair_id:
        stmt = stmt.where(sa.or_(Order.fair_id == flt.fair_id,
                                 Order.pickup_fair_id == flt.fair_id))
    if flt.day_from:
        stmt = stmt.where(Order.placed_at >= local_day_bounds(flt.day_from)[0])
    if flt.day_to:
        stmt = stmt.where(Order.placed_at <= local_day_bounds(flt.day_to)[1])
    page = max(1, flt.page)
    rows = list(db.session.scalars(
        stmt.order_by(Order.placed_at.desc(), Order.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def seller_fairs(owner_id: int) -> list[Fair]:
    """Fairs the seller's stalls took part in, newest first."""
    return list(db.session.scalars(
        sa.select(Fair).join(FairStall)
        .where(FairStall.stall_id.in_(owned_stall_ids(owner_id)), FairStall.status == "accepted")
        .order_by(Fair.starts_at.desc()).distinct()
    ))


@dataclass
class PackedProduct:
    name: str
    unit: str
    quantity: Decimal
    orders: int


@dataclass
class PackingList:
    fair: Fair
    orders: list[Order]
    products: list[PackedProduct]


def packing_list(owner_id: int, fair_id: int) -> PackingList | None:
    """What to bring to a fair for orders still to hand over: by customer and by product."""
    fair = db.session.get(Fair, fair_id)
    if fair is None:
        return None
    orders = list(db.session.scalars(
        sa.select(Order)
        .options(selectinload(Order.lines))
        .where(
            Order.stall_id.in_(owned_stall_ids(owner_id)),
            sa.or_(Order.fair_id == fair_id, Order.pickup_fair_id == fair_id),
            Order.status.in_([OrderStatus.PLACED.value, OrderStatus.CONFIRMED.value,
                              OrderStatus.READY.value]),
        ).order_by(Order.customer_name, Order.placed_at)
    ))
    totals: dict[tuple[int, str], PackedProduct] = {}
    for order in orders:
        for line in order.lines:
            key = (line.product_id, line.unit)
            packed = totals.setdefault(key, PackedProduct(line.product_name, line.unit,
                                                                 Decimal(0), 0))
            packed.quantity += qty_rules.exact(line.quantity)
            packed.orders += 1
    products = sorted(totals.values(), key=lambda p: p.name)
    return PackingList(fair, orders, products)


def booth_fairs_of(order: Order) -> FairStall | None:
    """The booth where a booth-pickup order is collected."""
    if not order.pickup_fair_id:
        return None
    return db.session.scalar(
        sa.select(FairStall).options(joinedload(FairStall.fair)).where(
            FairStall.fair_id == order.pickup_fair_id, FairStall.stall_id == order.stall_id
        )
    )
