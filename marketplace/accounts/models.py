"""User accounts with roles."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db


class Role(enum.StrEnum):
    """What a person may do: shop, run a stall, or organise fairs."""

    SHOPPER = "shopper"
    SELLER = "seller"
    ORGANIZER = "organizer"
    HELPER = "helper"  # sells at the booth of the stalls whose owners added them


class User(UserMixin, db.Model):
    """A person with a login: an email and/or a phone number, and a password."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(sa.String(15), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[str] = mapped_column(sa.String(16), default=Role.SHOPPER.value)
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    active: Mapped[bool] = mapped_column(default=True)
    # Messages: a seller's new orders by email (on unless turned off); Zalo and the organizer's
    # closing-time summary only when asked for.
    notify_orders: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    notify_zalo: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    notify_daily_summary: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Part of every session and remember-me cookie: raising it signs the user out everywhere.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    __table_args__ = (
        sa.CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="has_login"),
    )

    def get_id(self) -> str:  # flask-login: stored in the session and the remember cookie
        return f"{self.id}.{self.session_version}"

    def end_sessions(self) -> None:
        """Make every session and remember-me cookie issued so far stop working."""
        self.session_version = (self.session_version or 1) + 1

    def set_password(self, password: str) -> None:
        method = "scrypt"
        if has_app_context():
            method = current_app.config.get("PASSWORD_HASH_METHOD", method)
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active

    @property
    def is_seller(self) -> bool:
        return self.role == Role.SELLER

    @property
    def is_organizer(self) -> bool:
        return self.role == Role.ORGANIZER

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email or self.phone} {self.role}>"


class PasswordResetCode(db.Model):
    """A one-time code an organizer gives a seller who has no email to set a new password."""

    __tablename__ = "password_reset_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(sa.String(256))  # hashed like a password
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
