"""Fair, booth and campaign forms: field shape and input parsing only; rules live in services."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.forms import DateInRange
from marketplace.sanitize import row_id

# datetime-local sends 2024-03-01T08:00; a phone without it lets people type 01/03/2024 08:00.
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"]
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")


def parse_vn_decimal(raw: str) -> Decimal:
    """Read 50 / 50,5 / 50.5 / 50.000 (Vietnamese thousands) as a Decimal."""
    text = raw.strip().replace(" ", "")
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    elif _THOUSANDS.match(text):
        text = text.replace(".", "")
    value = Decimal(text)
    if not value.is_finite():
        raise InvalidOperation
    return value


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the option objects WTForms expects."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


class VNDecimalField(StringField):
    """A decimal typed the Vietnamese way (comma decimals, dot thousands)."""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        try:
            self.data = parse_vn_decimal(valuelist[0])
        except (InvalidOperation, ValueError):
            raise ValueError(_l("Vui lòng nhập một số (ví dụ: 50 hoặc 12,5).")) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format(self.data.normalize(), "f")


class VNDField(StringField):
    """An amount of dong, typed with or without dots: 50.000.000 or 50000000."""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        text = re.sub(r"[\s.,₫đĐ]|vnd|VND", "", valuelist[0])
        if not (text.isascii() and text.isdigit()):
            raise ValueError(_l("Vui lòng nhập số tiền bằng chữ số (ví dụ: 50.000.000)."))
        self.data = int(text)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)


class CheckboxesField(SelectMultipleField):
    """Several choices shown as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class FairForm(FlaskForm):
    name = StringField(_l("Tên phiên chợ"), validators=[
        DataRequired(_l("Vui lòng nhập tên phiên chợ.")), Length(max=160)])
    slug = StringField(_l("Đường dẫn (để trống sẽ tự tạo từ tên)"),
                       validators=[Optional(), Length(max=80)])
    venue = StringField(_l("Địa điểm"), validators=[
        DataRequired(_l("Vui lòng nhập địa điểm.")), Length(max=160)])
    address = StringField(_l("Địa chỉ"), validators=[Optional(), Length(max=255)])
    starts_at = DateTimeLocalField(
        _l("Bắt đầu"), format=DATETIME_FORMATS,
        invalid_value_message=_l("Ngày giờ không đúng định dạng (ví dụ: 15/06/2024 08:00)."),
        validators=[InputRequired(_l("Vui lòng nhập thời gian bắt đầu.")), DateInRange()])
    ends_at = DateTimeLocalField(
        _l("Kết thúc"), format=DATETIME_FORMATS,
        invalid_value_message=_l("Ngày giờ không đúng định dạng (ví dụ: 17/06/2024 21:00)."),
        validators=[InputRequired(_l("Vui lòng nhập thời gian kết thúc.")), DateInRange()])
    description = TextAreaField(_l("Giới thiệu"), validators=[Optional(), Length(max=5000)])
    cover = FileField(_l("Ảnh bìa"))
    published = BooleanField(_l("Công bố (hiện với mọi người)"))
    public_board = BooleanField(_l("Bảng doanh số công khai"))


class DecisionForm(FlaskForm):
    """Accept with a booth number, or decline with a reason."""

    booth_number = StringField(_l("Số gian"))
    reason = StringField(_l("Lý do"))


class AddStallForm(FlaskForm):
    stall_id = SelectField(_l("Gian hàng"), coerce=row_id, validate_choice=False)
    booth_number = StringField(_l("Số gian"))


class ApplyForm(FlaskForm):
    stall_id = SelectField(_l("Gian hàng"), coerce=row_id, validate_choice=False)


class CampaignForm(FlaskForm):
    name = StringField(_l("Tên chiến dịch"), validators=[
        DataRequired(_l("Vui lòng nhập tên chiến dịch.")), Length(max=200)])
    slug = StringField(_l("Đường dẫn (để trống sẽ tự tạo từ tên)"),
                       validators=[Optional(), Length(max=80)])
    description = TextAreaField(_l("Giới thiệu"), validators=[Optional(), Length(max=5000)])
    starts_on = DateField(
        _l("Từ ngày"), format=DATE_FORMATS,
        invalid_value_message=_l("Ngày không đúng định dạng (ví dụ: 15/06/2023)."),
        validators=[InputRequired(_l("Vui lòng nhập ngày bắt đầu.")), DateInRange()])
    ends_on = DateField(
        _l("Đến ngày (tính cả ngày này)"), format=DATE_FORMATS,
        invalid_value_message=_l("Ngày không đúng định dạng (ví dụ: 02/07/2023)."),
        validators=[InputRequired(_l("Vui lòng nhập ngày kết thúc.")), DateInRange()])
    goal_weight = VNDecimalField(_l("Mục tiêu sản lượng"))
    goal_unit = SelectField(_l("Đơn vị"), choices=choices([("kg", _l("kg")), ("t", _l("tấn"))]),
                            default="kg")
    goal_vnd = VNDField(_l("Mục tiêu doanh thu (đồng)"))
    categories = CheckboxesField(_l("Nhóm sản phẩm"), validate_choice=False)
    stalls = SelectMultipleField(_l("Gian hàng"), coerce=row_id, validate_choice=False)
    products = SelectMultipleField(_l("Sản phẩm"), coerce=row_id, validate_choice=False)
    channels = CheckboxesField(_l("Kênh bán được tính"), validate_choice=False)
    published = BooleanField(_l("Công bố (hiện với mọi người)"))
    public_board = BooleanField(_l("Bảng doanh số công khai"))
