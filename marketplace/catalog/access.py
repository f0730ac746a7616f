"""Who may manage a stall: its owner (a seller, or an organizer who has not handed it over)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.catalog.models import Product, Stall
from marketplace.extensions import db

MANAGER_ROLES = (Role.SELLER.value, Role.ORGANIZER.value)


def can_manage(stall: Stall) -> bool:
    """Tell whether the current user may change this stall and its products."""
    return (
        current_user.is_authenticated
        and current_user.role in MANAGER_ROLES
        and stall.owner_id == current_user.id
    )


def get_managed_stall_or_404(slug: str) -> Stall:
    """Load a stall by slug for its manager: 404 if unknown or someone else's."""
    stall = db.session.scalar(sa.select(Stall).where(Stall.slug == slug))
    if stall is None or not can_manage(stall):
        abort(404)
    return stall


def get_managed_product_or_404(stall: Stall, product_id: int) -> Product:
    """Load a product of a managed stall; 404 if it belongs to another stall."""
    product = db.session.get(Product, product_id)
    if product is None or product.stall_id != stall.id:
        abort(404)
    return product
