"""The hidden one-time key field and the form base class that carries it."""

from __future__ import annotations

import secrets

from flask import request, session
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField

from marketplace.once.services import Once, is_key, new_key, once_for

GUEST_TOKEN = "once_guest"


class OnceKeyField(HiddenField):
    """A key made when the form is rendered and posted back as it is."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"data-once": ""})
        super().__init__(label, validators, default=new_key, **kwargs)

    def process_formdata(self, valuelist):
        # A posted form without its key stays without one: the service refuses it.
        self.data = valuelist[0] if valuelist else None

    def _value(self):
        if not is_key(self.data):  # a refused key is replaced, so the form can be sent again
            self.data = new_key()
        return self.data


class OnceForm(FlaskForm):
    """A form whose action happens once, whatever number of times it is posted."""

    once_key = OnceKeyField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not args and "formdata" not in kwargs and self.is_submitted():
            # Flask-WTF treats a POST with an empty body as no form data and would fall back
            # to a fresh default key: the posted key is what counts, missing or not.
            self.once_key.data = request.form.get(self.once_key.name)
        if not current_user.is_authenticated:
            guest_token()

    def once(self, action: str) -> Once:
        """The posted key, bound to who posted it."""
        return request_once(self.once_key.data, action)


def guest_token() -> str:
    """The random token that tells one guest's browser from another's."""
    token = session.get(GUEST_TOKEN)
    if not isinstance(token, str) or len(token) < 32:
        token = session[GUEST_TOKEN] = secrets.token_hex(16)
    return token


def request_once(raw_key: str | None, action: str) -> Once:
    """Bind a posted key to the signed-in user, or to the guest's session."""
    if current_user.is_authenticated:
        return once_for(raw_key, action, actor_id=current_user.id)
    return once_for(raw_key, action, guest_token=guest_token())
