"""Read GS1 Digital Link paths (/01/<gtin>[/10/<lot>]) into a product lookup."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.catalog.gtin import validate_gtin
from marketplace.catalog.models import Product
from marketplace.extensions import db


def gtin_forms(gtin14: str) -> list[str]:
    """Return the spellings a stored GTIN may have (14 digits, or shorter without zeros)."""
    forms = [gtin14]
    for length in (13, 12, 8):
        head, tail = gtin14[: 14 - length], gtin14[14 - length :]
        if set(head) == {"0"}:
            forms.append(tail)
    return forms


def find_product_by_gtin(raw: str) -> Product | None:
    """Find the product carrying a GTIN; raise ValidationError when it is malformed."""
    gtin14 = validate_gtin(raw)
    return db.session.scalar(
        sa.select(Product).where(Product.gtin.in_(gtin_forms(gtin14))).limit(1)
    )
