"""Demo fairs and campaign: the Yên Dũng fair of March 2023, a fair open now, the lychee drive."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from marketplace.catalog.models import Product, Stall
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.fairs import services as fairs
from marketplace.fairs.models import Campaign, Fair, FairStall
from marketplace.formatting import local_to_utc, vn_now
from marketplace.text import search_key

PAST_FAIR = {
    "slug": "phien-cho-4-0-yen-dung-2023",
    "name": "Phiên chợ 4.0 Yên Dũng — Lễ hội chùa Vĩnh Nghiêm 2023",
    "venue": "Chùa Vĩnh Nghiêm",
    "address": "Chùa Vĩnh Nghiêm, xã Trí Yên, huyện Yên Dũng, Bắc Giang",
    "description": (
        "Phiên chợ của đoàn viên thanh niên huyện Yên Dũng nhân dịp khai hội chùa Vĩnh Nghiêm: "
        "18 gian hàng đặc sản của huyện — gạo thơm Yên Dũng, tương La - Trí Yên, bánh đa Cảnh "
        "Thụy, tinh bột nghệ Thuỳ Dương… Mỗi sản phẩm có mã QR để khách quét, xem nguồn gốc "
        "và đặt mua."
    ),
    # 14 tháng Giêng âm lịch 2023 fell on 5/3/2023; the fair ran three days around it.
    "starts_local": datetime(2023, 3, 4, 7, 0),
    "ends_local": datetime(2023, 3, 6, 21, 0),
}

OPEN_FAIR = {
    "slug": "phien-cho-4-0-bac-giang",
    "name": "Phiên chợ 4.0 nông sản Bắc Giang",
    "venue": "Quảng trường 3/2",
    "address": "Phường Hoàng Văn Thụ, TP Bắc Giang",
    "description": (
        "Phiên chợ nông sản, đặc sản của các huyện trong tỉnh. Quét mã QR trên từng sản phẩm "
        "để xem nguồn gốc, thanh toán bằng tiền mặt, chuyển khoản QR hoặc thẻ."
    ),
}

UPCOMING_FAIR = {
    "slug": "phien-cho-mua-vai-luc-ngan",
    "name": "Phiên chợ mùa vải Lục Ngạn",
    "venue": "Nhà văn hoá huyện Lục Ngạn",
    "address": "Thị trấn Chũ, huyện Lục Ngạn, Bắc Giang",
    "description": "Phiên chợ đầu mùa vải thiều, cùng các gian nông sản Lục Ngạn.",
}

CAMPAIGN = {
    "slug": "vai-chuan-tu-tam-2023",
    "name": "Lục Ngạn - Bắc Giang: Vải chuẩn từ tâm - Nâng tầm nông sản",
    "description": (
        "Tuổi trẻ Bắc Giang đưa vải thiều Lục Ngạn lên sàn thương mại điện tử: bán trực tuyến, "
        "livestream và tại các phiên chợ, mục tiêu 50 tấn vải."
    ),
    "starts_on": date(2023, 6, 15),
    "ends_on": date(2023, 7, 2),
    "goal_kg": Decimal("50000"),
    "categories": "",  # the scope is the fresh lychee products themselves (see LYCHEE_SCOPE)
    "channels": "fair,online,livestream,imported",
    "published": True,
    "public_board": True,
}


# Lychee products sold fresh in the 2023 drive (not the dried fruit, the honey or the frozen bags).
LYCHEE_SCOPE = ("Vải thiều Lục Ngạn tươi (VietGAP)", "Vải thiều Lục Ngạn hộp 2 kg",
                "Vải thiều hộp quà 5 kg")
# How the drive's 50 tonnes came in, day by day (relative weights). The article in
# shared/context gives the period (15/6–2/7/2023), the channel (Lazada) and the total; the shape
# follows the Lục Ngạn harvest: early lychee first, the main Thanh Hà crop peaking in the last
# week of June, then a tail as the last gardens are picked.
LYCHEE_DAILY_WEIGHTS = (9, 13, 18, 23, 28, 33, 38, 42, 44, 43, 40, 36, 31, 26, 21, 16, 12, 9)
LYCHEE_TOTAL_KG = 50_400  # what the drive sold, confirmed: a little over its 50 t


def lychee_daily_kg() -> dict[date, int]:
    """Confirmed kg of lychee sold on each day of the 2023 drive (sums to LYCHEE_TOTAL_KG)."""
    first, total = CAMPAIGN["starts_on"], sum(LYCHEE_DAILY_WEIGHTS)
    days = [first + timedelta(days=n) for n in range(len(LYCHEE_DAILY_WEIGHTS))]
    kgs = [LYCHEE_TOTAL_KG * w // total for w in LYCHEE_DAILY_WEIGHTS]
    kgs[LYCHEE_DAILY_WEIGHTS.index(max(LYCHEE_DAILY_WEIGHTS))] += LYCHEE_TOTAL_KG - sum(kgs)
    return dict(zip(days, kgs, strict=True))


def lychee_day(rng) -> date:
    """A day of the drive, drawn as often as that day sold."""
    first = CAMPAIGN["starts_on"]
    n = rng.choices(range(len(LYCHEE_DAILY_WEIGHTS)), weights=LYCHEE_DAILY_WEIGHTS)[0]
    return first + timedelta(days=n)


OPEN_HOUR, CLOSE_HOUR = 7, 21  # the fairs' daily hours, Vietnam time


def open_fair_local_times(now_local: datetime) -> tuple[datetime, datetime]:
    """Vietnam-time start and end of the fair open now: 7:00 yesterday to 21:00 the day after
    tomorrow.

    Starting the day before means the booths have sold for a day already, even when the demo
    is seeded just after midnight, before today's booths open.
    """
    today = now_local.date()
    starts = datetime.combine(today - timedelta(days=1), datetime.min.time()).replace(
        hour=OPEN_HOUR)
    ends = datetime.combine(today + timedelta(days=2), datetime.min.time()).replace(
        hour=CLOSE_HOUR)
    return starts, ends


def open_fair_times(now_local: datetime) -> tuple[datetime, datetime]:
    """UTC start and end of the fair open now (see open_fair_local_times)."""
    starts, ends = open_fair_local_times(now_local)
    return local_to_utc(starts), local_to_utc(ends)


def _fair_input(values: dict, starts_local: datetime, ends_local: datetime) -> fairs.FairInput:
    return fairs.FairInput(
        name=values["name"], venue=values["venue"], starts_local=starts_local,
        ends_local=ends_local, slug=values["slug"], address=values["address"],
        description=values["description"], published=values.get("published", True),
        public_board=values.get("public_board", True),
    )


def _fair(organizer, values: dict, starts_local: datetime, ends_local: datetime) -> Fair:
    """The demo fair of these values, created through the fairs' service the first time."""
    fair = fairs.fair_by_slug(values["slug"])
    if fair is None:
        fair = fairs.save_fair(organizer, _fair_input(values, starts_local, ends_local))
    return fair


def _move(fair: Fair, starts_local: datetime, ends_local: datetime, *,
          publish: bool = False) -> None:
    """Move a demo fair to new times (and publish it), keeping what the organizer wrote in it."""
    kept = {"name": fair.name, "venue": fair.venue, "slug": fair.slug, "address": fair.address,
            "description": fair.description, "public_board": fair.public_board,
            "published": publish or fair.published}
    fairs.save_fair(fair.organizer, _fair_input(kept, starts_local, ends_local), fair)


def _take_part(fair: Fair, stall: Stall, booth: str | None) -> None:
    """Have the stall apply ten days before the fair and, given a booth, be accepted three days
    later, once (times in the future are today's): through the fairs' services, as the seller
    and the organizer would."""
    exists = db.session.scalar(
        sa.select(FairStall.id).where(FairStall.fair_id == fair.id, FairStall.stall_id == stall.id)
    )
    if exists is not None:
        return
    taken = db.session.scalar(
        sa.select(FairStall.id).where(FairStall.fair_id == fair.id,
                                      FairStall.booth_number == booth)
    ) if booth else None
    if taken is not None:
        return
    now = utcnow()
    applied_at = min(fair.starts_at - timedelta(days=10), now)
    application = fairs.apply_to_fair(stall.owner, fair, stall.id, now=applied_at)
    if booth:
        fairs.accept_application(application, booth,
                                 now=min(fair.starts_at - timedelta(days=7), now))
    else:
        db.session.commit()


def _lychee_stalls(stalls: list[Stall]) -> list[Stall]:
    return [s for s in stalls if re.search(r"\bvai\b", search_key(s.name))]


def _scope(lychee: list[Stall]) -> list[int]:
    """The ids of the fresh lychee products of the lychee stalls (LYCHEE_SCOPE)."""
    return list(db.session.scalars(
        sa.select(Product.id).where(Product.name.in_(LYCHEE_SCOPE),
                                    Product.stall_id.in_([s.id for s in lychee]))
        .order_by(Product.id)
    ))


def _campaign(organizer, lychee: list[Stall], now: datetime) -> Campaign:
    """The lychee drive, saved through the fairs' service, with the lychee growers invited and
    joined (a campaign counts only the stalls that joined it).

    An older demo database is brought up to date: a lychee stall left out is invited, an
    invitation left unanswered is answered, and a drive that counted the whole fruit category
    (oranges and pomelos included) counts the fresh lychee only.
    """
    campaign = fairs.campaign_by_slug(CAMPAIGN["slug"])
    if campaign is None:
        values = {**CAMPAIGN, "goal_weight": CAMPAIGN["goal_kg"], "goal_unit": "kg",
                  "categories": [], "stalls": [], "products": _scope(lychee),
                  "channels": CAMPAIGN["channels"].split(",")}
    else:
        values = fairs.campaign_form_values(campaign)
    invited = set(values["stalls"])
    whole_category = (campaign is not None and not campaign.products
                      and campaign.categories in ("", "trai-cay"))
    if whole_category:
        values.update(categories=[], products=_scope(lychee))
    if campaign is None or whole_category or any(s.id not in invited for s in lychee):
        values["stalls"] = [*values["stalls"], *(s.id for s in lychee if s.id not in invited)]
        campaign = fairs.save_campaign(organizer, fairs.CampaignInput(
            name=values["name"], slug=values["slug"], description=values["description"],
            starts_on=values["starts_on"], ends_on=values["ends_on"],
            goal_weight=values["goal_weight"], goal_unit=values["goal_unit"],
            goal_vnd=values.get("goal_vnd"), categories=values["categories"],
            stall_ids=values["stalls"], product_ids=values["products"],
            channels=values["channels"], published=values["published"],
            public_board=values["public_board"],
        ), campaign)
    growers = {s.id for s in lychee}
    for invitation in campaign.invitations:
        if invitation.stall_id in growers and invitation.status == "invited":
            fairs.answer_campaign_invitation(invitation, True, now)
    return campaign


def seed(ctx: dict) -> None:
    """Create the past Yên Dũng fair, a fair open now, an upcoming one and the lychee campaign."""
    organizer = ctx["organizer"]
    stalls: list[Stall] = list(ctx.get("stalls") or [])
    now = utcnow()

    past = _fair(organizer, PAST_FAIR, PAST_FAIR["starts_local"], PAST_FAIR["ends_local"])
    for n, stall in enumerate(stalls[:18], start=1):
        _take_part(past, stall, str(n))

    # The open fair always opened yesterday morning and runs two more days, so the demo has one
    # open, whatever the hour it is seeded.
    starts, ends = open_fair_local_times(vn_now())
    open_fair = _fair(organizer, OPEN_FAIR, starts, ends)
    if open_fair.state(now) != "open":
        _move(open_fair, starts, ends, publish=True)
    # Most stalls have a booth; the last two wait for the organizer's decision.
    waiting = 2 if len(stalls) >= 4 else 0
    for n, stall in enumerate(stalls, start=1):
        _take_part(open_fair, stall, str(n) if n <= len(stalls) - waiting else None)

    # The upcoming fair opens at 7:00 in a month's time and runs three days.
    first = vn_now().date() + timedelta(days=30)
    up_starts = datetime.combine(first, datetime.min.time()).replace(hour=OPEN_HOUR)
    up_ends = datetime.combine(first + timedelta(days=2), datetime.min.time()).replace(
        hour=CLOSE_HOUR)
    upcoming = _fair(organizer, UPCOMING_FAIR, up_starts, up_ends)
    if upcoming.state(now) != "upcoming":
        _move(upcoming, up_starts, up_ends)

    campaign = _campaign(organizer, _lychee_stalls(stalls), now)

    ctx["past_fair"], ctx["open_fair"], ctx["upcoming_fair"] = past, open_fair, upcoming
    ctx["campaign"] = campaign
