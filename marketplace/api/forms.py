"""Form to name a new API token."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class TokenForm(FlaskForm):
    """The name an organizer gives a token (to recognise it later)."""

    name = StringField(_l("Tên khoá"), validators=[DataRequired(), Length(max=80)])
