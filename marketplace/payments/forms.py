"""Forms for the payment ledger, bank statement reconciliation and card checkout."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from marketplace.once.forms import OnceForm


class VndField(StringField):
    """An amount in VND typed the Vietnamese way ("50.000", "50000", "50.000 ₫")."""

    def process_formdata(self, valuelist):
        from marketplace.payments.reconcile import parse_amount

        self.raw = valuelist[0] if valuelist else ""
        self.data = parse_amount(self.raw) if self.raw.strip() else None
        if self.raw.strip() and self.data is None:
            raise ValueError(_l("Số tiền không hợp lệ (ví dụ: 45.000)."))

    def _value(self):
        if getattr(self, "raw", None) is not None:
            return self.raw
        return f"{self.data:,}".replace(",", ".") if isinstance(self.data, int) else ""


class CashForm(OnceForm):
    amount = VndField(_l("Số tiền mặt đã nhận (₫)"), validators=[InputRequired()])

    def validate_amount(self, field):
        if field.data is not None and field.data <= 0:
            raise ValidationError(_l("Nhập số tiền lớn hơn 0."))


def new_cash_form(owed: int) -> CashForm:
    """Return a blank cash form for an order, offering what is owed, with a fresh key."""
    return CashForm(formdata=None, amount=owed or None)


class StatementForm(FlaskForm):
    statement = FileField(
        _l("Tệp sao kê ngân hàng (CSV)"),
        validators=[FileRequired(_l("Chọn tệp sao kê."))],
    )


class ConfirmStatementForm(OnceForm):
    """Confirm stored lines, chosen by id as checkboxes named "line" (the text stays stored)."""


class CardForm(FlaskForm):
    t = HiddenField()


class CorrectionForm(OnceForm):
    reason = TextAreaField(
        _l("Lý do sửa"),
        validators=[InputRequired(_l("Ghi rõ lý do sửa khoản ghi nhầm.")), Length(max=500)],
    )


class RefundForm(OnceForm):
    reason = TextAreaField(_l("Lý do hoàn tiền (không bắt buộc)"), validators=[Length(max=500)])
