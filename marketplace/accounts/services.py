"""Register users, check logins, change passwords."""

from __future__ import annotations

import re

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from marketplace.accounts.models import Role, User
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.sanitize import clean_name

PHONE_RE = re.compile(r"^0[35789]\d{8}$")
MIN_PASSWORD = 8


def normalize_phone(raw: str | None) -> str | None:
    """Return a Vietnamese mobile number as 0xxxxxxxxx, or None if empty; raise if malformed."""
    if raw is None or not raw.strip():
        return None
    digits = re.sub(r"[\s.\-()]", "", raw.strip())
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not PHONE_RE.match(digits):
        raise ValidationError("phone", _("Số điện thoại không hợp lệ (ví dụ: 0912 345 678)."))
    return digits


def normalize_email(raw: str | None) -> str | None:
    """Return a lower-cased valid email, or None if empty; raise if malformed."""
    if raw is None or not raw.strip():
        return None
    try:
        info = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError("email", _("Địa chỉ email không hợp lệ.")) from None
    return info.normalized.lower()


def find_by_login(identifier: str) -> User | None:
    """Find a user by email or phone number, whichever was typed."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    if "@" in identifier:
        try:
            email = normalize_email(identifier)
        except ValidationError:
            return None
        return db.session.scalar(sa.select(User).where(User.email == email))
    try:
        phone = normalize_phone(identifier)
    except ValidationError:
        return None
    return db.session.scalar(sa.select(User).where(User.phone == phone))


def build_user(
    *, name: str, password: str, role: str, email: str | None = None, phone: str | None = None
) -> User:
    """Validate and add a new user to the session without committing."""
    name = clean_name(name)
    if not name:
        raise ValidationError("name", _("Vui lòng nhập họ tên."))
    if len(name) > 120:
        raise ValidationError("name", _("Họ tên quá dài (tối đa 120 ký tự)."))
    if role not in {r.value for r in Role}:
        raise ValidationError("role", _("Vai trò không hợp lệ."))
    email = normalize_email(email)
    phone = normalize_phone(phone)
    if not email and not phone:
        raise ValidationError("email", _("Vui lòng nhập email hoặc số điện thoại."))
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError("password", _("Mật khẩu cần ít nhất 8 ký tự."))
    if len(password) > 128:
        raise ValidationError("password", _("Mật khẩu quá dài."))
    if email and db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise ValidationError("email", _("Email này đã được đăng ký."))
    if phone and db.session.scalar(sa.select(User.id).where(User.phone == phone)):
        raise ValidationError("phone", _("Số điện thoại này đã được đăng ký."))
    user = User(name=name, email=email, phone=phone, role=role)
    user.set_password(password)
    db.session.add(user)
    return user


def register_user(
    *, name: str, password: str, role: str, email: str | None = None, phone: str | None = None
) -> User:
    """Create an account (shoppers and sellers sign themselves up)."""
    user = build_user(name=name, password=password, role=role, email=email, phone=phone)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ValidationError("email", _("Email hoặc số điện thoại này đã được đăng ký.")) from None
    return user


def authenticate(identifier: str, password: str) -> User | None:
    """Return the active user whose login and password match, else None."""
    user = find_by_login(identifier)
    if user is None or not user.active or not user.check_password(password or ""):
        return None
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one."""
    if not user.check_password(current or ""):
        raise ValidationError("current_password", _("Mật khẩu hiện tại không đúng."))
    if len(new or "") < MIN_PASSWORD:
        raise ValidationError("new_password", _("Mật khẩu cần ít nhất 8 ký tự."))
    user.set_password(new)
    db.session.commit()


def set_locale(user: User, locale: str) -> None:
    """Remember the user's language."""
    user.locale = locale
    db.session.commit()
