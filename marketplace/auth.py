"""Who may touch what: role decorators and the load-and-authorise helper."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar
from urllib.parse import urlsplit

from flask import abort
from flask_login import current_user
from werkzeug.urls import iri_to_uri

from marketplace.extensions import db, login_manager

T = TypeVar("T")


def role_required(*roles: str):
    """Let only logged-in users with one of the roles through (others get 403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def get_owned_or_404(
    model: type[T], ident, owner_id_of: Callable[[T], int] = lambda obj: obj.owner_id
) -> T:
    """Load a row by primary key; 404 if missing or someone else's (others' ids never leak)."""
    obj = db.get_or_404(model, ident)
    if not current_user.is_authenticated or owner_id_of(obj) != current_user.id:
        abort(404)
    return obj


# What browsers drop from a URL before reading it (WHATWG URL parser): tabs and newlines anywhere,
# C0 controls and spaces at either end. A backslash is read as a slash in http(s) URLs.
_URL_NOISE = str.maketrans("", "", "\t\n\r")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))


def safe_next(target: str | None, default: str) -> str:
    """Return target as a same-site path if a browser would read it as one, else default."""
    if not target or not isinstance(target, str):
        return default
    path = target.strip(_C0_AND_SPACE).translate(_URL_NOISE).replace("\\", "/")
    if not path.startswith("/") or path.startswith("//"):
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path):
        return default
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        return default
    return iri_to_uri(path)

