"""The fair a shopper came through, kept in the visitor's session by the views.

Services take the visit as an argument (fairs.services.open_fair_of_visit); only this module
and the views touch the session.
"""

from __future__ import annotations

from flask import session

from marketplace.fairs import services

KEY = "fair_visit"


def remember_fair_visit(fair_id: int) -> None:
    """Note that the shopper came through this (open) fair."""
    session[KEY] = services.fair_visit(fair_id)


def visited_fair_id() -> int | None:
    """The fair this shopper came through recently, if it is still open."""
    return services.open_fair_of_visit(session.get(KEY))
