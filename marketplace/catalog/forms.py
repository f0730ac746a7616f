"""Catalog forms: field shape only; services parse and validate the values."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField

from marketplace.catalog.banks import load_banks
from marketplace.catalog.categories import CATEGORIES, PRODUCER_KINDS, UNIT_LABELS, UNITS


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _producer_kind_choices() -> list[SelectChoice]:
    return _choices([("", _l("— Chọn —")), *PRODUCER_KINDS])


class ProducerFieldsMixin:
    producer_name = StringField(_l("Tên nhà sản xuất / hộ sản xuất"))
    producer_kind = SelectField(_l("Loại hình"), choices=_producer_kind_choices(),
                                validate_choice=False)
    producer_address = StringField(_l("Địa chỉ sản xuất"))
    growing_area = StringField(_l("Vùng trồng / nơi sản xuất"))
    growing_area_code = StringField(_l("Mã số vùng trồng"))


class StallForm(ProducerFieldsMixin, FlaskForm):
    name = StringField(_l("Tên gian hàng"))
    slug = StringField(_l("Địa chỉ trang gian hàng"))
    story = TextAreaField(_l("Câu chuyện gian hàng"))
    logo = FileField(_l("Ảnh đại diện / logo"))
    commune = StringField(_l("Xã / phường"))
    district = StringField(_l("Huyện / quận"))
    province = StringField(_l("Tỉnh / thành phố"))
    phone = StringField(_l("Số điện thoại"))
    zalo = StringField(_l("Số Zalo"))
    bank_bin = SelectField(_l("Ngân hàng"), validate_choice=False)
    bank_account_number = StringField(_l("Số tài khoản"))
    bank_account_name = StringField(_l("Tên chủ tài khoản"))
    bank_qr_image = FileField(_l("Ảnh mã QR nhận tiền của tài khoản"))
    bank_qr_text = StringField(_l("…hoặc dán nội dung mã QR"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bank_bin.choices = _choices([("", _l("— Chưa có tài khoản —"))] + [
            (bank.bin, f"{bank.short_name} — {bank.name}") for bank in load_banks()
        ])


class ProductForm(ProducerFieldsMixin, FlaskForm):
    name = StringField(_l("Tên sản phẩm"))
    category = SelectField(_l("Danh mục"), choices=_choices([("", _l("— Chọn —")), *CATEGORIES]),
                           validate_choice=False)
    description = TextAreaField(_l("Mô tả"))
    unit = SelectField(_l("Đơn vị tính"), choices=_choices((u, UNIT_LABELS[u]) for u in UNITS),
                       validate_choice=False)
    net_weight_kg = StringField(_l("Khối lượng tịnh mỗi đơn vị (kg)"))
    price = StringField(_l("Giá bán (đồng)"))
    stock = StringField(_l("Số lượng tồn"))
    quantity_step = StringField(_l("Bán theo bước (kg, lít)"))
    active = BooleanField(_l("Đang bán"), default=True)
    gtin = StringField(_l("Mã vạch GTIN (nếu có)"))
    photos = MultipleFileField(_l("Thêm ảnh"))
    variety = StringField(_l("Giống"))
    planting_year = StringField(_l("Năm trồng"))
    harvest_start = StringField(_l("Thu hoạch từ ngày"))
    harvest_end = StringField(_l("đến ngày"))
    ocop_stars = SelectField(
        _l("Sao OCOP"),
        choices=_choices([("", _l("Không có")), ("3", "3★"), ("4", "4★"), ("5", "5★")]),
        validate_choice=False,
    )
    ocop_year = StringField(_l("Năm công nhận OCOP"))


class HandoverForm(FlaskForm):
    phone = StringField(_l("Số điện thoại người bán"))
    name = StringField(_l("Họ tên người bán (nếu chưa có tài khoản)"))


class ImportForm(FlaskForm):
    file = FileField(_l("Tệp CSV"))
