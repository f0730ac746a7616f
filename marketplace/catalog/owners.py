"""The stalls a person owns: the one query every domain narrows ("my stalls", "my orders").

A seller owns one stall, an organizer may hold several until they hand them over. Every
"mine" question — a seller's orders, applications, imports, reconciliation scope — filters by
``owned_stall_ids``, so the rule lives here and nowhere else.
"""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.catalog.models import Stall
from marketplace.extensions import db


def owned_stall_ids(owner_id: int) -> sa.Select[tuple[int]]:
    """The ids of the stalls ``owner_id`` owns, as a subquery: ``X.stall_id.in_(...)``."""
    return sa.select(Stall.id).where(Stall.owner_id == owner_id)


def owned_stalls_query(owner_id: int) -> sa.Select[tuple[Stall]]:
    """The stalls ``owner_id`` owns, oldest first; callers narrow or reorder it."""
    return sa.select(Stall).where(Stall.id.in_(owned_stall_ids(owner_id))).order_by(Stall.id)


def owned_stalls(owner_id: int) -> list[Stall]:
    """Every stall ``owner_id`` owns, oldest first."""
    return list(db.session.scalars(owned_stalls_query(owner_id)))
