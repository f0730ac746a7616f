"""Fairs: what is open now, an organizer's fairs, and creating, listing and deleting them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager

from marketplace.accounts.models import User
from marketplace.database import utcnow
from marketplace.errors import Conflict, ValidationError
from marketplace.extensions import db
from marketplace.fairs.models import Fair, FairStall
from marketplace.fairs.services.slugs import slug_taken_error, unique_slug
from marketplace.formatting import local_to_utc, to_local
from marketplace.provenance.services import booth_asked
from marketplace.provenance.versions import invalidate_product_pages
from marketplace.sanitize import text_field

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


def _at_a_fair_open_now(stall_id: sa.ColumnElement | None = None) -> tuple:
    """The one rule of a current booth: accepted, at a published fair open at :now."""
    now = sa.bindparam("now", type_=Fair.starts_at.type)
    return (
        FairStall.stall_id == (sa.bindparam("stall_id") if stall_id is None else stall_id),
        FairStall.status == "accepted",
        Fair.published,
        Fair.starts_at <= now,
        Fair.ends_at > now,
    )


@functools.cache
def _current_booth_query() -> sa.Select:
    # Built once: every seller's point of sale asks it.
    return (
        sa.select(FairStall)
        .join(Fair)
        .where(*_at_a_fair_open_now())
        .order_by(Fair.starts_at)
        .limit(1)
        .options(contains_eager(FairStall.fair))  # pages show the fair's name and link
    )


@booth_asked.connect
def booth_join(stall_id: sa.ColumnElement, **_data) -> Callable[[sa.Select], sa.Select]:
    """Answer the product page (provenance.services.booth_asked) when it builds its query:
    outer-join the stall's booth at a fair open at :now, so the page reads it in its one row."""

    def join(select: sa.Select) -> sa.Select:
        booth, fair = FairStall.__table__.alias("booth"), Fair.__table__.alias("booth_fair")
        current = (sa.select(FairStall.id).join(Fair, Fair.id == FairStall.fair_id)
                   .where(*_at_a_fair_open_now(stall_id)).order_by(Fair.starts_at).limit(1)
                   .scalar_subquery())
        return (select.outerjoin(booth, booth.c.id == current)
                .outerjoin(fair, fair.c.id == booth.c.fair_id)
                .add_columns(booth.c.fair_id.label("booth__fair_id"),
                             booth.c.booth_number.label("booth__booth_number"),
                             fair.c.name.label("booth__fair_name"),
                             fair.c.slug.label("booth__fair_slug"),
                             fair.c.ends_at.label("booth__fair_ends_at")))

    return join


def current_booth(stall_id: int, now: datetime | None = None) -> FairStall | None:
    """The accepted booth of a stall at a fair open now, if any."""
    return db.session.scalar(_current_booth_query(),
                             {"stall_id": stall_id, "now": now or utcnow()})


def fair_visit(fair_id: int) -> dict:
    """What the visitor's session keeps of coming through an open fair (fairs/visits.py)."""
    return {"id": fair_id, "at": utcnow().timestamp()}


def open_fair_of_visit(visit: dict | None, now: datetime | None = None) -> int | None:
    """The fair of a recent visit (fair_visit()), if it is still open."""
    if not isinstance(visit, dict):
        return None
    now = now or utcnow()
    if now.timestamp() - float(visit.get("at", 0)) > FAIR_VISIT_TTL.total_seconds():
        return None
    fair = db.session.get(Fair, visit.get("id"))
    if fair is None or fair.state(now) != "open":
        return None
    return fair.id


@dataclass
class FairInput:
    """What an organizer types for a fair; times are naive Vietnam local time."""

    name: str
    venue: str
    starts_local: datetime | None
    ends_local: datetime | None
    slug: str = ""
    address: str = ""
    description: str = ""
    published: bool = False
    public_board: bool = False
    cover: bytes | None = None


def _validated_fair_values(data: FairInput) -> dict:
    name = text_field(data.name, "name", 160, required=True,
                      missing=_("Vui lòng nhập tên phiên chợ."))
    venue = text_field(data.venue, "venue", 160, required=True,
                       missing=_("Vui lòng nhập địa điểm."))
    if data.starts_local is None:
        raise ValidationError("starts_at", _("Vui lòng nhập thời gian bắt đầu."))
    if data.ends_local is None:
        raise ValidationError("ends_at", _("Vui lòng nhập thời gian kết thúc."))
    starts, ends = local_to_utc(data.starts_local), local_to_utc(data.ends_local)
    if ends <= starts:
        raise ValidationError("ends_at", _("Thời gian kết thúc phải sau thời gian bắt đầu."))
    return {
        "name": name,
        "venue": venue,
        "address": text_field(data.address, "address", 255),
        "description": text_field(data.description, "description", 5000, multiline=True),
        "starts_at": starts,
        "ends_at": ends,
        "published": bool(data.published),
        "public_board": bool(data.public_board),
    }


def _cover_image(raw: bytes | None):
    """Validate and stage an uploaded cover (nothing is added when the image is bad)."""
    if not raw:
        return None
    from marketplace.storage import save_image

    try:
        return save_image(raw)
    except ValidationError as exc:
        raise ValidationError("cover", exc.reason) from None


def save_fair(organizer: User, data: FairInput, fair: Fair | None = None) -> Fair:
    """Create a fair, or update one the organizer runs, after checking every field."""
    values = _validated_fair_values(data)
    values["slug"] = unique_slug(Fair, data.slug, values["name"], fair.id if fair else None)
    image = _cover_image(data.cover)
    if fair is None:
        fair = Fair(organizer_id=organizer.id, **values)
        db.session.add(fair)
    else:
        for key, value in values.items():
            setattr(fair, key, value)
    try:
        if image is not None:
            db.session.flush()
            fair.cover_image_id = image.id
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise slug_taken_error() from None
    invalidate_product_pages()  # the booth line of its stalls' product pages
    return fair


def fair_form_values(fair: Fair) -> dict:
    """A fair's values as the form shows them (local times)."""
    return {
        "name": fair.name,
        "slug": fair.slug,
        "venue": fair.venue,
        "address": fair.address,
        "description": fair.description,
        "starts_at": to_local(fair.starts_at).replace(tzinfo=None),
        "ends_at": to_local(fair.ends_at).replace(tzinfo=None),
        "published": fair.published,
        "public_board": fair.public_board,
    }


def delete_fair(fair: Fair) -> None:
    """Delete a fair that has no orders or scans yet (otherwise unpublish it).

    Orders and label scans keep the fair they name (foreign keys without ON DELETE): the
    database refuses the delete, and the organizer is told to unpublish instead.
    """
    db.session.delete(fair)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise Conflict(
            _("Phiên chợ đã có đơn hàng hoặc lượt quét nên không xoá được; hãy bỏ công bố.")
        ) from None
    invalidate_product_pages()


def fair_by_slug(slug: str) -> Fair | None:
    """Find a fair by its slug."""
    return db.session.scalar(sa.select(Fair).where(Fair.slug == slug.lower()))


@dataclass
class FairListing:
    """Fairs grouped for the public list."""

    open: list[Fair]
    upcoming: list[Fair]
    past: list[Fair]
    drafts: list[Fair]


def list_fairs(viewer=None, now: datetime | None = None) -> FairListing:
    """Published fairs by state; an organizer also sees their own drafts."""
    now = now or utcnow()
    conditions = [Fair.published]
    if viewer is not None and viewer.is_authenticated and viewer.is_organizer:
        conditions.append(Fair.organizer_id == viewer.id)
    fairs = db.session.scalars(sa.select(Fair).where(sa.or_(*conditions)).order_by(Fair.starts_at))
    listing = FairListing([], [], [], [])
    for fair in fairs:
        state = fair.state(now)
        {"open": listing.open, "upcoming": listing.upcoming, "closed": listing.past,
         "draft": listing.drafts}[state].append(fair)
    listing.past.reverse()
    return listing


def home_fairs(now: datetime | None = None, limit: int = 3) -> dict:
    """Fairs open now and the next upcoming ones, for the home page."""
    now = now or utcnow()
    upcoming = db.session.scalars(
        sa.select(Fair).where(Fair.published, Fair.starts_at > now)
        .order_by(Fair.starts_at).limit(limit)
    )
    return {"open": open_fairs(now), "upcoming": list(upcoming)}


def organizer_fairs(organizer: User) -> list[Fair]:
    """Fairs the organizer runs, newest first."""
    return list(db.session.scalars(
        sa.select(Fair).where(Fair.organizer_id == organizer.id).order_by(Fair.starts_at.desc())
    ))


def booth_counts(fair_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per fair: how many stalls are accepted and how many wait."""
    counts: dict[int, dict[str, int]] = {fid: {"accepted": 0, "applied": 0} for fid in fair_ids}
    if not fair_ids:
        return counts
    rows = db.session.execute(
        sa.select(FairStall.fair_id, FairStall.status, sa.func.count())
        .where(FairStall.fair_id.in_(fair_ids))
        .group_by(FairStall.fair_id, FairStall.status)
    )
    for fair_id, status, n in rows:
        counts[fair_id][status] = n
    return counts
