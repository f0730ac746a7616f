"""Which fairs and campaigns an organizer runs: one rule for pages, reports and the API.

Someone else's fair or campaign is answered like an unknown one (404), so ids and slugs of
others never leak.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from marketplace.extensions import db
from marketplace.fairs.models import Campaign, Fair


def visible_to(item: Fair | Campaign, user) -> bool:
    """A published fair or campaign is public; a draft is seen only by its organizer."""
    if item.published:
        return True
    return bool(user and user.is_authenticated and user.id == item.organizer_id)


def own_fair(organizer_id: int, key: int | str) -> Fair | None:
    """The fair ``organizer_id`` runs, by id or slug; None when unknown or someone else's."""
    where = Fair.id == key if isinstance(key, int) else Fair.slug == key.lower()
    return db.session.scalar(sa.select(Fair).where(where, Fair.organizer_id == organizer_id))


def own_campaign(organizer_id: int, key: int | str) -> Campaign | None:
    """The campaign ``organizer_id`` runs, by id or slug; None when unknown or someone else's."""
    where = Campaign.id == key if isinstance(key, int) else Campaign.slug == key.lower()
    return db.session.scalar(
        sa.select(Campaign).where(where, Campaign.organizer_id == organizer_id))


def own_fair_or_404(key: int | str) -> Fair:
    """The signed-in organizer's fair, or 404."""
    fair = own_fair(current_user.id, key) if current_user.is_authenticated else None
    if fair is None:
        abort(404)
    return fair


def own_campaign_or_404(key: int | str) -> Campaign:
    """The signed-in organizer's campaign, or 404."""
    campaign = own_campaign(current_user.id, key) if current_user.is_authenticated else None
    if campaign is None:
        abort(404)
    return campaign
