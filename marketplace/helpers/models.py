"""Helpers of a stall and the invitation codes that make new ones."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.catalog.models import Stall
from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db


class StallHelper(db.Model):
    """A person who sells at a stall's booth for its owner (no products, prices or money)."""

    __tablename__ = "stall_helper"

    id: Mapped[int] = mapped_column(primary_key=True)
    stall_id: Mapped[int] = mapped_column(sa.ForeignKey("stall.id", ondelete="CASCADE"),
                                          index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"),
                                         index=True)
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    stall: Mapped[Stall] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (sa.UniqueConstraint("stall_id", "user_id"),)


class HelperInvite(db.Model):
    """A one-time code the owner hands a helper, who signs up with it (hashed like a password)."""

    __tablename__ = "helper_invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    stall_id: Mapped[int] = mapped_column(sa.ForeignKey("stall.id", ondelete="CASCADE"),
                                          index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
