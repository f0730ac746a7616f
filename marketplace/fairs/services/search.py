"""A fair's products: search and filters for its public page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from marketplace.catalog.categories import CATEGORIES
from marketplace.catalog.models import Certificate, Product, Stall
from marketplace.catalog.services.browse import certificate_in_force, certificate_of_product
from marketplace.extensions import db
from marketplace.fairs.models import Fair, FairStall
from marketplace.fairs.services.booths import accepted_participations, booth_sort_key
from marketplace.formatting import vn_today
from marketplace.text import search_key


@dataclass
class ProductFilters:
    """Search and filters on a fair's products."""

    q: str = ""
    category: str = ""
    certificate: str = ""
    ocop: int | None = None


def _fair_products_query(fair: Fair):
    return (
        sa.select(Product)
        .join(Stall, Product.stall_id == Stall.id)
        .join(FairStall, FairStall.stall_id == Stall.id)
        .where(FairStall.fair_id == fair.id, FairStall.status == "accepted",
               Product.active, Stall.active)
    )


def fair_products(fair: Fair, filters: ProductFilters | None = None,
                  today: date | None = None) -> list[Product]:
    """Active products of the fair's accepted stalls, searched and filtered."""
    filters = filters or ProductFilters()
    today = today or vn_today()
    query = _fair_products_query(fair)
    if filters.category:
        query = query.where(Product.category == filters.category)
    if filters.ocop:
        query = query.where(Product.ocop_stars >= filters.ocop)
    if filters.certificate:
        query = query.where(
            sa.select(Certificate.id)
            .where(certificate_of_product(), certificate_in_force(today),
                   Certificate.kind == filters.certificate)
            .exists()
        )
    if filters.q:
        # search_text holds the folded name, so "vai thieu" finds "Vải thiều" on both databases.
        query = query.where(Product.search_text.contains(search_key(filters.q), autoescape=True))
    query = query.options(selectinload(Product.images), selectinload(Product.stall))
    products = list(db.session.scalars(query.order_by(Product.name, Product.id)))
    booths = {fs.stall_id: fs.booth_number for fs in accepted_participations(fair)}
    products.sort(key=lambda p: (booth_sort_key(booths.get(p.stall_id)), search_key(p.name)))
    return products


def fair_filter_options(fair: Fair, today: date | None = None) -> dict:
    """Categories and certificate kinds that occur among the fair's products."""
    today = today or vn_today()
    products = _fair_products_query(fair).subquery()
    cats = set(db.session.scalars(sa.select(products.c.category).distinct()))
    kinds = db.session.scalars(
        sa.select(Certificate.kind).distinct()
        .join(Product, certificate_of_product())
        .where(Product.id.in_(sa.select(products.c.id)), certificate_in_force(today))
        .order_by(Certificate.kind)
    )
    return {
        "categories": [(k, str(label)) for k, label in CATEGORIES if k in cats],
        "certificates": list(kinds),
    }
