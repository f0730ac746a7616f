"""Fair and campaign use cases."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import session

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.fairs.models import Fair, FairStall

# How long a visit to a fair's page or a label scanned there keeps counting orders for it.
FAIR_VISIT_TTL = timedelta(hours=6)


def open_fairs(now: datetime | None = None) -> list[Fair]:
    """Published fairs open at this moment."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            sa.select(Fair)
            .where(Fair.published, Fair.starts_at <= now, Fair.ends_at > now)
            .order_by(Fair.starts_at)
        )
    )


def current_booth(stall_id: int, now: datetime | None = None) -> FairStall | None:
    """The accepted booth of a stall at a fair open now, if any."""
    now = now or utcnow()
    return db.session.scalar(
        sa.select(FairStall)
        .join(Fair)
        .where(
            FairStall.stall_id == stall_id,
            FairStall.status == "accepted",
            Fair.published,
            Fair.starts_at <= now,
            Fair.ends_at > now,
        )
        .order_by(Fair.starts_at)
        .limit(1)
    )


def remember_fair_visit(fair_id: int) -> None:
    """Note in the session that the shopper came through this (open) fair."""
    session["fair_visit"] = {"id": fair_id, "at": utcnow().timestamp()}


def visited_fair_id(now: datetime | None = None) -> int | None:
    """The fair this shopper came through recently, if it is still open."""
    visit = session.get("fair_visit")
    if not visit:
        return None
    now = now or utcnow()
    if now.timestamp() - float(visit.get("at", 0)) > FAIR_VISIT_TTL.total_seconds():
        return None
    fair = db.session.get(Fair, visit.get("id"))
    if fair is None or fair.state(now) != "open":
        return None
    return fair.id
