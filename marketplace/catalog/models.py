"""Stalls, products, product photos and the certificates stalls and products hold."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.catalog.quantities import default_step
from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.storage import StoredImage
from marketplace.text import search_key


def _default_step(context) -> Decimal:
    """A new product is sold by 0.1 kg (or lít) when divisible, else by whole pieces."""
    return default_step(context.get_current_parameters().get("unit"))


class ProducerFields:
    """Provenance defaults kept on a stall and overridable per product."""

    producer_name: Mapped[str | None] = mapped_column(sa.String(160))
    producer_kind: Mapped[str | None] = mapped_column(sa.String(32))  # household, cooperative…
    producer_address: Mapped[str | None] = mapped_column(sa.String(255))
    growing_area: Mapped[str | None] = mapped_column(sa.String(255))
    growing_area_code: Mapped[str | None] = mapped_column(sa.String(64))


class Stall(ProducerFields, db.Model):
    """A seller's shop; it takes part in fairs at a booth."""

    __tablename__ = "stall"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    story: Mapped[str] = mapped_column(sa.Text, default="")
    commune: Mapped[str | None] = mapped_column(sa.String(80))
    district: Mapped[str | None] = mapped_column(sa.String(80))
    province: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(15))
    zalo: Mapped[str | None] = mapped_column(sa.String(15))
    bank_bin: Mapped[str | None] = mapped_column(sa.String(6))
    bank_account_number: Mapped[str | None] = mapped_column(sa.String(19))
    bank_account_name: Mapped[str | None] = mapped_column(sa.String(120))
    logo_image_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_image.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # Name folded without accents ("vai thieu" finds "Vải thiều"); kept by a mapper event.
    search_text: Mapped[str] = mapped_column(sa.String(400), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    owner: Mapped[User] = relationship()  # noqa: F821
    products: Mapped[list[Product]] = relationship(
        back_populates="stall", order_by="Product.id", cascade="all, delete-orphan"
    )

    @property
    def has_bank_account(self) -> bool:
        return bool(self.bank_bin and self.bank_account_number)

    def __repr__(self) -> str:
        return f"<Stall {self.slug}>"


class Product(ProducerFields, db.Model):
    """Something a stall sells, with its public code printed on the label."""

    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    stall_id: Mapped[int] = mapped_column(sa.ForeignKey("stall.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    category: Mapped[str] = mapped_column(sa.String(40), index=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    unit: Mapped[str] = mapped_column(sa.String(16))
    net_weight_kg: Mapped[Decimal] = mapped_column(sa.Numeric(10, 3), default=Decimal("0"))
    price: Mapped[int] = mapped_column(sa.BigInteger)  # integer VND
    # Stock and sale quantities are in the selling unit: whole for pieces, to the gram/millilitre
    # (3 decimals) for divisible units (kg, lít), sold in multiples of quantity_step.
    stock: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3), default=Decimal("0"))
    quantity_step: Mapped[Decimal] = mapped_column(
        sa.Numeric(12, 3), default=_default_step, server_default="1")
    gtin: Mapped[str | None] = mapped_column(sa.String(14), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Provenance specific to the product.
    variety: Mapped[str | None] = mapped_column(sa.String(120))
    planting_year: Mapped[int | None]
    harvest_start: Mapped[date | None]
    harvest_end: Mapped[date | None]
    ocop_stars: Mapped[int | None]
    ocop_year: Mapped[int | None]
    # Name and variety folded without accents, for search; kept by a mapper event.
    search_text: Mapped[str] = mapped_column(sa.String(400), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    stall: Mapped[Stall] = relationship(back_populates="products")
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product", order_by="ProductImage.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("stock >= 0", name="stock_not_negative"),
        sa.CheckConstraint("price >= 0", name="price_not_negative"),
        sa.CheckConstraint(
            "ocop_stars IS NULL OR (ocop_stars BETWEEN 3 AND 5)", name="ocop_stars_range"
        ),
    )

    def provenance(self, field: str):
        """Return a producer field from the product, falling back to its stall."""
        value = getattr(self, field)
        return value if value not in (None, "") else getattr(self.stall, field)

    def __repr__(self) -> str:
        return f"<Product {self.code} {self.name}>"


class ProductImage(db.Model):
    """A product photo, in display order."""

    __tablename__ = "product_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id"), index=True)
    image_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_image.id"))
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="images")


# Certificate kinds: stored key -> label shown to people.
CERTIFICATE_KINDS: dict[str, str] = {
    "vietgap": _l("VietGAP"),
    "globalgap": _l("GlobalGAP"),
    "organic": _l("Hữu cơ"),
    "food_safety": _l("An toàn thực phẩm"),
    "ocop": _l("OCOP"),
    "other": _l("Khác"),
}


class Certificate(db.Model):
    """A certificate (VietGAP, organic, …) held by a stall or by one product."""

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    stall_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stall.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("product.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    number: Mapped[str] = mapped_column(sa.String(80))
    issuer: Mapped[str] = mapped_column(sa.String(160))
    valid_until: Mapped[date | None]
    image_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_image.id"))  # its scan
    image: Mapped[StoredImage | None] = relationship()

    stall: Mapped[Stall | None] = relationship()
    product: Mapped[Product | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("stall_id IS NOT NULL OR product_id IS NOT NULL", name="has_holder"),
    )

    def is_expired(self, today: date) -> bool:
        return self.valid_until is not None and self.valid_until < today

    @property
    def kind_label(self) -> str:
        return str(CERTIFICATE_KINDS.get(self.kind, self.kind))

    @property
    def holder_stall(self) -> Stall:
        """The stall this certificate belongs to (directly or through its product)."""
        return self.stall if self.stall is not None else self.product.stall


def _fill_stall_search_text(_mapper, _connection, stall: Stall) -> None:
    stall.search_text = search_key(stall.name)[:400]


def _fill_product_search_text(_mapper, _connection, product: Product) -> None:
    product.search_text = search_key(f"{product.name} {product.variety or ''}")[:400]


# Every writer (forms, CSV import, demo, tests) gets the search column right.
sa.event.listen(Stall, "before_insert", _fill_stall_search_text)
sa.event.listen(Stall, "before_update", _fill_stall_search_text)
sa.event.listen(Product, "before_insert", _fill_product_search_text)
sa.event.listen(Product, "before_update", _fill_product_search_text)


from marketplace.accounts.models import User  # noqa: E402,F401
