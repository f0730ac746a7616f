"""Stalls: validate, open, change, read a bank QR, and hand over to a seller."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import build_user
from marketplace.catalog.banks import bank_by_bin
from marketplace.catalog.models import Stall
from marketplace.catalog.owners import owned_stalls_query
from marketplace.catalog.services.fields import clean_phone, clean_producer, optional_text
from marketplace.catalog.signals import announce_pages_changed
from marketplace.errors import Checks, Conflict, DomainError, ValidationError
from marketplace.extensions import db
from marketplace.sanitize import text_field
from marketplace.storage import StoredImage, save_image
from marketplace.text import account_holder_name, slugify

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")

STALL_FIELDS = (
    "name", "slug", "story", "commune", "district", "province", "phone", "zalo",
    "bank_bin", "bank_account_number", "bank_account_name",
    "producer_name", "producer_kind", "producer_address", "growing_area", "growing_area_code",
)


def stall_of(user: User) -> Stall | None:
    """Return the stall a seller owns (a seller has one stall)."""
    return db.session.scalar(owned_stalls_query(user.id).limit(1))


def stalls_owned_by(user: User) -> list[Stall]:
    """Return every stall a user owns, newest first (organizers may hold several)."""
    return list(db.session.scalars(owned_stalls_query(user.id).order_by(None)
                                   .order_by(Stall.id.desc())))


def _slug_taken(slug: str, stall: Stall | None) -> bool:
    query = sa.select(Stall.id).where(Stall.slug == slug)
    if stall is not None and stall.id is not None:
        query = query.where(Stall.id != stall.id)
    return db.session.scalar(query) is not None


def _free_slug(base: str, stall: Stall | None) -> str:
    base = (base or "gian-hang")[:72].rstrip("-")
    slug, n = base, 2
    while _slug_taken(slug, stall):
        slug, n = f"{base}-{n}", n + 1
    return slug


def clean_stall(data: Mapping[str, Any], stall: Stall | None = None) -> dict[str, Any]:
    """Validate stall fields and return them normalised (every error reported at once)."""
    out: dict[str, Any] = {}
    checks = Checks()
    with checks.field():
        out["name"] = text_field(data.get("name"), "name", 120, required=True,
                            missing=_l("Vui lòng nhập tên gian hàng."))
    with checks.field():
        typed_slug = text_field(data.get("slug"), "slug", 80)
        if typed_slug:
            slug = slugify(typed_slug)
            if not SLUG_RE.match(slug):
                raise ValidationError("slug", _("Địa chỉ chỉ gồm chữ không dấu, số và dấu gạch."))
            if _slug_taken(slug, stall):
                raise ValidationError("slug", _("Địa chỉ này đã có gian hàng khác dùng."))
            out["slug"] = slug
        elif stall is not None and stall.slug:
            out["slug"] = stall.slug
        elif "name" in out:
            out["slug"] = _free_slug(slugify(out["name"]), stall)
    with checks.field():
        out["story"] = text_field(data.get("story"), "story", 5000, multiline=True)
    for name in ("commune", "district", "province"):
        with checks.field():
            out[name] = optional_text(data.get(name), name, 80)
    for name in ("phone", "zalo"):
        with checks.field():
            out[name] = clean_phone(data.get(name), name)
    with checks.field():
        _clean_bank(data, out)
    with checks.field():
        clean_producer({k: data.get(k) for k in (
            "producer_name", "producer_kind", "producer_address", "growing_area",
            "growing_area_code",
        )}, out)
    checks.done()
    return out


def _clean_bank(data: Mapping[str, Any], out: dict[str, Any]) -> None:
    bin_ = text_field(data.get("bank_bin"), "bank_bin", 6)
    number = re.sub(r"[\s.\-]", "", text_field(data.get("bank_account_number"),
                                          "bank_account_number", 40))
    holder = account_holder_name(
        text_field(data.get("bank_account_name"), "bank_account_name", 120))
    if not (bin_ or number or holder):
        out.update(bank_bin=None, bank_account_number=None, bank_account_name=None)
        return
    if not bin_:
        raise ValidationError("bank_bin", _("Vui lòng chọn ngân hàng."))
    if bank_by_bin(bin_) is None:
        raise ValidationError("bank_bin", _("Ngân hàng không có trong danh sách."))
    if not number:
        raise ValidationError("bank_account_number", _("Vui lòng nhập số tài khoản."))
    if not re.fullmatch(r"\d{6,19}", number):
        raise ValidationError("bank_account_number", _("Số tài khoản gồm 6 đến 19 chữ số."))
    if not holder:
        raise ValidationError("bank_account_name", _("Vui lòng nhập tên chủ tài khoản."))
    out.update(bank_bin=bin_, bank_account_number=number, bank_account_name=holder)


@dataclass(frozen=True)
class BankFromQR:
    """A bank account read from the VietQR a banking app shows for it."""

    bank_bin: str
    account_number: str
    holder: str
    bank_name: str


def bank_from_qr(image: bytes | None, text: str | None) -> BankFromQR:
    """Read the bank and account number from a screenshot or photo of a VietQR, or its text."""
    from marketplace.qr import read_qr
    from marketplace.vietqr import VietQRError, parse_payload

    where = "bank_qr_text" if (text or "").strip() else "bank_qr_image"
    if where == "bank_qr_text":
        texts = [text.strip()]
    elif image:
        try:
            texts = read_qr(image)
        except ValidationError as exc:
            raise ValidationError(where, exc.reason) from None
        if not texts:
            raise ValidationError(where, _("Không thấy mã QR trong ảnh. Chụp lại cho rõ và đủ cả "
                                           "mã, hoặc dùng ảnh chụp màn hình."))
    else:
        raise ValidationError(where, _("Chọn ảnh mã QR, hoặc dán nội dung mã."))
    for payload in texts:
        try:
            qr = parse_payload(payload)
        except VietQRError:
            continue
        if qr.to_card:
            raise ValidationError(where, _("Đây là mã chuyển tiền vào thẻ. Hãy dùng mã QR nhận "
                                           "tiền vào tài khoản trong ứng dụng ngân hàng."))
        bank = bank_by_bin(qr.bank_bin)
        if bank is None:
            raise ValidationError(where, _("Ngân hàng có mã BIN %(bin)s không có trong danh sách.",
                                           bin=qr.bank_bin))
        return BankFromQR(qr.bank_bin, qr.account, account_holder_name(qr.name or ""),
                          bank.short_name)
    raise ValidationError(where, _("Mã QR này không phải mã VietQR nhận chuyển khoản."))


def _store_logo(logo: bytes | None, stall: Stall) -> None:
    if not logo:
        return
    try:
        image = save_image(logo, max_side=800)
    except ValidationError as exc:
        raise ValidationError("logo", exc.reason) from None
    db.session.flush()
    old_id, stall.logo_image_id = stall.logo_image_id, image.id
    if old_id is not None:
        db.session.execute(sa.delete(StoredImage).where(StoredImage.id == old_id))


def _commit_or_conflict(field_name: str, message) -> None:
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ValidationError(field_name, str(message)) from None
    announce_pages_changed()  # a stall's name, place, phone or state shows on its pages


def create_stall(owner: User, data: Mapping[str, Any], logo: bytes | None = None) -> Stall:
    """Open a stall for a seller (one each) or for an organizer setting it up for someone."""
    if owner.role not in (Role.SELLER, Role.ORGANIZER):
        raise DomainError(_("Chỉ người bán hoặc ban tổ chức mới tạo được gian hàng."))
    if owner.role == Role.SELLER and stall_of(owner) is not None:
        raise Conflict(_("Bạn đã có gian hàng."))
    values = clean_stall(data)
    stall = Stall(owner=owner, **values)
    db.session.add(stall)
    try:
        _store_logo(logo, stall)
    except ValidationError:
        db.session.rollback()
        raise
    _commit_or_conflict("slug", _l("Địa chỉ này đã có gian hàng khác dùng."))
    return stall


def update_stall(stall: Stall, data: Mapping[str, Any], logo: bytes | None = None) -> Stall:
    """Change a stall's details (and its logo when a new one is uploaded)."""
    values = clean_stall(data, stall)
    try:
        _store_logo(logo, stall)
    except ValidationError:
        db.session.rollback()
        raise
    for name, value in values.items():
        setattr(stall, name, value)
    _commit_or_conflict("slug", _l("Địa chỉ này đã có gian hàng khác dùng."))
    return stall


@dataclass
class Handover:
    """The seller who received a stall, and the one-time password if the account is new."""

    seller: User
    password: str | None


def _one_time_password() -> str:
    # Easy to read aloud and type on a phone: no 0/O, 1/l/I.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def hand_over_stall(stall: Stall, organizer: User, *, phone: str, name: str = "") -> Handover:
    """Move a stall an organizer set up to a seller, creating the account if needed."""
    if organizer.role != Role.ORGANIZER or stall.owner_id != organizer.id:
        raise Conflict(_("Bạn không còn quản lý gian hàng này."))
    phone = clean_phone(phone, "phone")
    if not phone:
        raise ValidationError("phone", _("Vui lòng nhập số điện thoại của người bán."))
    seller = db.session.scalar(sa.select(User).where(User.phone == phone))
    password = None
    if seller is not None:
        if seller.role != Role.SELLER:
            raise ValidationError("phone", _("Số này thuộc một tài khoản không phải người bán."))
        if stall_of(seller) is not None:
            raise ValidationError("phone", _("Người bán này đã có gian hàng."))
    else:
        password = _one_time_password()
        seller = build_user(name=name, phone=phone, password=password, role=Role.SELLER.value)
        db.session.flush()
    stall.owner_id = seller.id
    _commit_or_conflict("phone", _l("Số điện thoại này đã được đăng ký."))
    return Handover(seller=seller, password=password)
