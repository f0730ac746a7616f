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


def _new_password(label=_l("Mật khẩu mới")) -> PasswordField:
    return PasswordField(label, validators=[
        DataRequired(_l("Vui lòng nhập mật khẩu.")),
        Length(min=8, max=128, message=_l("Mật khẩu cần từ 8 đến 128 ký tự.")),
    ])


class ForgotPasswordForm(FlaskForm):
    email = StringField(
        _l("Email"),
        validators=[DataRequired(_l("Vui lòng nhập email.")), Length(max=254)],
    )


class ResetPasswordForm(FlaskForm):
    password = _new_password()


class ResetWithCodeForm(FlaskForm):
    phone = StringField(
        _l("Số điện thoại"),
        validators=[DataRequired(_l("Vui lòng nhập số điện thoại.")), Length(max=20)],
    )
    code = StringField(
        _l("Mã đặt lại mật khẩu"),
        validators=[DataRequired(_l("Vui lòng nhập mã.")), Length(max=40)],
    )
    password = _new_password()


class IssueResetCodeForm(FlaskForm):
    phone = StringField(
        _l("Số điện thoại của người bán"),
        validators=[DataRequired(_l("Vui lòng nhập số điện thoại của người bán.")),
                    Length(max=20)],
    )
