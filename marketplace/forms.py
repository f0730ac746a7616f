"""Forms shared across domains."""

from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state."""


class DateInRange:
    """Refuse dates before 1900 or after 2100 (typos like 0202 or 20255)."""

    def __call__(self, form, field) -> None:
        from flask_babel import gettext as _
        from wtforms.validators import StopValidation

        from marketplace.sanitize import date_in_range

        if not date_in_range(field.data):
            raise StopValidation(_("Ngày phải nằm trong khoảng năm 1900 đến 2100."))
