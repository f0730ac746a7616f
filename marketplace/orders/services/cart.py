"""The cart: reading what a shopper types, pricing the cart from today's products."""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from marketplace import phones
from marketplace.catalog import quantities as qty_rules
from marketplace.catalog.models import Product, Stall
from marketplace.database import utcnow
from marketplace.errors import DomainError, OutOfStock, ValidationError
from marketplace.extensions import db
from marketplace.fairs.models import Fair, FairStall
from marketplace.formatting import format_number, format_vnd, format_weight, vn_today
from marketplace.orders.models import Fulfilment
from marketplace.provenance.models import Batch
from marketplace.sanitize import int_arg

MAX_QUANTITY = qty_rules.MAX_QUANTITY
CASH, VIETQR, CARD = "cash", "vietqr", "card"
UNPAID_METHODS = (VIETQR, CARD)  # online orders paid this way expire when left unpaid


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


def not_sellable_reason(product: Product | CartProduct | None) -> str | None:
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


def open_booths(stall_ids, now: datetime) -> dict[int, FairStall]:
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
    reason = not_sellable_reason(product)
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
        reason = not_sellable_reason(product)
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
