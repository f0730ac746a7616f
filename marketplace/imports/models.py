"""Imported marketplace sales, keyed so an import can run twice and count once."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.catalog.models import Product, Stall
from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db


class MarketplaceImport(db.Model):
    """One uploaded export file, tied to the stall it belongs to."""

    __tablename__ = "marketplace_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    stall_id: Mapped[int] = mapped_column(sa.ForeignKey("stall.id"), index=True)
    platform: Mapped[str] = mapped_column(sa.String(16))  # shopee, lazada, tiktok
    filename: Mapped[str] = mapped_column(sa.String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    rows_counted: Mapped[int] = mapped_column(default=0)
    rows_skipped: Mapped[int] = mapped_column(default=0)

    stall: Mapped[Stall] = relationship()


class ImportedSaleLine(db.Model):
    """A marketplace order line; the newest import of the same key replaces it."""

    __tablename__ = "imported_sale_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    stall_id: Mapped[int] = mapped_column(sa.ForeignKey("stall.id"), index=True)
    platform: Mapped[str] = mapped_column(sa.String(16))
    external_order_id: Mapped[str] = mapped_column(sa.String(40))
    line_key: Mapped[str] = mapped_column(sa.String(120))
    import_id: Mapped[int | None] = mapped_column(sa.ForeignKey("marketplace_import.id"))
    created_at_source: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_raw: Mapped[str] = mapped_column(sa.String(120), default="")
    # sale, in_progress, cancelled, returned, unpaid
    status_class: Mapped[str] = mapped_column(sa.String(16))
    product_name: Mapped[str] = mapped_column(sa.String(255), default="")
    seller_sku: Mapped[str] = mapped_column(sa.String(120), default="")
    variation: Mapped[str] = mapped_column(sa.String(255), default="")
    qty: Mapped[int] = mapped_column(default=0)
    returned_qty: Mapped[int] = mapped_column(default=0)
    net_amount: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # VND
    buyer_province: Mapped[str] = mapped_column(sa.String(80), default="")
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("product.id"), index=True)
    net_weight_kg: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 3))  # per unit
    source_file: Mapped[str] = mapped_column(sa.String(255), default="")
    source_row: Mapped[int] = mapped_column(default=0)

    stall: Mapped[Stall] = relationship()
    product: Mapped[Product | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("platform", "stall_id", "line_key"),
        # Shopee lines are replaced order by order on re-import.
        sa.Index("ix_imported_sale_line_order", "stall_id", "platform", "external_order_id"),
    )

    @property
    def net_qty(self) -> int:
        return self.qty - self.returned_qty


class SkuMapping(db.Model):
    """A seller SKU on a platform mapped to one of the stall's products (remembered)."""

    __tablename__ = "sku_mapping"

    id: Mapped[int] = mapped_column(primary_key=True)
    stall_id: Mapped[int] = mapped_column(sa.ForeignKey("stall.id"), index=True)
    platform: Mapped[str] = mapped_column(sa.String(16))
    seller_sku: Mapped[str] = mapped_column(sa.String(120))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id"))

    product: Mapped[Product] = relationship()

    __table_args__ = (sa.UniqueConstraint("stall_id", "platform", "seller_sku"),)


class PendingImportFile(db.Model):
    """An uploaded export kept between the preview and the confirmation (never trusted twice)."""

    __tablename__ = "pending_import_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch: Mapped[str] = mapped_column(sa.String(32), index=True)  # one upload of 1+ files
    stall_id: Mapped[int] = mapped_column(sa.ForeignKey("stall.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    stall: Mapped[Stall] = relationship()
