"""Public pages: a stall's page and the browse page's search and filters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from marketplace.catalog.categories import CATEGORY_KEYS
from marketplace.catalog.models import CERTIFICATE_KINDS, Certificate, Product, Stall
from marketplace.extensions import db
from marketplace.formatting import vn_today
from marketplace.text import search_key

PER_PAGE = 24


def public_stall(slug: str) -> Stall | None:
    """Return an active stall by slug."""
    return db.session.scalar(sa.select(Stall).where(Stall.slug == slug, Stall.active))


def on_sale(stall: Stall) -> list[Product]:
    """Return a stall's active products for its public page."""
    return list(db.session.scalars(
        sa.select(Product).where(Product.stall_id == stall.id, Product.active)
        .options(selectinload(Product.images)).order_by(Product.name)
    ))


def _like_word(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def certificate_of_product() -> sa.ColumnElement[bool]:
    """A certificate counts for a product: its own, or its stall's (one tied to no product)."""
    return sa.or_(Certificate.product_id == Product.id,
                  sa.and_(Certificate.product_id.is_(None),
                          Certificate.stall_id == Product.stall_id))


def certificate_in_force(today: date) -> sa.ColumnElement[bool]:
    """A certificate that has not expired on this (Vietnam) day."""
    return sa.or_(Certificate.valid_until.is_(None), Certificate.valid_until >= today)


@dataclass
class BrowseFilters:
    """What a shopper asked the browse page for."""

    q: str = ""
    category: str = ""
    province: str = ""
    certificate: str = ""
    ocop_min: int | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> BrowseFilters:
        ocop = (args.get("ocop") or "").strip()
        category = (args.get("category") or "").strip()
        return cls(
            q=(args.get("q") or "").strip()[:100],
            category=category if category in CATEGORY_KEYS else "",
            province=(args.get("province") or "").strip()[:80],
            certificate=(args.get("certificate") or "").strip()[:40],
            ocop_min=int(ocop) if ocop in {"3", "4", "5"} else None,
        )


def browse_query(filters: BrowseFilters) -> sa.Select:
    """Build the query of active products matching the filters, newest first."""
    query = (
        sa.select(Product).join(Product.stall)
        .where(Product.active, Stall.active)
        .options(selectinload(Product.images), selectinload(Product.stall))
        .order_by(Product.id.desc())
    )
    for word in search_key(filters.q).split()[:8]:
        pattern = _like_word(word)
        query = query.where(sa.or_(
            Product.search_text.like(pattern, escape="\\"),
            Stall.search_text.like(pattern, escape="\\"),
        ))
    if filters.category:
        query = query.where(Product.category == filters.category)
    if filters.province:
        query = query.where(Stall.province == filters.province)
    if filters.ocop_min:
        query = query.where(Product.ocop_stars >= filters.ocop_min)
    if filters.certificate:
        today = vn_today()
        query = query.where(
            sa.exists().where(Certificate.kind == filters.certificate,
                              certificate_in_force(today), certificate_of_product())
        )
    return query


def browse_products(filters: BrowseFilters, page: int = 1):
    """Return one page (24 products) of the browse results."""
    return db.paginate(browse_query(filters), page=max(page, 1), per_page=PER_PAGE,
                       error_out=False, max_per_page=PER_PAGE)


def browse_choices() -> dict[str, list]:
    """List the provinces and (certificate kind, label) pairs that filters can offer."""
    provinces = db.session.scalars(
        sa.select(Stall.province).distinct()
        .where(Stall.active, Stall.province.is_not(None), Stall.province != "")
        .order_by(Stall.province)
    )
    kinds = db.session.scalars(sa.select(Certificate.kind).distinct().order_by(Certificate.kind))
    return {
        "provinces": list(provinces),
        "certificates": [(kind, str(CERTIFICATE_KINDS.get(kind, kind))) for kind in kinds],
    }
