"""Register users, check logins, change passwords."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace import channels
from marketplace.accounts.models import PasswordResetCode, Role, User
from marketplace.accounts.signals import organizer_reach
from marketplace.database import utcnow
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.phones import normalize_phone
from marketplace.sanitize import clean_name

MIN_PASSWORD = 8


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


def login_key(identifier: str | None) -> str:
    """Return the account a login attempt is aimed at, spelled one way (for throttling)."""
    identifier = (identifier or "").strip()
    try:
        if "@" in identifier:
            return normalize_email(identifier) or ""
        return normalize_phone(identifier) or ""
    except ValidationError:
        return identifier.lower()


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def _spend_a_password_check(password: str) -> None:
    """Check a password against nothing, as long as checking a real one takes."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    check_password_hash(_dummy_hash(method), password)


def authenticate(identifier: str, password: str) -> User | None:
    """Return the active user whose login and password match, else None (in the same time)."""
    user = find_by_login(identifier)
    if user is None or not user.active:
        _spend_a_password_check(password or "")  # a missing account answers as slowly
        return None
    if not user.check_password(password or ""):
        return None
    return user


def _check_new_password(new: str | None, field: str) -> str:
    if len(new or "") < MIN_PASSWORD:
        raise ValidationError(field, _("Mật khẩu cần ít nhất 8 ký tự."))
    if len(new) > 128:
        raise ValidationError(field, _("Mật khẩu quá dài."))
    return new


def change_password(user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one; other sessions end."""
    if not user.check_password(current or ""):
        raise ValidationError("current_password", _("Mật khẩu hiện tại không đúng."))
    user.set_password(_check_new_password(new, "new_password"))
    user.end_sessions()
    db.session.commit()


def end_all_sessions(user: User) -> None:
    """Sign the user out on every device and browser (session and remember-me cookies)."""
    user.end_sessions()
    db.session.commit()


# --- Password reset by an emailed link ---------------------------------------------------------

def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="cho40-password-reset")


def password_reset_token(user: User) -> str:
    """Sign a reset token naming the user and their session version (used once: it bumps it)."""
    return _reset_serializer().dumps({"u": user.id, "v": user.session_version})


def user_for_reset_token(token: str) -> User | None:
    """Return the user a valid, unexpired, unused reset token names, else None."""
    try:
        data = _reset_serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except (BadData, UnicodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.active or user.session_version != data.get("v"):
        return None
    return user


def request_password_reset(email: str | None) -> None:
    """Mail a reset link if an active account has this email; say nothing either way."""
    try:
        address = normalize_email(email)
    except ValidationError:
        return
    user = db.session.scalar(sa.select(User).where(User.email == address)) if address else None
    if user is None or not user.active:
        return
    link = current_app.config["PUBLIC_BASE_URL"] + url_for(
        "accounts.reset_password", token=password_reset_token(user)
    )
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    body = _(
        "Xin chào %(name)s,\n\nĐể đặt mật khẩu mới cho tài khoản Chợ 4.0, hãy mở liên kết sau "
        "(dùng được một lần, trong %(minutes)s phút):\n\n%(link)s\n\nNếu bạn không yêu cầu, "
        "hãy bỏ qua thư này: mật khẩu của bạn không đổi.",
        name=user.name, minutes=minutes, link=link,
    )
    if channels.EMAIL not in channels.enabled():
        current_app.logger.warning("password reset mail for user %s not sent: no MAIL_SERVER",
                                   user.id)
        return
    # Sent at once, not queued: the link is a secret and must not wait in Redis or a table.
    try:
        channels.send(channels.Outgoing(
            channel=channels.EMAIL, recipient=user.email, kind="password_reset",
            subject=_("Đặt lại mật khẩu Chợ 4.0"), body=body,
        ))
    except channels.DeliveryError as exc:
        # The address is personal data: the log names the account only.
        current_app.logger.error("password reset mail for user %s not sent: %s", user.id,
                                 type(exc.__cause__ or exc).__name__)


def reset_password(user: User, new: str) -> None:
    """Set a new password from a reset; every session and reset link so far stops working."""
    user.set_password(_check_new_password(new, "password"))
    user.end_sessions()
    db.session.execute(sa.delete(PasswordResetCode).where(PasswordResetCode.user_id == user.id))
    db.session.commit()


# --- Password reset by a one-time code from an organizer ---------------------------------------

RESET_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # read aloud and typed: no 0/O, 1/l/I


@dataclass
class IssuedCode:
    """The seller a reset code is for, and the code (shown once, stored hashed)."""

    seller: User
    code: str


def sellers_in_reach(organizer: User) -> sa.Select:
    """Sellers an organizer may help: those the domains above name (fairs: their stalls' owners)."""
    named = [ids for _receiver, ids in organizer_reach.send(organizer) if ids is not None]
    return sa.select(User).where(User.role == Role.SELLER,
                                 sa.or_(sa.false(), *(User.id.in_(ids) for ids in named)))


def issue_reset_code(organizer: User, phone: str | None) -> IssuedCode:
    """Give a seller of the organizer's fairs a one-time code to set a new password."""
    phone = normalize_phone(phone)
    if not phone:
        raise ValidationError("phone", _("Vui lòng nhập số điện thoại của người bán."))
    seller = db.session.scalar(sellers_in_reach(organizer).where(User.phone == phone))
    if seller is None:
        raise ValidationError(
            "phone", _("Không có người bán nào với số này trong các phiên chợ của bạn.")
        )
    code = "".join(secrets.choice(RESET_CODE_ALPHABET) for _ in range(10))
    db.session.execute(sa.delete(PasswordResetCode).where(PasswordResetCode.user_id == seller.id))
    db.session.add(PasswordResetCode(
        user_id=seller.id, issued_by_id=organizer.id,
        code_hash=generate_password_hash(code, method=_hash_method()),
        expires_at=utcnow() + timedelta(hours=current_app.config["RESET_CODE_HOURS"]),
    ))
    db.session.commit()
    return IssuedCode(seller=seller, code=code)


def _hash_method() -> str:
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")


def reset_password_with_code(phone: str | None, code: str | None, new: str | None) -> User:
    """Set a new password with a phone number and an unused, unexpired code from an organizer."""
    wrong = ValidationError("code", _("Số điện thoại hoặc mã không đúng, hoặc mã đã hết hạn."))
    try:
        phone = normalize_phone(phone)
    except ValidationError:
        phone = None
    code = "".join((code or "").split()).lower()
    user = db.session.scalar(sa.select(User).where(User.phone == phone)) if phone else None
    issued = None
    if user is not None and user.active:
        issued = db.session.scalar(
            sa.select(PasswordResetCode).where(
                PasswordResetCode.user_id == user.id, PasswordResetCode.expires_at > utcnow()
            )
        )
    if issued is None:
        _spend_a_password_check(code)
        raise wrong
    if not check_password_hash(issued.code_hash, code):
        raise wrong
    reset_password(user, _check_new_password(new, "password"))
    return user


def set_locale(user: User, locale: str) -> None:
    """Remember the user's language."""
    user.locale = locale
    db.session.commit()
