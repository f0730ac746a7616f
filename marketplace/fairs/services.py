"""Fair and campaign use cases."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, selectinload

from marketplace.accounts.models import User
from marketplace.catalog.models import Product, Stall
from marketplace.catalog.owners import owned_stall_ids, owned_stalls_query
from marketplace.database import utcnow
from marketplace.errors import Conflict, ValidationError
from marketplace.extensions import db
from marketplace.fairs.models import Campaign, CampaignStall, Fair, FairStall
from marketplace.formatting import local_to_utc, to_local
from marketplace.provenance.versions import invalidate_product_pages
from marketplace.sanitize import clean_text

# How long a visit to a fair's page or a label scanned there keeps counting orders for it.
FAIR_VISIT_TTL = timedelta(hours=6)

CHANNELS = ("fair", "online", "livestream", "imported")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_GOAL_KG = Decimal("99999999999")  # fits Numeric(14, 3)
MAX_GOAL_VND = 10**15


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


@functools.cache
def _current_booth_query() -> sa.Select:
    # Built once: every provenance page asks it.
    now = sa.bindparam("now", type_=Fair.starts_at.type)
    return (
        sa.select(FairStall)
        .join(Fair)
        .where(
            FairStall.stall_id == sa.bindparam("stall_id"),
            FairStall.status == "accepted",
            Fair.published,
            Fair.starts_at <= now,
            Fair.ends_at > now,
        )
        .order_by(Fair.starts_at)
        .limit(1)
        .options(contains_eager(FairStall.fair))  # pages show the fair's name and link
    )


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


# ---------------------------------------------------------------------------------------------
# Shared helpers


def _slugify(text: str) -> str:
    from marketplace.catalog.text import slugify

    return slugify(text, max_length=72)


def fold(text: str) -> str:
    """Fold Vietnamese text for accent-insensitive matching."""
    from marketplace.catalog.text import search_key

    return search_key(text)


def category_choices() -> list[tuple[str, str]]:
    """Product categories as (key, label), from the catalog when it defines them."""
    from marketplace.catalog.categories import CATEGORIES

    return [(key, str(label)) for key, label in CATEGORIES]


def category_label(key: str) -> str:
    """Label of a category key."""
    return dict(category_choices()).get(key, key)


def channel_choices() -> list[tuple[str, str]]:
    """Sales channels a campaign may count, with labels."""
    return [
        ("fair", _("Bán tại phiên chợ")),
        ("online", _("Trực tuyến")),
        ("livestream", _("Livestream")),
        ("imported", _("Sàn TMĐT (Lazada, Shopee, TikTok Shop)")),
    ]


def booth_sort_key(booth: str | None) -> tuple:
    """Sort booths naturally: 2 before 10, A2 before A10."""
    parts = re.split(r"(\d+)", booth or "")
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in parts if p)


def _clean(text: str | None, *, multiline: bool = False) -> str:
    return clean_text(text, multiline=multiline)


def _unique_slug(model, wanted: str | None, name: str, own_id: int | None) -> str:
    """Return the slug to store: the one typed (must be free) or one made from the name."""
    taken = lambda slug: db.session.scalar(  # noqa: E731
        sa.select(model.id).where(model.slug == slug, model.id != (own_id or 0))
    ) is not None
    wanted = _clean(wanted).lower()
    if wanted:
        if not SLUG_RE.match(wanted):
            raise ValidationError(
                "slug", _("Đường dẫn chỉ gồm chữ thường không dấu, số và dấu gạch ngang.")
            )
        if taken(wanted):
            raise _slug_taken()
        return wanted
    base = _slugify(name) or "phien-cho"
    slug, n = base, 2
    while taken(slug):
        slug, n = f"{base}-{n}", n + 1
    return slug


def _slug_taken() -> ValidationError:
    return ValidationError("slug", _("Đường dẫn này đã được dùng, hãy chọn đường dẫn khác."))


def _commit_or_slug_taken() -> None:
    """Commit; a slug taken by a concurrent request becomes a form error, not a 500."""
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise _slug_taken() from None


# ---------------------------------------------------------------------------------------------
# Fairs


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
    name, venue = _clean(data.name), _clean(data.venue)
    if not name:
        raise ValidationError("name", _("Vui lòng nhập tên phiên chợ."))
    if not venue:
        raise ValidationError("venue", _("Vui lòng nhập địa điểm."))
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
        "address": _clean(data.address),
        "description": _clean(data.description, multiline=True),
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
    values["slug"] = _unique_slug(Fair, data.slug, values["name"], fair.id if fair else None)
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
        raise _slug_taken() from None
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
    """Delete a fair that has no orders or scans yet (otherwise unpublish it)."""
    from marketplace.orders.models import Order
    from marketplace.provenance.models import ScanEvent

    for model in (Order, ScanEvent):
        if db.session.scalar(sa.select(model.id).where(model.fair_id == fair.id).limit(1)):
            raise Conflict(
                _("Phiên chợ đã có đơn hàng hoặc lượt quét nên không xoá được; hãy bỏ công bố.")
            )
    db.session.delete(fair)
    db.session.commit()
    invalidate_product_pages()


def fair_by_slug(slug: str) -> Fair | None:
    """Find a fair by its slug."""
    return db.session.scalar(sa.select(Fair).where(Fair.slug == slug.lower()))


def can_see_fair(fair: Fair, user) -> bool:
    """Drafts are visible only to their organizer."""
    if fair.published:
        return True
    return bool(user and user.is_authenticated and user.id == fair.organizer_id)


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


# ---------------------------------------------------------------------------------------------
# Participation


def accepted_participations(fair: Fair) -> list[FairStall]:
    """Accepted stalls of a fair, by booth number."""
    rows = db.session.scalars(
        sa.select(FairStall).join(Stall)
        .where(FairStall.fair_id == fair.id, FairStall.status == "accepted", Stall.active)
        .options(selectinload(FairStall.stall))
    )
    return sorted(rows, key=lambda fs: booth_sort_key(fs.booth_number))


def participations_of(fair: Fair) -> list[FairStall]:
    """Every application and booth of a fair: waiting first, then by booth."""
    rows = db.session.scalars(
        sa.select(FairStall).where(FairStall.fair_id == fair.id)
        .options(selectinload(FairStall.stall))
    )
    order = {"applied": 0, "invited": 1, "accepted": 2, "refused": 3, "declined": 4}
    return sorted(rows, key=lambda fs: (order.get(fs.status, 3), booth_sort_key(fs.booth_number),
                                        fs.applied_at))


def pending_applications(organizer: User) -> list[FairStall]:
    """Applications waiting for a decision, across the organizer's fairs."""
    return list(db.session.scalars(
        sa.select(FairStall).join(Fair)
        .where(Fair.organizer_id == organizer.id, FairStall.status == "applied")
        .options(selectinload(FairStall.stall), selectinload(FairStall.fair))
        .order_by(FairStall.applied_at)
    ))


def stalls_of(user: User) -> list[Stall]:
    """A seller's active stalls."""
    return list(db.session.scalars(
        owned_stalls_query(user.id).where(Stall.active)
    ))


def applications_of(user: User) -> list[FairStall]:
    """A seller's applications to fairs, newest fair first."""
    return list(db.session.scalars(
        sa.select(FairStall).join(Fair)
        .where(FairStall.stall_id.in_(owned_stall_ids(user.id)))
        .options(selectinload(FairStall.fair), selectinload(FairStall.stall))
        .order_by(Fair.starts_at.desc())
    ))


def apply_to_fair(seller: User, fair: Fair, stall_id: int | None = None,
                  now: datetime | None = None) -> FairStall:
    """Let a seller's stall apply for a booth at a published fair that has not ended."""
    now = now or utcnow()
    stalls = stalls_of(seller)
    if not stalls:
        raise ValidationError(None, _("Bạn cần tạo gian hàng trước khi đăng ký phiên chợ."))
    stall = next((s for s in stalls if s.id == stall_id), None) if stall_id else stalls[0]
    if stall is None:
        raise ValidationError("stall_id", _("Vui lòng chọn một gian hàng của bạn."))
    if fair.state(now) not in ("upcoming", "open"):
        raise Conflict(_("Phiên chợ này không nhận đăng ký."))
    existing = db.session.scalar(
        sa.select(FairStall).where(FairStall.fair_id == fair.id, FairStall.stall_id == stall.id)
    )
    if existing is not None:
        raise Conflict(_already_applied_message(existing))
    fs = FairStall(fair_id=fair.id, stall_id=stall.id, status="applied")
    db.session.add(fs)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # A double tap sent two requests at once: the unique constraint kept only one.
        db.session.rollback()
        raise Conflict(_("Gian hàng %(name)s đã đăng ký phiên chợ này.", name=stall.name)) from None
    return fs


def _already_applied_message(fs: FairStall) -> str:
    if fs.status == "invited":
        return _("Ban tổ chức đã mời gian hàng %(name)s vào phiên chợ này: hãy nhận lời mời ở "
                 "trang Lời mời của bạn.", name=fs.stall.name)
    if fs.status == "refused":
        return _("Gian hàng %(name)s đã từ chối lời mời vào phiên chợ này.", name=fs.stall.name)
    if fs.status == "accepted":
        return _("Gian hàng %(name)s đã được nhận vào phiên chợ này (gian số %(booth)s).",
                 name=fs.stall.name, booth=fs.booth_number)
    if fs.status == "declined":
        return _("Gian hàng %(name)s đã đăng ký phiên chợ này và bị từ chối.", name=fs.stall.name)
    return _("Gian hàng %(name)s đã đăng ký phiên chợ này, đang chờ ban tổ chức duyệt.",
             name=fs.stall.name)


def _booth(raw: str | None) -> str:
    booth = _clean(raw)
    if not booth:
        raise ValidationError("booth_number", _("Vui lòng nhập số gian."))
    if len(booth) > 16:
        raise ValidationError("booth_number", _("Số gian tối đa 16 ký tự."))
    return booth


def _booth_taken_error(booth: str) -> ValidationError:
    return ValidationError(
        "booth_number",
        _("Gian số %(booth)s đã có gian hàng khác trong phiên chợ này.", booth=booth),
    )


def _assign_booth(fs: FairStall, booth: str, now: datetime) -> None:
    """Give the participation its booth and commit; a taken booth is a form error."""
    holder = db.session.scalar(
        sa.select(FairStall.id).where(
            FairStall.fair_id == fs.fair_id, FairStall.booth_number == booth,
            FairStall.id != (fs.id or 0),
        )
    )
    if holder is not None:
        db.session.rollback()
        raise _booth_taken_error(booth)
    fs.status, fs.booth_number, fs.decline_reason, fs.decided_at = "accepted", booth, None, now
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # Two organizers gave the same booth at the same moment; the constraint kept one.
        db.session.rollback()
        raise _booth_taken_error(booth) from None
    invalidate_product_pages()


# Statuses in which the seller asked to take part: the organizer decides (or re-decides) them.
# An invitation ("invited", "refused") is the seller's to answer, never the organizer's.
DECIDABLE = ("applied", "accepted", "declined")


def _not_the_organizers_to_decide(fs: FairStall) -> Conflict:
    if fs.status == "invited":
        return Conflict(_("%(name)s chưa nhận lời mời: chỉ người bán mới nhận lời được.",
                          name=fs.stall.name))
    return Conflict(_("%(name)s đã từ chối lời mời vào phiên chợ.", name=fs.stall.name))


def accept_application(fs: FairStall, booth_number: str | None,
                       now: datetime | None = None) -> FairStall:
    """Accept a stall that applied into the fair at a booth number that is free in that fair."""
    if fs.status not in DECIDABLE:
        raise _not_the_organizers_to_decide(fs)
    _assign_booth(fs, _booth(booth_number), now or utcnow())
    return fs


def decline_application(fs: FairStall, reason: str | None,
                        now: datetime | None = None) -> FairStall:
    """Decline a stall's application, telling the seller why."""
    if fs.status not in DECIDABLE:
        raise _not_the_organizers_to_decide(fs)
    reason = _clean(reason)
    if not reason:
        raise ValidationError("reason", _("Vui lòng ghi lý do từ chối."))
    if len(reason) > 255:
        raise ValidationError("reason", _("Lý do tối đa 255 ký tự."))
    fs.status, fs.booth_number, fs.decline_reason = "declined", None, reason
    fs.decided_at = now or utcnow()
    db.session.commit()
    invalidate_product_pages()  # it may have been accepted before
    return fs


def invite_stall(fair: Fair, stall_id: int | None, booth_number: str | None,
                 now: datetime | None = None) -> FairStall:
    """Invite a stall to the fair at a booth; it takes part once its seller accepts.

    A stall that applied is accepted at once (its seller asked to take part), and so is a
    stall the organizer set up and still owns (no seller to ask yet: it keeps its place when
    handed over).
    """
    stall = db.session.get(Stall, stall_id) if stall_id else None
    if stall is None or not stall.active:
        raise ValidationError("stall_id", _("Vui lòng chọn một gian hàng."))
    booth = _booth(booth_number)
    fs = db.session.scalar(
        sa.select(FairStall).where(FairStall.fair_id == fair.id, FairStall.stall_id == stall.id)
    )
    if fs is not None and fs.status == "accepted":
        raise ValidationError("stall_id", _("Gian hàng %(name)s đã có trong phiên chợ (gian số "
                                            "%(booth)s).", name=stall.name, booth=fs.booth_number))
    if fs is not None and fs.status == "invited":
        raise ValidationError("stall_id", _("Gian hàng %(name)s đã được mời, đang chờ người bán "
                                            "trả lời.", name=stall.name))
    if fs is None:
        fs = FairStall(fair_id=fair.id, stall_id=stall.id, status="applied")
        db.session.add(fs)
    elif fs.status == "refused":
        fs.applied_at = now or utcnow()  # a new invitation after a refusal
    if fs.status in ("applied", "declined") and fs.id is not None \
            or stall.owner_id == fair.organizer_id:
        _assign_booth(fs, booth, now or utcnow())
        return fs
    _reserve_booth(fs, booth, now or utcnow())
    return fs


def _reserve_booth(fs: FairStall, booth: str, now: datetime) -> None:
    """Hold the booth for an invited stall and commit; a taken booth is a form error."""
    holder = db.session.scalar(
        sa.select(FairStall.id).where(
            FairStall.fair_id == fs.fair_id, FairStall.booth_number == booth,
            FairStall.id != (fs.id or 0),
        )
    )
    if holder is not None:
        db.session.rollback()
        raise _booth_taken_error(booth)
    fs.status, fs.booth_number, fs.decline_reason, fs.decided_at = "invited", booth, None, None
    fs.applied_at = fs.applied_at or now
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise _booth_taken_error(booth) from None


def remove_participation(fs: FairStall) -> None:
    """Take a stall out of a fair (its past orders keep their fair)."""
    db.session.delete(fs)
    db.session.commit()
    invalidate_product_pages()


def fair_invitations_of(user: User) -> list[FairStall]:
    """Invitations to fairs waiting for the seller's answer, soonest fair first."""
    return list(db.session.scalars(
        sa.select(FairStall).join(Fair)
        .where(FairStall.stall_id.in_(owned_stall_ids(user.id)), FairStall.status == "invited")
        .options(selectinload(FairStall.fair), selectinload(FairStall.stall))
        .order_by(Fair.starts_at)
    ))


def campaign_invitations_of(user: User) -> list[CampaignStall]:
    """The seller's stalls' campaign invitations, joined or not, latest campaign first."""
    return list(db.session.scalars(
        sa.select(CampaignStall).join(Campaign)
        .where(CampaignStall.stall_id.in_(owned_stall_ids(user.id)))
        .options(selectinload(CampaignStall.campaign), selectinload(CampaignStall.stall))
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    ))


def answer_fair_invitation(fs: FairStall, accept: bool, now: datetime | None = None) -> FairStall:
    """Let the seller accept (taking the reserved booth) or refuse an invitation to a fair."""
    now = now or utcnow()
    if fs.status != "invited":
        raise Conflict(_("Lời mời này đã được trả lời hoặc đã bị rút lại."))
    if accept and fs.fair.state(now) == "closed":
        raise Conflict(_("Phiên chợ đã kết thúc."))
    if accept:
        fs.status = "accepted"
    else:
        fs.status, fs.booth_number = "refused", None
    fs.decided_at = now
    db.session.commit()
    return fs


def answer_campaign_invitation(cs: CampaignStall, join: bool,
                               now: datetime | None = None) -> CampaignStall:
    """Let the seller join a campaign they were invited to, or decline (or leave) it."""
    cs.status = "joined" if join else "declined"
    cs.decided_at = now or utcnow()
    db.session.commit()
    return cs


def addable_stalls(fair: Fair) -> list[Stall]:
    """Active stalls the organizer can still invite (not taking part, not invited), by name."""
    accepted = sa.select(FairStall.stall_id).where(
        FairStall.fair_id == fair.id, FairStall.status.in_(("accepted", "invited"))
    )
    return list(db.session.scalars(
        sa.select(Stall).where(Stall.active, Stall.id.not_in(accepted)).order_by(Stall.name)
    ))


# ---------------------------------------------------------------------------------------------
# Products at a fair


@dataclass
class ProductFilters:
    """Search and filters on a fair's products."""

    q: str = ""
    category: str = ""
    certificate: str = ""
    ocop: int | None = None


def _valid_certificate(today: date):
    """Certificates of a product, or of its stall, that have not expired."""
    from marketplace.provenance.models import Certificate

    return sa.and_(
        sa.or_(Certificate.product_id == Product.id,
               sa.and_(Certificate.product_id.is_(None), Certificate.stall_id == Product.stall_id)),
        sa.or_(Certificate.valid_until.is_(None), Certificate.valid_until >= today),
    )


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
    from marketplace.provenance.models import Certificate

    filters = filters or ProductFilters()
    today = today or to_local(utcnow()).date()
    query = _fair_products_query(fair)
    if filters.category:
        query = query.where(Product.category == filters.category)
    if filters.ocop:
        query = query.where(Product.ocop_stars >= filters.ocop)
    if filters.certificate:
        query = query.where(
            sa.select(Certificate.id)
            .where(_valid_certificate(today), Certificate.kind == filters.certificate)
            .exists()
        )
    if filters.q:
        # search_text holds the folded name, so "vai thieu" finds "Vải thiều" on both databases.
        query = query.where(Product.search_text.contains(fold(filters.q), autoescape=True))
    query = query.options(selectinload(Product.images), selectinload(Product.stall))
    products = list(db.session.scalars(query.order_by(Product.name, Product.id)))
    booths = {fs.stall_id: fs.booth_number for fs in accepted_participations(fair)}
    products.sort(key=lambda p: (booth_sort_key(booths.get(p.stall_id)), fold(p.name)))
    return products


def fair_filter_options(fair: Fair, today: date | None = None) -> dict:
    """Categories and certificate kinds that occur among the fair's products."""
    from marketplace.provenance.models import Certificate

    today = today or to_local(utcnow()).date()
    products = _fair_products_query(fair).subquery()
    cats = set(db.session.scalars(sa.select(products.c.category).distinct()))
    kinds = db.session.scalars(
        sa.select(Certificate.kind).distinct()
        .join(Product, sa.or_(Certificate.product_id == Product.id,
                              sa.and_(Certificate.product_id.is_(None),
                                      Certificate.stall_id == Product.stall_id)))
        .where(Product.id.in_(sa.select(products.c.id)),
               sa.or_(Certificate.valid_until.is_(None), Certificate.valid_until >= today))
        .order_by(Certificate.kind)
    )
    return {
        "categories": [(k, label) for k, label in category_choices() if k in cats],
        "certificates": list(kinds),
    }


# ---------------------------------------------------------------------------------------------
# Campaigns


@dataclass
class CampaignInput:
    """What an organizer types for a campaign."""

    name: str
    starts_on: date | None
    ends_on: date | None
    slug: str = ""
    description: str = ""
    goal_weight: Decimal | None = None
    goal_unit: str = "kg"  # or "t" (tonnes)
    goal_vnd: int | None = None
    categories: list[str] | None = None
    stall_ids: list[int] | None = None
    product_ids: list[int] | None = None
    channels: list[str] | None = None
    published: bool = False
    public_board: bool = False


def _goal_kg(weight: Decimal | None, unit: str) -> Decimal | None:
    if weight is None:
        return None
    if unit not in ("kg", "t"):
        raise ValidationError("goal_unit", _("Đơn vị không hợp lệ."))
    if weight <= 0:
        raise ValidationError("goal_weight", _("Mục tiêu sản lượng phải lớn hơn 0."))
    kg = weight * 1000 if unit == "t" else weight
    if kg > MAX_GOAL_KG:
        raise ValidationError("goal_weight", _("Mục tiêu sản lượng quá lớn."))
    return kg.quantize(Decimal("0.001"))


def _validated_campaign_values(data: CampaignInput) -> dict:
    name = _clean(data.name)
    if not name:
        raise ValidationError("name", _("Vui lòng nhập tên chiến dịch."))
    if data.starts_on is None:
        raise ValidationError("starts_on", _("Vui lòng nhập ngày bắt đầu."))
    if data.ends_on is None:
        raise ValidationError("ends_on", _("Vui lòng nhập ngày kết thúc."))
    if data.ends_on < data.starts_on:
        raise ValidationError("ends_on", _("Ngày kết thúc không được trước ngày bắt đầu."))
    goal_kg = _goal_kg(data.goal_weight, data.goal_unit)
    goal_vnd = data.goal_vnd
    if goal_vnd is not None and goal_vnd <= 0:
        raise ValidationError("goal_vnd", _("Mục tiêu doanh thu phải lớn hơn 0."))
    if goal_vnd is not None and goal_vnd > MAX_GOAL_VND:
        raise ValidationError("goal_vnd", _("Mục tiêu doanh thu quá lớn."))
    if goal_kg is None and goal_vnd is None:
        raise ValidationError("goal_weight", _("Vui lòng đặt mục tiêu theo sản lượng (kg/tấn) "
                                               "hoặc doanh thu (đồng), hoặc cả hai."))
    known = {key for key, _label in category_choices()}
    categories = list(dict.fromkeys(c for c in (data.categories or []) if c))
    if any(c not in known for c in categories):
        raise ValidationError("categories", _("Nhóm sản phẩm không hợp lệ."))
    stall_ids = list(dict.fromkeys(data.stall_ids or []))
    stalls = list(db.session.scalars(sa.select(Stall).where(Stall.id.in_(stall_ids))))
    if len(stalls) != len(stall_ids):
        raise ValidationError("stalls", _("Có gian hàng không tồn tại."))
    product_ids = list(dict.fromkeys(data.product_ids or []))
    products = list(db.session.scalars(sa.select(Product).where(Product.id.in_(product_ids))))
    if len(products) != len(product_ids):
        raise ValidationError("products", _("Có sản phẩm không tồn tại."))
    if not stalls:
        raise ValidationError("stalls", _("Vui lòng mời ít nhất một gian hàng: chiến dịch chỉ "
                                          "tính những gian hàng đã nhận lời tham gia."))
    invited = {s.id for s in stalls}
    stray = [p for p in products if p.stall_id not in invited]
    if stray:
        raise ValidationError("products", _(
            "Sản phẩm %(name)s thuộc gian hàng chưa được mời: hãy mời gian hàng đó.",
            name=stray[0].name))
    channels = [c for c in CHANNELS if c in set(data.channels or [])]
    if set(data.channels or []) - set(CHANNELS):
        raise ValidationError("channels", _("Kênh bán không hợp lệ."))
    if not channels:
        raise ValidationError("channels", _("Vui lòng chọn ít nhất một kênh bán được tính."))
    return {
        "name": name,
        "description": _clean(data.description, multiline=True),
        "starts_on": data.starts_on,
        "ends_on": data.ends_on,
        "goal_kg": goal_kg,
        "goal_vnd": goal_vnd,
        "categories": ",".join(categories),
        "channels": ",".join(channels),
        "published": bool(data.published),
        "public_board": bool(data.public_board),
        "stalls": stalls,
        "products": products,
    }


def save_campaign(organizer: User, data: CampaignInput,
                  campaign: Campaign | None = None) -> Campaign:
    """Create a campaign, or update one the organizer runs, after checking every field."""
    values = _validated_campaign_values(data)
    values["slug"] = _unique_slug(Campaign, data.slug, values["name"],
                                  campaign.id if campaign else None)
    stalls = values.pop("stalls")
    if campaign is None:
        campaign = Campaign(organizer_id=organizer.id)
        db.session.add(campaign)
    for key, value in values.items():
        setattr(campaign, key, value)
    _sync_invitations(campaign, organizer, stalls)
    _commit_or_slug_taken()
    return campaign


def _sync_invitations(campaign: Campaign, organizer: User, stalls: list[Stall]) -> None:
    """Invite the stalls newly named and drop those no longer named (answers are kept).

    A stall the organizer still owns (set up for a seller, not handed over) joins at once.
    """
    wanted = {s.id: s for s in stalls}
    for invitation in list(campaign.invitations):
        if invitation.stall_id not in wanted:
            campaign.invitations.remove(invitation)
    have = {i.stall_id for i in campaign.invitations}
    now = utcnow()
    for stall in stalls:
        if stall.id in have:
            continue
        own = stall.owner_id == organizer.id
        campaign.invitations.append(CampaignStall(
            stall=stall, status="joined" if own else "invited", invited_at=now,
            decided_at=now if own else None,
        ))


def campaign_form_values(campaign: Campaign) -> dict:
    """A campaign's values as the form shows them (goal in tonnes when it is whole tonnes)."""
    goal = campaign.goal_kg
    unit = "kg"
    if goal is not None and goal >= 1000 and goal % 1000 == 0:
        goal, unit = goal / 1000, "t"
    return {
        "name": campaign.name,
        "slug": campaign.slug,
        "description": campaign.description,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "goal_weight": goal,
        "goal_unit": unit,
        "goal_vnd": campaign.goal_vnd,
        "categories": campaign.category_list,
        "stalls": [i.stall_id for i in campaign.invitations],
        "products": [p.id for p in campaign.products],
        "channels": campaign.channel_list,
        "published": campaign.published,
        "public_board": campaign.public_board,
    }


def delete_campaign(campaign: Campaign) -> None:
    """Delete a campaign (sales stay; only the tally goes)."""
    campaign.products.clear()
    db.session.delete(campaign)
    db.session.commit()


def campaign_by_slug(slug: str) -> Campaign | None:
    """Find a campaign by its slug."""
    return db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug.lower()))


def can_see_campaign(campaign: Campaign, user) -> bool:
    """Unpublished campaigns are visible only to their organizer."""
    if campaign.published:
        return True
    return bool(user and user.is_authenticated and user.id == campaign.organizer_id)


def campaign_state(campaign: Campaign, today: date | None = None) -> str:
    """Return draft, upcoming, running or ended on a Vietnam calendar day."""
    today = today or to_local(utcnow()).date()
    if not campaign.published:
        return "draft"
    if today < campaign.starts_on:
        return "upcoming"
    if today <= campaign.ends_on:
        return "running"
    return "ended"


def public_campaigns(limit: int = 10) -> list[Campaign]:
    """Published campaigns, latest first."""
    return list(db.session.scalars(
        sa.select(Campaign).where(Campaign.published)
        .order_by(Campaign.ends_on.desc()).limit(limit)
    ))


def campaign_counts(campaign: Campaign, *, stall, product, category) -> sa.ColumnElement[bool]:
    """The one rule of what a campaign counts, as a condition on the given columns.

    Only stalls whose sellers joined the campaign (opt-in: the organizer invites, the seller
    accepts) count; the campaign's categories and products, if any, only narrow that down to
    the matching products of those stalls (any of them matches). Reports, boards, the progress
    bar, scans and the API all count through this.
    """
    joined = [i.stall_id for i in campaign.invitations if i.status == "joined"]
    if not joined:
        return sa.false()
    conds = [stall.in_(joined)]
    any_of = []
    if campaign.category_list:
        any_of.append(category.in_(campaign.category_list))
    if campaign.products:
        any_of.append(product.in_([p.id for p in campaign.products]))
    if any_of:
        conds.append(sa.or_(*any_of))
    return sa.and_(*conds)


def campaign_choices() -> dict:
    """Stalls and products an organizer can put in a campaign's scope."""
    stalls = list(db.session.scalars(sa.select(Stall).where(Stall.active).order_by(Stall.name)))
    products = list(db.session.scalars(
        sa.select(Product).join(Stall).where(Product.active, Stall.active)
        .options(selectinload(Product.stall)).order_by(Stall.name, Product.name)
    ))
    return {"stalls": stalls, "products": products}


# ---------------------------------------------------------------------------------------------
# Organizer dashboard


def organizer_fairs(organizer: User) -> list[Fair]:
    """Fairs the organizer runs, newest first."""
    return list(db.session.scalars(
        sa.select(Fair).where(Fair.organizer_id == organizer.id).order_by(Fair.starts_at.desc())
    ))


def organizer_campaigns(organizer: User) -> list[Campaign]:
    """Campaigns the organizer runs, newest first."""
    return list(db.session.scalars(
        sa.select(Campaign).where(Campaign.organizer_id == organizer.id)
        .order_by(Campaign.starts_on.desc())
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
