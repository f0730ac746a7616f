"""Account forms: field shape only; rules live in services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length, Optional


class RegisterForm(FlaskForm):
    name = StringField(_l("Họ tên"), validators=[DataRequired(_l("Vui lòng nhập họ tên.")),
                                                 Length(max=120)])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Số điện thoại"), validators=[Optional(), Length(max=20)])
    password = PasswordField(
        _l("Mật khẩu"),
        validators=[DataRequired(_l("Vui lòng nhập mật khẩu.")), Length(min=8, max=128,
                    message=_l("Mật khẩu cần từ 8 đến 128 ký tự."))],
    )
    role = RadioField(
        _l("Bạn là"),
        choices=[
            SelectChoice("shopper", _l("Người mua")),
            SelectChoice("seller", _l("Người bán (chủ gian hàng)")),
        ],
        default="shopper",
        validators=[DataRequired()],
    )


class LoginForm(FlaskForm):
    login = StringField(
        _l("Email hoặc số điện thoại"),
        validators=[DataRequired(_l("Vui lòng nhập email hoặc số điện thoại.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Mật khẩu"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu.")), Length(max=128)]
    )
    remember = BooleanField(_l("Ghi nhớ đăng nhập"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Mật khẩu hiện tại"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("Mật khẩu mới"),
        validators=[DataRequired(), Length(min=8, max=128,
                    message=_l("Mật khẩu cần từ 8 đến 128 ký tự."))],
    )
