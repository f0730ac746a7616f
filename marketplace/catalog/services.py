"""Stalls and products: validate, save, hand over, import, export and browse."""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import build_user, normalize_phone
from marketplace.catalog.banks import bank_by_bin
from marketplace.catalog.categories import CATEGORY_KEYS, PRODUCER_KIND_KEYS, UNITS
from marketplace.catalog.codes import new_code
from marketplace.catalog.gtin import validate_gtin
from marketplace.catalog.models import Product, ProductImage, Stall
from marketplace.catalog.owners import owned_stalls_query
from marketplace.catalog.quantities import (
    default_step,
    exact,
    is_divisible,
    parse_step,
    parse_stock_amount,
)
from marketplace.catalog.text import account_holder_name, search_key, slugify
from marketplace.errors import Checks, Conflict, DomainError, ValidationError
from marketplace.extensions import db
from marketplace.formatting import vn_today
from marketplace.provenance.versions import invalidate_product_pages
from marketplace.sanitize import csv_cell, text_field, unquote_csv_cell
from marketplace.storage import StoredImage, check_pixel_budget, save_image

MAX_PHOTOS = 6
MAX_PRICE = 1_000_000_000
MAX_STOCK = 1_000_000
MAX_WEIGHT_KG = Decimal("10000")
PER_PAGE = 24
MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_CSV_ROWS = 5000
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
AREA_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9.\-/]{0,63}$")

# ---------------------------------------------------------------------------
# Parsing typed input (form strings, CSV cells, or values already typed).
# ---------------------------------------------------------------------------




def _optional_text(value: Any, field_name: str, max_length: int) -> str | None:
    return text_field(value, field_name, max_length) or None


def _whole_number(value: Any, field_name: str, *, bad, negative) -> int | None:
    """Read '45000', '45.000', '45,000' or '45 000' as an integer; None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError(field_name, str(bad))
    if isinstance(value, int):
        number = value
    else:
        text = re.sub(r"\s+", " ", str(value)).strip()
        text = re.sub(r"\s*(₫|đ|vnđ|vnd|d)$", "", text, flags=re.IGNORECASE).strip()
        if not text:
            return None
        sign = -1 if text.startswith("-") else 1
        text = text.lstrip("+-").strip()
        if len(text) > 30:  # far beyond any price or count; int() of it would be slow
            raise ValidationError(field_name, str(bad))
        if re.fullmatch(r"\d+", text):
            number = int(text)
        elif re.fullmatch(r"\d{1,3}(?:([.,\s])\d{3})(?:\1\d{3})*", text):
            number = int(re.sub(r"\D", "", text))
        else:
            raise ValidationError(field_name, str(bad))
        number *= sign
    if number < 0:
        raise ValidationError(field_name, str(negative))
    return number


def parse_price(value: Any) -> int:
    """Read a price in VND ('45.000', '45000', '45.000 ₫') as an integer."""
    price = _whole_number(value, "price", bad=_l("Giá phải là số tiền, ví dụ 45.000."),
                          negative=_l("Giá không được âm."))
    if price is None:
        raise ValidationError("price", _("Vui lòng nhập giá bán."))
    if price > MAX_PRICE:
        raise ValidationError("price", _("Giá quá lớn."))
    return price


def parse_stock(value: Any, unit: str | None = None) -> Decimal:
    """Read a stock in the selling unit (0 when empty): whole pieces, or '12,5' kg."""
    if is_divisible(unit):
        return parse_stock_amount(value, unit)
    stock = _whole_number(value, "stock", bad=_l("Số lượng tồn phải là số nguyên."),
                          negative=_l("Số lượng tồn không được âm."))
    if stock is None:
        return 0
    if stock > MAX_STOCK:
        raise ValidationError("stock", _("Số lượng tồn quá lớn (tối đa %(n)s).", n="1.000.000"))
    return Decimal(stock)


def parse_weight(value: Any) -> Decimal:
    """Read a net weight per unit in kg: '0,5' or '0.5'."""
    if value is None or str(value).strip() == "":
        raise ValidationError("net_weight_kg", _("Vui lòng nhập khối lượng tịnh (kg)."))
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        weight = Decimal(str(value))
    else:
        text = str(value).strip().lower().removesuffix("kg").strip().replace(",", ".")
        try:
            weight = Decimal(text)
        except InvalidOperation:
            raise ValidationError(
                "net_weight_kg", _("Khối lượng phải là số kg, ví dụ 0,5.")
            ) from None
    if not weight.is_finite():
        raise ValidationError("net_weight_kg", _("Khối lượng phải là số kg, ví dụ 0,5."))
    if weight > MAX_WEIGHT_KG:  # before rounding: a huge number cannot be rounded to grams
        raise ValidationError("net_weight_kg", _("Khối lượng quá lớn."))
    weight = weight.quantize(Decimal("0.001"))
    if weight <= 0:
        raise ValidationError("net_weight_kg", _("Khối lượng tịnh phải lớn hơn 0."))
    return weight


def format_weight(weight: Decimal | None) -> str:
    """Show a weight without trailing zeros: Decimal('0.500') -> '0.5'."""
    if weight is None:
        return ""
    text = format(weight.normalize(), "f")
    return text


def _optional_int(value: Any, field_name: str, low: int, high: int) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError(field_name, _("Phải là một số nguyên.")) from None
    if not low <= number <= high:
        raise ValidationError(
            field_name, _("Phải nằm trong khoảng %(low)s–%(high)s.", low=low, high=high)
        )
    return number


def _optional_date(value: Any, field_name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationError(field_name, _("Ngày không hợp lệ (ví dụ 15/06/2024)."))


def _bool(value: Any, default: bool = True) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = search_key(str(value))
    if text in {"1", "true", "yes", "y", "x", "co", "dang ban", "on"}:
        return True
    if text in {"0", "false", "no", "n", "khong", "an", "ngung ban", "off"}:
        return False
    raise ValidationError("active", _("Giá trị không hợp lệ (dùng 1 hoặc 0)."))


def _this_year() -> int:
    return vn_today().year


def _clean_phone(value: Any, field_name: str) -> str | None:
    try:
        return normalize_phone(None if value is None else str(value))
    except ValidationError as exc:
        raise ValidationError(field_name, exc.reason) from None


def _clean_producer(data: Mapping[str, Any], out: dict[str, Any]) -> None:
    """Clean the producer fields present in data into out (every error reported)."""
    checks = Checks()
    simple = {
        "producer_name": lambda v: _optional_text(v, "producer_name", 160),
        "producer_kind": _producer_kind,
        "producer_address": lambda v: _optional_text(v, "producer_address", 255),
        "growing_area": lambda v: _optional_text(v, "growing_area", 255),
        "growing_area_code": _area_code,
    }
    for name, clean in simple.items():
        if name in data:
            with checks.field():
                out[name] = clean(data[name])
    checks.done()


def _producer_kind(value: Any) -> str | None:
    kind = _optional_text(value, "producer_kind", 32)
    if kind and kind not in PRODUCER_KIND_KEYS:
        raise ValidationError("producer_kind", _("Loại hình nhà sản xuất không hợp lệ."))
    return kind


def _area_code(value: Any) -> str | None:
    code = _optional_text(value, "growing_area_code", 64)
    if code:
        code = re.sub(r"\s+", "", code).upper()
        if not AREA_CODE_RE.match(code):
            raise ValidationError(
                "growing_area_code",
                _("Mã số vùng trồng chỉ gồm chữ, số và dấu gạch (ví dụ VN-BG-LN-0012)."),
            )
    return code


# ---------------------------------------------------------------------------
# Stalls
# ---------------------------------------------------------------------------

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
            out[name] = _optional_text(data.get(name), name, 80)
    for name in ("phone", "zalo"):
        with checks.field():
            out[name] = _clean_phone(data.get(name), name)
    with checks.field():
        _clean_bank(data, out)
    with checks.field():
        _clean_producer({k: data.get(k) for k in (
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
    from marketplace.payments.vietqr import VietQRError, parse_payload
    from marketplace.provenance.qr import read_qr

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
    invalidate_product_pages()  # a stall's name, place, phone or state shows on its pages


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
    phone = _clean_phone(phone, "phone")
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


# ---------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------

PRODUCT_FIELDS = (
    "name", "category", "description", "unit", "net_weight_kg", "price", "stock", "active",
    "gtin", "producer_name", "producer_kind", "producer_address", "growing_area",
    "growing_area_code", "variety", "planting_year", "harvest_start", "harvest_end",
    "ocop_stars", "ocop_year",
)
REQUIRED_PRODUCT_FIELDS = ("name", "category", "unit", "net_weight_kg", "price")


def clean_product(data: Mapping[str, Any], product: Product | None = None) -> dict[str, Any]:
    """Validate the product fields present in data; return them typed and normalised.

    Every field is checked, so a seller sees all of their mistakes at once (ValidationErrors).
    """
    out: dict[str, Any] = {}
    checks = Checks()
    if product is None:
        # A new product needs the required fields even when a CSV leaves them out.
        data = {**dict.fromkeys(REQUIRED_PRODUCT_FIELDS), **data}
    simple = {
        "name": lambda v: text_field(v, "name", 160, required=True,
                                missing=_l("Vui lòng nhập tên sản phẩm.")),
        "category": _category,
        "description": lambda v: text_field(v, "description", 5000, multiline=True),
        "unit": _unit,
        "net_weight_kg": parse_weight,
        "price": parse_price,
        "active": _bool,
        "gtin": lambda v: _gtin(v, product),
        "variety": lambda v: _optional_text(v, "variety", 120),
        "planting_year": lambda v: _optional_int(v, "planting_year", 1900, _this_year()),
        "harvest_start": lambda v: _optional_date(v, "harvest_start"),
        "harvest_end": lambda v: _optional_date(v, "harvest_end"),
        "ocop_stars": lambda v: _optional_int(v, "ocop_stars", 3, 5),
        "ocop_year": lambda v: _optional_int(v, "ocop_year", 2018, _this_year()),
    }
    for name, clean in simple.items():
        if name in data:
            with checks.field():
                out[name] = clean(data[name])
    # Stock and selling step are read in the product's unit: 12,5 kg, but whole jars.
    unit = out.get("unit", product.unit if product is not None else None)
    with checks.field():
        if "stock" in data:
            out["stock"] = parse_stock(data["stock"], unit)
        elif "unit" in out and product is not None and not is_divisible(unit) and (
                exact(product.stock) != exact(product.stock).to_integral_value()):
            raise ValidationError("stock", _("Sản phẩm bán theo cái, gói… cần số lượng tồn là "
                                             "số nguyên."))
    with checks.field():
        if "quantity_step" in data:
            out["quantity_step"] = parse_step(data["quantity_step"], unit)
        elif "unit" in out and (product is None or out["unit"] != product.unit):
            out["quantity_step"] = default_step(unit)  # a CSV without the column keeps it
    with checks.field():
        _clean_producer(data, out)
    if not checks.failed("harvest_start", "harvest_end"):
        start = out.get("harvest_start", product.harvest_start if product else None)
        end = out.get("harvest_end", product.harvest_end if product else None)
        with checks.field():
            if end and not start:
                raise ValidationError("harvest_start", _("Vui lòng nhập ngày bắt đầu thu hoạch."))
            if start and end and end < start:
                raise ValidationError("harvest_end", _("Ngày kết thúc phải sau ngày bắt đầu."))
    if not checks.failed("ocop_stars", "ocop_year"):
        stars = out.get("ocop_stars", product.ocop_stars if product else None)
        year = out.get("ocop_year", product.ocop_year if product else None)
        with checks.field():
            if stars and not year:
                raise ValidationError("ocop_year", _("Vui lòng nhập năm được công nhận OCOP."))
            if year and not stars:
                raise ValidationError("ocop_stars", _("Vui lòng chọn số sao OCOP."))
    checks.done()
    return out


def _category(value: Any) -> str:
    category = text_field(value, "category", 40)
    if category not in CATEGORY_KEYS:
        raise ValidationError("category", _("Vui lòng chọn một danh mục trong danh sách."))
    return category


def _unit(value: Any) -> str:
    unit = text_field(value, "unit", 16)
    if unit not in UNITS:
        raise ValidationError("unit", _("Vui lòng chọn một đơn vị tính trong danh sách."))
    return unit


def _gtin(value: Any, product: Product | None) -> str | None:
    raw = text_field(value, "gtin", 20)
    gtin = validate_gtin(raw) if raw else None
    if gtin:
        query = sa.select(Product.id).where(Product.gtin == gtin)
        if product is not None and product.id is not None:
            query = query.where(Product.id != product.id)
        if db.session.scalar(query) is not None:
            raise ValidationError("gtin", _("Mã GTIN này đã gắn với sản phẩm khác."))
    return gtin


def _unused_code() -> str:
    for _attempt in range(20):
        code = new_code()
        if db.session.scalar(sa.select(Product.id).where(Product.code == code)) is None:
            return code
    raise Conflict(_("Không tạo được mã sản phẩm, vui lòng thử lại."))


def _add_photos(product: Product, photos: Iterable[bytes]) -> None:
    photos = [raw for raw in photos if raw]
    if len(product.images) + len(photos) > MAX_PHOTOS:
        raise ValidationError("photos", _("Mỗi sản phẩm có tối đa %(n)s ảnh.", n=MAX_PHOTOS))
    try:
        check_pixel_budget(photos)
    except ValidationError as exc:
        raise ValidationError("photos", exc.reason) from None
    position = max((img.position for img in product.images), default=-1) + 1
    for raw in photos:
        try:
            image = save_image(raw)
        except ValidationError as exc:
            raise ValidationError("photos", exc.reason) from None
        db.session.flush()
        product.images.append(ProductImage(image_id=image.id, position=position))
        position += 1


def _save_product(product: Product, photos: Iterable[bytes]) -> Product:
    try:
        _add_photos(product, photos)
        db.session.commit()
    except ValidationError:
        db.session.rollback()
        raise
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ValidationError(None, _("Không lưu được sản phẩm, vui lòng thử lại.")) from None
    invalidate_product_pages()
    return product


def create_product(stall: Stall, data: Mapping[str, Any], photos: Iterable[bytes] = ()) -> Product:
    """Add a product to a stall with a fresh public code and its photos."""
    values = clean_product(data)
    values.setdefault("active", True)
    product = Product(stall=stall, code=_unused_code(), **values)
    db.session.add(product)
    return _save_product(product, photos)


def update_product(product: Product, data: Mapping[str, Any],
                   photos: Iterable[bytes] = ()) -> Product:
    """Change a product's details and add any new photos."""
    values = clean_product(data, product)
    for name, value in values.items():
        setattr(product, name, value)
    return _save_product(product, photos)


def set_product_active(product: Product, active: bool) -> None:
    """Put a product on sale or take it off (its label URL keeps working)."""
    product.active = active
    db.session.commit()
    invalidate_product_pages()


def remove_product_photo(product: Product, photo_id: int) -> None:
    """Delete one of a product's photos."""
    photo = next((p for p in product.images if p.id == photo_id), None)
    if photo is None:
        raise ValidationError(None, _("Không tìm thấy ảnh."))
    image_id = photo.image_id
    product.images.remove(photo)
    db.session.flush()
    still_used = db.session.scalar(
        sa.select(sa.func.count()).select_from(ProductImage)
        .where(ProductImage.image_id == image_id)
    )
    if not still_used:
        db.session.execute(sa.delete(StoredImage).where(StoredImage.id == image_id))
    db.session.commit()
    invalidate_product_pages()


def products_of(stall: Stall) -> list[Product]:
    """Return all of a stall's products, active first, then by name."""
    return list(db.session.scalars(
        sa.select(Product).where(Product.stall_id == stall.id)
        .order_by(Product.active.desc(), Product.name)
    ))


# ---------------------------------------------------------------------------
# CSV import and export
# ---------------------------------------------------------------------------

CSV_COLUMNS = ("code", *PRODUCT_FIELDS)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return csv_cell(str(value))


def export_products_csv(stall: Stall) -> bytes:
    """Write a stall's products as CSV (UTF-8 with BOM so Excel shows the accents)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for product in sorted(stall.products, key=lambda p: p.id):
        writer.writerow([_csv_cell(getattr(product, name)) for name in CSV_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@dataclass
class RowError:
    """Why one line of an uploaded CSV was refused."""

    line: int
    column: str | None
    reason: str


class ImportRejected(DomainError):
    """The CSV had bad rows; nothing from it was saved."""

    def __init__(self, errors: list[RowError]):
        super().__init__(_("Tệp có lỗi, chưa lưu gì."))
        self.errors = errors


@dataclass
class ImportResult:
    """How many products an import created and updated."""

    created: int = 0
    updated: int = 0
    codes: list[str] = field(default_factory=list)


def _csv_value(cell: str) -> str:
    """Undo the quote the export puts before formula-like cells."""
    return unquote_csv_cell(cell)


def _read_csv(raw: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    if not raw:
        raise ImportRejected([RowError(0, None, _("Tệp trống."))])
    if len(raw) > MAX_CSV_BYTES:
        raise ImportRejected([RowError(0, None, _("Tệp quá lớn (tối đa 2 MB)."))])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected(
            [RowError(0, None, _("Tệp phải lưu dạng CSV UTF-8."))]
        ) from None
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ImportRejected([RowError(0, None, _("Tệp trống."))]) from None
    except csv.Error as exc:
        raise ImportRejected([RowError(1, None, str(exc))]) from None
    rows: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_CSV_ROWS:
                raise ImportRejected([RowError(start, None, _("Tệp có quá nhiều dòng."))])
            if len(cells) > len(header):
                rows.append((start, {"__error__": _("Dòng có nhiều ô hơn tiêu đề.")}))
                continue
            rows.append((start, dict(zip(header, map(_csv_value, cells), strict=False))))
    except csv.Error as exc:
        raise ImportRejected([RowError(line + 1, None, str(exc))]) from None
    return header, rows


def import_products_csv(stall: Stall, raw: bytes) -> ImportResult:
    """Create or update a stall's products from CSV: all rows valid, or nothing saved."""
    header, rows = _read_csv(raw)
    unknown = [h for h in header if h and h not in CSV_COLUMNS]
    missing = [c for c in REQUIRED_PRODUCT_FIELDS if c not in header]
    if unknown or missing:
        errors = [RowError(1, col, _("Cột không được hỗ trợ.")) for col in unknown]
        errors += [RowError(1, col, _("Thiếu cột bắt buộc.")) for col in missing]
        raise ImportRejected(errors)
    if not rows:
        raise ImportRejected([RowError(2, None, _("Tệp không có dòng sản phẩm nào."))])
    existing = {p.code: p for p in stall.products}
    errors: list[RowError] = []
    planned: list[tuple[Product | None, dict[str, Any]]] = []
    seen_codes: dict[str, int] = {}
    seen_gtins: dict[str, int] = {}
    for line, cells in rows:
        if "__error__" in cells:
            errors.append(RowError(line, None, cells["__error__"]))
            continue
        data = {k: v for k, v in cells.items() if k and k != "code"}
        code = (cells.get("code") or "").strip().upper()
        product = None
        if code:
            product = existing.get(code)
            if product is None:
                errors.append(RowError(line, "code", _("Mã %(code)s không thuộc gian hàng này.",
                                                       code=code)))
                continue
            if code in seen_codes:
                errors.append(RowError(line, "code", _("Mã %(code)s lặp lại (dòng %(n)s).",
                                                       code=code, n=seen_codes[code])))
                continue
            seen_codes[code] = line
        try:
            values = clean_product(data, product)
        except ValidationError as exc:
            errors.append(RowError(line, exc.field, exc.reason))
            continue
        gtin = values.get("gtin")
        if gtin:
            if gtin in seen_gtins:
                errors.append(RowError(line, "gtin", _("Mã GTIN lặp lại (dòng %(n)s).",
                                                       n=seen_gtins[gtin])))
                continue
            seen_gtins[gtin] = line
        planned.append((product, values))
    if errors:
        raise ImportRejected(errors)
    result = ImportResult()
    for product, values in planned:
        if product is None:
            values.setdefault("active", True)
            product = Product(stall=stall, code=_unused_code(), **values)
            db.session.add(product)
            db.session.flush()
            result.created += 1
        else:
            for name, value in values.items():
                setattr(product, name, value)
            result.updated += 1
        result.codes.append(product.code)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ImportRejected(
            [RowError(0, None, _("Dữ liệu trùng với sản phẩm khác (mã hoặc GTIN)."))]
        ) from None
    invalidate_product_pages()
    return result


# ---------------------------------------------------------------------------
# Public pages
# ---------------------------------------------------------------------------


def public_stall(slug: str) -> Stall | None:
    """Return an active stall by slug."""
    return db.session.scalar(sa.select(Stall).where(Stall.slug == slug, Stall.active))


def on_sale(stall: Stall) -> list[Product]:
    """Return a stall's active products for its public page."""
    return list(db.session.scalars(
        sa.select(Product).where(Product.stall_id == stall.id, Product.active)
        .options(selectinload(Product.images)).order_by(Product.name)
    ))


def _like_word(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass
class BrowseFilters:
    """What a shopper asked the browse page for."""

    q: str = ""
    category: str = ""
    province: str = ""
    certificate: str = ""
    ocop_min: int | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> BrowseFilters:
        ocop = (args.get("ocop") or "").strip()
        category = (args.get("category") or "").strip()
        return cls(
            q=(args.get("q") or "").strip()[:100],
            category=category if category in CATEGORY_KEYS else "",
            province=(args.get("province") or "").strip()[:80],
            certificate=(args.get("certificate") or "").strip()[:40],
            ocop_min=int(ocop) if ocop in {"3", "4", "5"} else None,
        )


def browse_query(filters: BrowseFilters) -> sa.Select:
    """Build the query of active products matching the filters, newest first."""
    from marketplace.provenance.models import Certificate

    query = (
        sa.select(Product).join(Product.stall)
        .where(Product.active, Stall.active)
        .options(selectinload(Product.images), selectinload(Product.stall))
        .order_by(Product.id.desc())
    )
    for word in search_key(filters.q).split()[:8]:
        pattern = _like_word(word)
        query = query.where(sa.or_(
            Product.search_text.like(pattern, escape="\\"),
            Stall.search_text.like(pattern, escape="\\"),
        ))
    if filters.category:
        query = query.where(Product.category == filters.category)
    if filters.province:
        query = query.where(Stall.province == filters.province)
    if filters.ocop_min:
        query = query.where(Product.ocop_stars >= filters.ocop_min)
    if filters.certificate:
        today = vn_today()
        query = query.where(
            sa.exists().where(
                Certificate.kind == filters.certificate,
                sa.or_(Certificate.valid_until.is_(None), Certificate.valid_until >= today),
                sa.or_(Certificate.product_id == Product.id,
                       Certificate.stall_id == Product.stall_id),
            )
        )
    return query


def browse_products(filters: BrowseFilters, page: int = 1):
    """Return one page (24 products) of the browse results."""
    return db.paginate(browse_query(filters), page=max(page, 1), per_page=PER_PAGE,
                       error_out=False, max_per_page=PER_PAGE)


def browse_choices() -> dict[str, list]:
    """List the provinces and (certificate kind, label) pairs that filters can offer."""
    from marketplace.provenance import models as provenance

    Certificate = provenance.Certificate  # noqa: N806
    labels = getattr(provenance, "CERTIFICATE_KINDS", {})

    provinces = db.session.scalars(
        sa.select(Stall.province).distinct()
        .where(Stall.active, Stall.province.is_not(None), Stall.province != "")
        .order_by(Stall.province)
    )
    kinds = db.session.scalars(sa.select(Certificate.kind).distinct().order_by(Certificate.kind))
    return {
        "provinces": list(provinces),
        "certificates": [(kind, str(labels.get(kind, kind))) for kind in kinds],
    }
