"""Fairs, booths and campaigns."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.catalog.models import Product, Stall
from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db


class Fair(db.Model):
    """A market event with dates, a venue and booths."""

    __tablename__ = "fair"

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    venue: Mapped[str] = mapped_column(sa.String(160))
    address: Mapped[str] = mapped_column(sa.String(255), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    description: Mapped[str] = mapped_column(sa.Text, default="")
    cover_image_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_image.id"))
    published: Mapped[bool] = mapped_column(default=False)
    public_board: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organizer: Mapped[User] = relationship()
    participations: Mapped[list[FairStall]] = relationship(
        back_populates="fair", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    def state(self, now: datetime) -> str:
        """Return draft, upcoming, open or closed at the given moment."""
        if not self.published:
            return "draft"
        if now < self.starts_at:
            return "upcoming"
        if now < self.ends_at:
            return "open"
        return "closed"


class FairStall(db.Model):
    """A stall's part in a fair: applied or invited, then accepted (with a booth) or declined.

    A stall takes part only once accepted: the organizer accepts a seller's application, or the
    seller accepts the organizer's invitation (status "invited"; "refused" once the seller says
    no). Only stalls the organizer owns (set up for a seller, not yet handed over) are put
    straight in.
    """

    __tablename__ = "fair_stall"

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fair.id"), index=True)
    stall_id: Mapped[int] = mapped_column(sa.ForeignKey("stall.id"), index=True)
    # applied, invited, accepted, declined (by the organizer), refused (invitation, by the seller)
    status: Mapped[str] = mapped_column(sa.String(16), default="applied")
    booth_number: Mapped[str | None] = mapped_column(sa.String(16))
    decline_reason: Mapped[str | None] = mapped_column(sa.String(255))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    fair: Mapped[Fair] = relationship(back_populates="participations")
    stall: Mapped[Stall] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("fair_id", "stall_id"),
        sa.UniqueConstraint("fair_id", "booth_number"),
    )


class CampaignStall(db.Model):
    """A stall invited to a campaign; its sales count only once the seller has joined."""

    __tablename__ = "campaign_stall"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), primary_key=True)
    stall_id: Mapped[int] = mapped_column(sa.ForeignKey("stall.id"), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="invited")  # joined, declined
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    campaign: Mapped[Campaign] = relationship(back_populates="invitations")
    stall: Mapped[Stall] = relationship()

    __table_args__ = (sa.Index("ix_campaign_stall_stall_id", "stall_id"),)


campaign_product = sa.Table(
    "campaign_product",
    db.metadata,
    sa.Column("campaign_id", sa.ForeignKey("campaign.id"), primary_key=True),
    sa.Column("product_id", sa.ForeignKey("product.id"), primary_key=True),
)


class Campaign(db.Model):
    """A sales drive over a period with a goal in kg and/or VND, and a scope."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    starts_on: Mapped[date]  # Vietnam calendar days, inclusive
    ends_on: Mapped[date]
    goal_kg: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 3))
    goal_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Scope: categories as a comma-separated list of category keys; stalls and products below.
    categories: Mapped[str] = mapped_column(sa.String(400), default="")
    # Channels that count: comma-separated subset of fair,online,livestream,imported.
    channels: Mapped[str] = mapped_column(sa.String(80), default="fair,online,livestream,imported")
    published: Mapped[bool] = mapped_column(default=False)
    public_board: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organizer: Mapped[User] = relationship()
    invitations: Mapped[list[CampaignStall]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )
    products: Mapped[list[Product]] = relationship(secondary=campaign_product)

    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)

    @property
    def joined_stalls(self) -> list[Stall]:
        """Stalls whose sellers joined the campaign: the only ones it counts."""
        return [i.stall for i in self.invitations if i.status == "joined"]

    @property
    def category_list(self) -> list[str]:
        return [c for c in self.categories.split(",") if c]

    @property
    def channel_list(self) -> list[str]:
        return [c for c in self.channels.split(",") if c]
