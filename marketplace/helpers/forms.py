"""Helper forms: field shape only; rules live in services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


def _name() -> StringField:
    return StringField(_l("Họ tên"), validators=[DataRequired(_l("Vui lòng nhập họ tên.")),
                                                 Length(max=120)])


def _phone() -> StringField:
    return StringField(_l("Số điện thoại"), validators=[
        DataRequired(_l("Vui lòng nhập số điện thoại của người phụ bán.")), Length(max=20)])


def _password() -> PasswordField:
    return PasswordField(_l("Mật khẩu"), validators=[
        DataRequired(_l("Vui lòng nhập mật khẩu.")),
        Length(min=8, max=128, message=_l("Mật khẩu cần từ 8 đến 128 ký tự."))])


class AddHelperForm(FlaskForm):
    name = _name()
    phone = _phone()
    password = _password()


class JoinForm(FlaskForm):
    code = StringField(_l("Mã mời"), validators=[DataRequired(_l("Vui lòng nhập mã mời.")),
                                                 Length(max=20)])
    name = _name()
    phone = _phone()
    password = _password()
