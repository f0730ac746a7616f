"""Batches, timeline steps and label scans (certificates: catalog/models.py)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

# Certificates are catalog facts (catalog/models.py); provenance pages and forms manage them.
from marketplace.catalog.models import CERTIFICATE_KINDS, Certificate, Product, Stall  # noqa: F401
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
