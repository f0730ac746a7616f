"""Upload form for marketplace exports."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, SelectField

from marketplace.sanitize import row_id


class UploadForm(FlaskForm):
    """One or more export files for one stall."""

    stall = SelectField(_l("Gian hàng"), coerce=row_id)
    files = MultipleFileField(
        _l("Tệp xuất đơn hàng (Shopee, Lazada, TikTok Shop — .xlsx hoặc .csv)"),
        render_kw={"accept": ".xlsx,.csv", "multiple": True})
