"""Who may sell at a booth: the stall's owner (a seller) and the helpers the owner added."""

from __future__ import annotations

from functools import wraps

from flask import abort, request
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.extensions import login_manager
from marketplace.helpers.services import booth_stalls
from marketplace.sanitize import int_arg

BOOTH_ROLES = (Role.SELLER.value, Role.HELPER.value)


def booth_people(view):
    """Let through the people who sell at a booth: stall owners (sellers) and helpers."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role not in BOOTH_ROLES:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def booth_stall():
    """The stall chosen by ?stall= among those the user sells at (default: the first)."""
    return chosen_stall(booth_stalls(current_user.id))


def chosen_stall(stalls: list):
    """The stall named by ?stall= among these (404 if not one of them), else the first one;
    returned with the list (for the stall switch)."""
    wanted = int_arg(request.values.get("stall"))
    if wanted is not None:
        chosen = next((s for s in stalls if s.id == wanted), None)
        if chosen is None:
            abort(404)
        return chosen, stalls
    return (stalls[0] if stalls else None), stalls
