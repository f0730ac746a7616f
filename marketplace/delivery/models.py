"""A stall's delivery zones: where it delivers, for what fee, and from what order it is free."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db


class DeliveryZone(db.Model):
    """One province (or some of its communes) a stall delivers to, with its fee in VND."""

    __tablename__ = "delivery_zone"

    id: Mapped[int] = mapped_column(primary_key=True)
    stall_id: Mapped[int] = mapped_column(sa.ForeignKey("stall.id", ondelete="CASCADE"),
                                          index=True)
    province_code: Mapped[int]  # a province since 1 July 2025 (vietnam-provinces code)
    # Commune codes, space-separated; empty: the whole province.
    ward_codes: Mapped[str] = mapped_column(sa.String(2000), default="", server_default="")
    fee: Mapped[int] = mapped_column(sa.BigInteger)  # integer VND
    # Orders whose goods come to at least this much are delivered free; None: never free.
    free_from: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("fee >= 0", name="fee_not_negative"),
        sa.CheckConstraint("free_from IS NULL OR free_from >= 0", name="free_from_not_negative"),
    )

    @property
    def ward_list(self) -> list[int]:
        return [int(c) for c in self.ward_codes.split()]

    def fee_for(self, subtotal: int) -> int:
        """The fee for an order whose goods come to subtotal."""
        if self.free_from is not None and subtotal >= self.free_from:
            return 0
        return self.fee
