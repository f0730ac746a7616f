"""Delivery zones of a stall, and the fee each stall charges to deliver an order somewhere."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.catalog.models import Stall
from marketplace.catalog.services.fields import whole_number as _whole_number
from marketplace.delivery import units
from marketplace.delivery.models import DeliveryZone
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.formatting import format_vnd
from marketplace.sanitize import clean_text

MAX_FEE = 10_000_000  # VND: no parcel within Vietnam costs more to deliver
MAX_FREE_FROM = 1_000_000_000  # VND, the largest price a product may have
MAX_ZONES = 200  # per stall: every province, and a few commune lists besides
MAX_WARDS = 200  # per zone

# --- zones of a stall -------------------------------------------------------------------------


def zones_of(stall_id: int) -> list[DeliveryZone]:
    """A stall's zones, by province name then cheapest first."""
    rows = list(db.session.scalars(
        sa.select(DeliveryZone).where(DeliveryZone.stall_id == stall_id)
        .order_by(DeliveryZone.id)))
    names = {p.code: units.short_name(p) for p in units.provinces()}
    return sorted(rows, key=lambda z: (names.get(z.province_code, ""), bool(z.ward_codes),
                                       z.fee, z.id))


def zone_of(stall: Stall, zone_id: int) -> DeliveryZone | None:
    """A zone of this stall, or None (another stall's zone is not found)."""
    zone = db.session.get(DeliveryZone, zone_id)
    return zone if zone is not None and zone.stall_id == stall.id else None


def parse_amount(value: Any, field: str, *, required: bool, most: int) -> int | None:
    """Read a sum of VND ('25.000', '25000', '25.000 ₫'); None when empty and allowed."""
    amount = _whole_number(value, field, bad=_l("Nhập số tiền, ví dụ 25.000."),
                           negative=_l("Số tiền không được âm."))
    if amount is None:
        if required:
            raise ValidationError(field, _("Vui lòng nhập số tiền (0 nếu miễn phí)."))
        return None
    if amount > most:
        raise ValidationError(field, _("Số tiền quá lớn (tối đa %(n)s).", n=format_vnd(most)))
    return amount


def parse_wards(province_code: int, text: Any) -> list[int]:
    """Read commune names (one a line, or separated by commas) of the province as codes."""
    names = [n.strip() for n in re.split(r"[,;\n]", clean_text(text)) if n.strip()]
    if len(names) > MAX_WARDS:
        raise ValidationError("communes", _("Tối đa %(n)s xã/phường một vùng.", n=MAX_WARDS))
    codes: list[int] = []
    unknown = []
    for name in names:
        found = units.find_ward(province_code, name)
        if found is None:
            unknown.append(name)
        elif int(found.code) not in codes:
            codes.append(int(found.code))
    if unknown:
        prov = units.province(province_code)
        raise ValidationError("communes", _(
            "Không có xã/phường “%(names)s” ở %(province)s (theo địa giới từ 1/7/2025).",
            names=", ".join(unknown[:5]), province=prov.name if prov else ""))
    return codes


def save_zone(stall: Stall, data: dict, zone: DeliveryZone | None = None) -> DeliveryZone:
    """Add a zone to the stall (or change one of its zones) and commit."""
    code = _whole_number(data.get("province"), "province", bad=_l("Vui lòng chọn tỉnh/thành."),
                         negative=_l("Vui lòng chọn tỉnh/thành."))
    prov = units.province(code) if code is not None else None
    if prov is None:
        raise ValidationError("province", _("Vui lòng chọn tỉnh/thành."))
    wards = parse_wards(int(prov.code), data.get("communes"))
    fee = parse_amount(data.get("fee"), "fee", required=True, most=MAX_FEE)
    free_from = parse_amount(data.get("free_from"), "free_from", required=False,
                             most=MAX_FREE_FROM)
    if zone is None:
        count = db.session.scalar(sa.select(sa.func.count()).select_from(DeliveryZone)
                                  .where(DeliveryZone.stall_id == stall.id))
        if count >= MAX_ZONES:
            raise ValidationError(None, _("Mỗi gian hàng có tối đa %(n)s vùng giao hàng.",
                                          n=MAX_ZONES))
        zone = DeliveryZone(stall_id=stall.id)
        db.session.add(zone)
    zone.province_code = int(prov.code)
    zone.ward_codes = " ".join(str(c) for c in wards)
    zone.fee = fee
    zone.free_from = free_from
    db.session.commit()
    return zone


def delete_zone(zone: DeliveryZone) -> None:
    """Remove a zone and commit."""
    db.session.delete(zone)
    db.session.commit()


def zone_label(zone: DeliveryZone) -> str:
    """'Bắc Ninh' or 'Bắc Ninh: Xã Lục Ngạn, Phường Chũ'."""
    prov = units.province(zone.province_code)
    name = prov.name if prov else str(zone.province_code)
    if not zone.ward_codes:
        return name
    wards = [w.name for c in zone.ward_list if (w := units.ward(c)) is not None]
    return f"{name}: {', '.join(wards)}"


def ward_names(zone: DeliveryZone) -> str:
    """The zone's communes as the form shows them, one a line."""
    return "\n".join(w.name for c in zone.ward_list if (w := units.ward(c)) is not None)


# --- the fee of a stall for a place ------------------------------------------------------------

FREE, ASK, FEE, NEED_WARD, NONE = "free", "ask", "fee", "ward", "none"


@dataclass(frozen=True, slots=True)
class Quote:
    """What a stall charges to deliver an order: its status, fee and free-delivery threshold.

    status: FREE (the stall set no zones: delivery is agreed with the seller, no fee), ASK (the
    place is not known yet), FEE (delivered for fee), NEED_WARD (the stall delivers to some
    communes of the province only) or NONE (the stall does not deliver there).
    """

    stall_id: int
    status: str
    fee: int = 0
    free_from: int | None = None
    lowest: int | None = None  # the stall's cheapest zone fee (to show before the place)

    @property
    def delivers(self) -> bool:
        return self.status in (FREE, FEE)


def zones_by_stall(stall_ids: Iterable[int]) -> dict[int, list[DeliveryZone]]:
    """Zones of several stalls, read with one query."""
    ids = list(stall_ids)
    found: dict[int, list[DeliveryZone]] = defaultdict(list)
    if ids:
        for zone in db.session.scalars(sa.select(DeliveryZone).where(
                DeliveryZone.stall_id.in_(ids)).order_by(DeliveryZone.id)):
            found[zone.stall_id].append(zone)
    return found


def quote(stall_id: int, subtotal: int, place: units.Place | None,
          zones: list[DeliveryZone]) -> Quote:
    """The fee of one stall to deliver goods worth subtotal to place.

    A zone naming the place's commune wins over a zone covering the whole province; among
    zones that fit equally, the cheapest for this order.
    """
    if not zones:
        return Quote(stall_id, FREE)
    lowest = min(z.fee for z in zones)
    if place is None:
        return Quote(stall_id, ASK, lowest=lowest)
    in_province = [z for z in zones if z.province_code == int(place.province.code)]
    ward = int(place.ward.code) if place.ward is not None else None
    fitting = [z for z in in_province if ward is not None and ward in z.ward_list]
    fitting = fitting or [z for z in in_province if not z.ward_codes]
    if not fitting:
        status = NEED_WARD if in_province and ward is None else NONE
        return Quote(stall_id, status, lowest=lowest)
    best = min(fitting, key=lambda z: (z.fee_for(subtotal), z.id))
    return Quote(stall_id, FEE, best.fee_for(subtotal), best.free_from, lowest)


def read_place(province: str | None, commune: str | None,
               address: str | None = None) -> units.Place | None:
    """The place named by the province and commune fields, else found in the address text.

    Old (pre-2025) province names are read as the province they joined. An unknown province
    is a form error; an unknown commune leaves the commune unknown.
    """
    province, commune = clean_text(province, multiline=False), clean_text(commune,
                                                                          multiline=False)
    if not province:
        return units.place_in_address(address)
    found = units.find_province(province)
    if found is None:
        raise ValidationError("delivery_province", _(
            "Không tìm thấy tỉnh/thành “%(name)s”. Chọn một trong 34 tỉnh/thành từ 1/7/2025.",
            name=province[:80]))
    prov, old = found
    return units.Place(prov, units.find_ward(int(prov.code), commune), old)


def checkout_fee(stall_name: str, q: Quote, place: units.Place | None) -> int:
    """The fee an order to deliver must carry, or the form error that stops the checkout."""
    if q.status in (FREE, FEE):
        return q.fee
    if q.status == ASK:
        raise ValidationError("delivery_province", _(
            "Vui lòng chọn tỉnh/thành giao hàng để tính phí giao của %(stall)s.",
            stall=stall_name))
    if q.status == NEED_WARD:
        raise ValidationError("delivery_commune", _(
            "%(stall)s chỉ giao đến một số xã/phường của %(province)s: vui lòng ghi đúng "
            "tên xã/phường nhận hàng.", stall=stall_name, province=place.province.name))
    raise ValidationError(f"fulfilment_{q.stall_id}", _(
        "%(stall)s không giao hàng đến %(place)s. Vui lòng chọn cách nhận hàng khác.",
        stall=stall_name, place=place.label))


def full_address(address: str, place: units.Place | None, typed: bool) -> str:
    """The address to store: the shopper's text, then the commune and province they chose."""
    if place is None or not typed:
        return address
    return f"{address}, {place.label}"[:400]


# --- a cart or checkout's fees ------------------------------------------------------------------


@dataclass
class Fees:
    """Each stall's delivery quote for a cart, and what the shopper pays with the fees."""

    place: units.Place | None
    quotes: dict[int, Quote]
    fees: dict[int, int]  # stall id -> fee, for the stalls chosen to deliver (known fees)
    goods: int
    error: ValidationError | None = None  # an unreadable province, shown on the form

    @property
    def total(self) -> int:
        return self.goods + sum(self.fees.values())

    @property
    def fee_total(self) -> int:
        return sum(self.fees.values())


def cart_fees(groups, delivering: Iterable[int] | None = None, *, province: str | None = None,
              commune: str | None = None, address: str | None = None) -> Fees:
    """Quote every stall of a cart for the place given; fees count for the stalls delivering.

    groups are the cart's stall groups (stall, subtotal); delivering names the stalls whose
    order is to be delivered (None: every stall that can deliver there, as the cart shows).
    """
    error = None
    try:
        place = read_place(province, commune, address)
    except ValidationError as exc:
        place, error = None, exc
    zones = zones_by_stall(g.stall.id for g in groups)
    quotes = {g.stall.id: quote(g.stall.id, g.subtotal, place, zones.get(g.stall.id, []))
              for g in groups}
    chosen = set(quotes) if delivering is None else set(delivering)
    fees = {sid: q.fee for sid, q in quotes.items() if sid in chosen and q.delivers}
    return Fees(place, quotes, fees, sum(g.subtotal for g in groups), error)


def checkout_fees(groups, delivering: Iterable[int], *, province: str | None,
                  commune: str | None, address: str) -> tuple[dict[int, int], str]:
    """The fee of each stall chosen to deliver, and the address to store; or a form error."""
    delivering = set(delivering)
    if not delivering:
        return {}, address
    place = read_place(province, commune, address)
    zones = zones_by_stall(delivering)
    fees = {}
    for group in groups:
        if group.stall.id in delivering:
            q = quote(group.stall.id, group.subtotal, place, zones.get(group.stall.id, []))
            fees[group.stall.id] = checkout_fee(group.stall.name, q, place)
    typed = bool(clean_text(province, multiline=False))
    return fees, full_address(address, place, typed)
