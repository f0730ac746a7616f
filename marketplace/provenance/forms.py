"""Provenance forms: field shape only; rules live in services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.forms import DateInRange
from marketplace.provenance.models import CERTIFICATE_KINDS


class BatchForm(FlaskForm):
    code = StringField(
        _l("Mã lô"), validators=[DataRequired(_l("Vui lòng nhập mã lô.")), Length(max=40)]
    )
    produced_on = DateField(_l("Ngày thu hoạch / sản xuất"),
                            validators=[Optional(), DateInRange()])
    quantity = IntegerField(_l("Số lượng"), validators=[Optional(), NumberRange(min=0)])
    best_before = DateField(_l("Hạn sử dụng"), validators=[Optional(), DateInRange()])
    note = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=2000)])


class StepForm(FlaskForm):
    happened_on = DateField(_l("Ngày"), validators=[DataRequired(_l("Vui lòng chọn ngày.")),
                                                    DateInRange()])
    step = StringField(
        _l("Công việc"),
        validators=[DataRequired(_l("Vui lòng nhập công việc.")), Length(max=160)],
    )
    note = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=2000)])
    photo = FileField(_l("Ảnh (không bắt buộc)"))


class CertificateForm(FlaskForm):
    kind = SelectField(
        _l("Loại chứng nhận"),
        choices=[SelectChoice(key, label) for key, label in CERTIFICATE_KINDS.items()],
    )
    number = StringField(
        _l("Số chứng nhận"),
        validators=[DataRequired(_l("Vui lòng nhập số chứng nhận.")), Length(max=80)],
    )
    issuer = StringField(_l("Nơi cấp"), validators=[Optional(), Length(max=160)])
    valid_until = DateField(_l("Có hiệu lực đến"), validators=[Optional(), DateInRange()])
    photo = FileField(_l("Ảnh chụp giấy chứng nhận (không bắt buộc)"))
    for_stall = BooleanField(_l("Áp dụng cho cả gian hàng"))
