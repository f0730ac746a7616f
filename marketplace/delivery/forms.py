"""Delivery zone form (shape only; services check the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from marketplace.delivery import units


class ZoneForm(FlaskForm):
    province = SelectField(_l("Tỉnh/thành"), choices=[], validate_choice=False)
    communes = TextAreaField(_l("Chỉ giao đến các xã/phường này (không bắt buộc)"))
    fee = StringField(_l("Phí giao hàng (đ)"))
    free_from = StringField(_l("Miễn phí giao cho đơn từ (đ, không bắt buộc)"))


def zone_form(**kwargs) -> ZoneForm:
    """A zone form offering the 34 provinces and cities."""
    form = ZoneForm(**kwargs)
    form.province.choices = [("", _l("— Chọn tỉnh/thành —"))] + [
        (str(int(p.code)), p.name) for p in units.provinces()]
    return form
