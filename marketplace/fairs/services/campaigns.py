"""Campaigns: what an organizer sets up, which stalls join, and the one rule of what counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.catalog.categories import CATEGORY_KEYS
from marketplace.catalog.models import Product, Stall
from marketplace.catalog.owners import owned_stall_ids
from marketplace.database import utcnow
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.fairs.models import Campaign, CampaignStall
from marketplace.fairs.services.slugs import commit_or_slug_taken, unique_slug
from marketplace.formatting import vn_today
from marketplace.sanitize import text_field

CHANNELS = ("fair", "online", "livestream", "imported")
MAX_GOAL_KG = Decimal("99999999999")  # fits Numeric(14, 3)
MAX_GOAL_VND = 10**15


def channel_choices() -> list[tuple[str, str]]:
    """Sales channels a campaign may count, with labels."""
    return [
        ("fair", _("Bán tại phiên chợ")),
        ("online", _("Trực tuyến")),
        ("livestream", _("Livestream")),
        ("imported", _("Sàn TMĐT (Lazada, Shopee, TikTok Shop)")),
    ]


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
    name = text_field(data.name, "name", 200, required=True,
                      missing=_("Vui lòng nhập tên chiến dịch."))
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
    categories = list(dict.fromkeys(c for c in (data.categories or []) if c))
    if any(c not in CATEGORY_KEYS for c in categories):
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
        "description": text_field(data.description, "description", 5000, multiline=True),
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
    values["slug"] = unique_slug(Campaign, data.slug, values["name"],
                                  campaign.id if campaign else None)
    stalls = values.pop("stalls")
    if campaign is None:
        campaign = Campaign(organizer_id=organizer.id)
        db.session.add(campaign)
    for key, value in values.items():
        setattr(campaign, key, value)
    _sync_invitations(campaign, organizer, stalls)
    commit_or_slug_taken()
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


def campaign_state(campaign: Campaign, today: date | None = None) -> str:
    """Return draft, upcoming, running or ended on a Vietnam calendar day."""
    today = today or vn_today()
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


def organizer_campaigns(organizer: User) -> list[Campaign]:
    """Campaigns the organizer runs, newest first."""
    return list(db.session.scalars(
        sa.select(Campaign).where(Campaign.organizer_id == organizer.id)
        .order_by(Campaign.starts_on.desc())
    ))


def campaign_invitations_of(user: User) -> list[CampaignStall]:
    """The seller's stalls' campaign invitations, joined or not, latest campaign first."""
    return list(db.session.scalars(
        sa.select(CampaignStall).join(Campaign)
        .where(CampaignStall.stall_id.in_(owned_stall_ids(user.id)))
        .options(selectinload(CampaignStall.campaign), selectinload(CampaignStall.stall))
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    ))


def answer_campaign_invitation(cs: CampaignStall, join: bool,
                               now: datetime | None = None) -> CampaignStall:
    """Let the seller join a campaign they were invited to, or decline (or leave) it."""
    cs.status = "joined" if join else "declined"
    cs.decided_at = now or utcnow()
    db.session.commit()
    return cs
