"""Batches, timeline steps, certificates and label scans."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.catalog.models import Product, Stall
from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.storage import StoredImage


class Batch(db.Model):
    """One harvest or production run (lot) of a product."""

    __tablename__ = "batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    produced_on: Mapped[date | None]  # harvest or production date
    quantity: Mapped[int | None]
    best_before: Mapped[date | None]
    note: Mapped[str] = mapped_column(sa.Text, default="")

    product: Mapped[Product] = relationship()

    __table_args__ = (sa.UniqueConstraint("product_id", "code"),)


class TimelineStep(db.Model):
    """A step of the cultivation and processing diary."""

    __tablename__ = "timeline_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id"), index=True)
    happened_on: Mapped[date]
    step: Mapped[str] = mapped_column(sa.String(160))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    image_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_image.id"))  # a photo
    image: Mapped[StoredImage | None] = relationship()

    product: Mapped[Product] = relationship()


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


class ScanEvent(db.Model):
    """One opening of a label's URL: product, batch, time, fair. No personal data."""

    __tablename__ = "scan_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random id given when the scan is buffered: a batch inserted twice (a worker died between
    # the INSERT and trimming the Redis queue) still counts once.
    uid: Mapped[str] = mapped_column(sa.String(32), unique=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id"))
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("batch.id"))
    fair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fair.id"))
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # True when the URL carried a printed label's scan flag (?s=1): a real QR scan, not browsing.
    qr: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    # Reports count scans per day and product of a fair, or of a campaign's products over its
    # days, from these indexes alone.
    __table_args__ = (
        sa.Index("ix_scan_event_product_scanned", "product_id", "scanned_at"),
        sa.Index("ix_scan_event_fair_facts", "fair_id", "product_id", "scanned_at"),
    )


class PageVersion(db.Model):
    """A version number bumped by every change that shows on cached public pages."""

    __tablename__ = "page_version"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=0)
