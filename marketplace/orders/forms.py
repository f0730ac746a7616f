"""Checkout, manual order, sale and cancel forms (shape only; services check the rules)."""

from __future__ import annotations

import functools

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, StringField, TextAreaField

from marketplace.once.forms import OnceForm
from marketplace.orders.labels import FULFILMENT, PAYMENT, PAYMENT_AT_CHECKOUT


class FindOrderForm(FlaskForm):
    code = StringField(_l("Mã đơn hàng"))
    phone = StringField(_l("Số điện thoại đã dùng khi đặt"))


class CheckoutForm(OnceForm):
    customer_name = StringField(_l("Họ tên người nhận"))
    customer_phone = StringField(_l("Số điện thoại"))
    delivery_address = TextAreaField(_l("Địa chỉ giao hàng (khi chọn giao tận nơi)"))
    delivery_province = StringField(_l("Tỉnh/thành nhận hàng"))
    delivery_commune = StringField(_l("Xã/phường nhận hàng"))
    note = TextAreaField(_l("Ghi chú cho người bán"))
    customer_email = StringField(_l("Email nhận thông báo đơn hàng (không bắt buộc)"))
    notify_zalo = BooleanField(_l("Nhắn cho tôi qua Zalo khi đơn được xác nhận và sẵn sàng"))


def checkout_form_for(groups, formdata=None, **kwargs) -> CheckoutForm:
    """A checkout form with a fulfilment and a payment choice for each stall in the cart."""
    form_class = _checkout_form_class(tuple(
        (g.stall.id, tuple(g.fulfilment_options), tuple(g.payment_options)) for g in groups
    ))
    if formdata is not None:
        return form_class(formdata=formdata, **kwargs)
    return form_class(**kwargs)


@functools.lru_cache(maxsize=256)
def _checkout_form_class(stalls: tuple[tuple[int, tuple[str, ...], tuple[str, ...]], ...]):
    # Building a form class costs more than the rest of the form's work: carts repeat, so the
    # class is made once per set of (stall, options). Labels stay lazy: translated per request.
    class StallCheckoutForm(CheckoutForm):
        pass

    for sid, fulfilment_options, payment_options in stalls:
        setattr(StallCheckoutForm, f"fulfilment_{sid}", RadioField(
            _l("Cách nhận hàng"),
            choices=[SelectChoice(k, FULFILMENT[k]) for k in fulfilment_options],
            default=fulfilment_options[0], validate_choice=False,
        ))
        setattr(StallCheckoutForm, f"payment_{sid}", RadioField(
            _l("Cách thanh toán"),
            choices=[SelectChoice(k, PAYMENT_AT_CHECKOUT[k]) for k in payment_options],
            default=payment_options[0], validate_choice=False,
        ))
    return StallCheckoutForm


class SaleForm(OnceForm):
    """The confirm step of a booth sale: how the buyer pays."""

    method = RadioField(_l("Khách trả bằng"), choices=[], validate_choice=False, default="cash")
    cash_given = StringField(_l("Khách đưa (tiền mặt)"))


def sale_form_for(options: list[str], **kwargs) -> SaleForm:
    form = SaleForm(**kwargs)
    form.method.choices = [SelectChoice(k, PAYMENT[k]) for k in options]
    return form


class ManualOrderForm(OnceForm):
    customer_name = StringField(_l("Họ tên khách"))
    customer_phone = StringField(_l("Số điện thoại"))
    delivery_address = TextAreaField(_l("Địa chỉ giao hàng"))
    note = TextAreaField(_l("Ghi chú"))
    channel = RadioField(_l("Khách đặt qua"), choices=[
        SelectChoice("livestream", _l("Livestream / Zalo / điện thoại")),
        SelectChoice("online", _l("Trực tuyến (mạng xã hội, tin nhắn)")),
    ], default="livestream", validate_choice=False)
    fulfilment = RadioField(_l("Cách nhận hàng"), choices=[], validate_choice=False)
    method = RadioField(_l("Cách thanh toán"), choices=[], validate_choice=False, default="cash")
    paid = BooleanField(_l("Khách đã trả tiền"))


def manual_form_for(fulfilment_options: list[str], payment_options: list[str],
                    **kwargs) -> ManualOrderForm:
    form = ManualOrderForm(**kwargs)
    form.fulfilment.choices = [SelectChoice(k, FULFILMENT[k]) for k in fulfilment_options]
    if not form.fulfilment.data:
        form.fulfilment.data = fulfilment_options[0]
    form.method.choices = [SelectChoice(k, PAYMENT[k]) for k in payment_options]
    return form


class CancelForm(OnceForm):
    reason = StringField(_l("Lý do hủy"))
