"""The account's message settings."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField


class NotificationsForm(FlaskForm):
    notify_orders = BooleanField(_l("Gửi email cho tôi khi gian hàng có đơn mới"))
    notify_zalo = BooleanField(_l("Nhắn cho tôi qua Zalo (số điện thoại của tài khoản)"))
    notify_daily_summary = BooleanField(
        _l("Gửi tôi bản tổng kết cuối ngày của các phiên chợ tôi tổ chức"))
