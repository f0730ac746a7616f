"""Who may touch what: role decorators and the load-and-authorise helper."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort
from flask_login import current_user

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
    """Load a row by primary key; 404 if missing, 403 if the current user does not own it."""
    obj = db.get_or_404(model, ident)
    if not current_user.is_authenticated or owner_id_of(obj) != current_user.id:
        abort(403)
    return obj


def is_safe_next(target: str | None) -> bool:
    """Allow only same-site relative paths as a post-login redirect."""
    return bool(target) and target.startswith("/") and not target.startswith("//") and (
        "\\" not in target
    )
