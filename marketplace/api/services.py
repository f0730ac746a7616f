"""API tokens (create, revoke, authenticate) and the JSON shapes the API returns."""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from dataclasses import fields, is_dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import has_request_context
from flask_babel import gettext

from marketplace.accounts.models import User
from marketplace.catalog.categories import category_label
from marketplace.catalog.models import Product, Stall
from marketplace.database import utcnow
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.fairs.models import Campaign, Fair, FairStall
from marketplace.formatting import vn_today
from marketplace.provenance.models import Batch, Certificate, TimelineStep
from marketplace.reports.figures import (
    Report,
    Tables,
    campaign_progress,
    campaign_report,
    fair_report,
)
from marketplace.sanitize import clean_name

from .models import ApiToken

TOKEN_PREFIX = "cho40_"
PREFIX_LENGTH = 12  # "cho40_" + 6 characters: enough to tell tokens apart in a list
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _(text: str, **values) -> str:
    """Translate inside a request; the command line runs without one."""
    if has_request_context():
        return gettext(text, **values)
    return text % values if values else text


def hash_token(raw: str) -> str:
    """Return the SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for an organizer; return it and the clear token (shown once)."""
    name = clean_name(name)
    if user.role != "organizer" or not user.active:
        raise ValidationError(None, _("Chỉ ban tổ chức mới tạo được khoá API."))
    if not name:
        raise ValidationError("name", _("Hãy đặt tên cho khoá (ví dụ: “Bảng tính báo cáo”)."))
    if len(name) > 80:
        raise ValidationError("name", _("Tên khoá dài tối đa 80 ký tự."))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, prefix=raw[:PREFIX_LENGTH],
                     token_hash=hash_token(raw))
    db.session.add(token)
    db.session.commit()
    return token, raw


def list_tokens(user: User) -> list[ApiToken]:
    """The user's tokens, newest first."""
    return list(db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ))


def revoke_token(token: ApiToken) -> None:
    """Revoke a token now (it answers 401 from then on)."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()


def authenticate(raw: str | None) -> ApiToken | None:
    """Return the live token for a clear bearer token, or None (unknown, revoked, inactive)."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or token.revoked_at is not None:
        return None
    if not token.user.active or token.user.role != "organizer":
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.commit()
    return token


# ---------------------------------------------------------------- JSON shapes


# Fields of these figures that are None are left out of the JSON (a report's tables it does not
# have, a fair's campaign progress), as the OpenAPI schema says (not required, never null).
LEFT_OUT_WHEN_NONE = (Report, Tables)


def figures_json(value):
    """Turn report figures (frozen dataclasses, tuples of rows, Decimal, dates) into plain JSON
    values: every field by its name, money as integers, weights as numbers, days as ISO dates."""
    if is_dataclass(value):
        skip_none = isinstance(value, LEFT_OUT_WHEN_NONE)
        data = {}
        for f in fields(value):
            item = getattr(value, f.name)
            if not (skip_none and item is None):
                data[f.name] = figures_json(item)
        return data
    if isinstance(value, tuple):
        return [figures_json(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    raise TypeError(f"not a report figure: {type(value).__name__}")


def fair_report_json(fair: Fair) -> dict:
    """The fair's report, as /api/v1/fairs/<slug>/report returns it (schema "Report")."""
    return figures_json(fair_report(fair))


def campaign_report_json(campaign: Campaign) -> dict:
    """The campaign's report, as /api/v1/campaigns/<slug>/report returns it."""
    return figures_json(campaign_report(campaign))


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _kg(value) -> float | None:
    return float(value) if value is not None else None


def organizer_fairs(user: User) -> sa.Select:
    return sa.select(Fair).where(Fair.organizer_id == user.id).order_by(
        Fair.starts_at.desc(), Fair.id.desc())


def organizer_campaigns(user: User) -> sa.Select:
    return sa.select(Campaign).where(Campaign.organizer_id == user.id).order_by(
        Campaign.starts_on.desc(), Campaign.id.desc())


def fair_json(fair: Fair, *, detail: bool = False) -> dict:
    data = {
        "slug": fair.slug, "name": fair.name, "venue": fair.venue, "address": fair.address,
        "starts_at": _iso(fair.starts_at), "ends_at": _iso(fair.ends_at),
        "state": fair.state(utcnow()), "published": fair.published,
        "public_board": fair.public_board,
    }
    if detail:
        data["description"] = fair.description
        rows = db.session.execute(
            sa.select(FairStall, Stall).join(Stall, Stall.id == FairStall.stall_id)
            .where(FairStall.fair_id == fair.id, FairStall.status == "accepted")
            .order_by(FairStall.booth_number, Stall.name)
        ).all()
        data["stalls"] = [
            {"slug": s.slug, "name": s.name, "booth": fs.booth_number, "province": s.province}
            for fs, s in rows
        ]
    return data


def campaign_json(campaign: Campaign, *, detail: bool = False) -> dict:
    data = {
        "slug": campaign.slug, "name": campaign.name,
        "starts_on": _iso(campaign.starts_on), "ends_on": _iso(campaign.ends_on),
        "goal_kg": _kg(campaign.goal_kg),
        "goal_vnd": int(campaign.goal_vnd) if campaign.goal_vnd is not None else None,
        "categories": campaign.category_list, "channels": campaign.channel_list,
        "published": campaign.published, "public_board": campaign.public_board,
    }
    if detail:
        data["description"] = campaign.description
        data["stalls"] = [{"slug": s.slug, "name": s.name} for s in campaign.joined_stalls]
        data["products"] = [{"code": p.code, "name": p.name} for p in campaign.products]
        data["progress"] = figures_json(campaign_progress(campaign))
    return data


def products_query(stall_slug: str | None, category: str | None) -> sa.Select:
    """Active products of active stalls, optionally of one stall or category."""
    stmt = (
        sa.select(Product).join(Stall, Stall.id == Product.stall_id)
        .where(Product.active.is_(True), Stall.active.is_(True))
    )
    if stall_slug:
        stmt = stmt.where(Stall.slug == stall_slug)
    if category:
        stmt = stmt.where(Product.category == category)
    return stmt.order_by(Product.id)


def products_json(products: list[Product], *, detail: bool = False) -> list[dict]:
    """Products with their provenance; batches and certificates loaded in a few queries."""
    ids = [p.id for p in products]
    stall_ids = list({p.stall_id for p in products})
    batches: dict[int, list[Batch]] = defaultdict(list)
    product_certs: dict[int, list[Certificate]] = defaultdict(list)
    stall_certs: dict[int, list[Certificate]] = defaultdict(list)
    steps: dict[int, list[TimelineStep]] = defaultdict(list)
    if ids:
        for batch in db.session.scalars(
            sa.select(Batch).where(Batch.product_id.in_(ids)).order_by(Batch.id)
        ):
            batches[batch.product_id].append(batch)
        for cert in db.session.scalars(
            sa.select(Certificate).where(sa.or_(
                Certificate.product_id.in_(ids),
                sa.and_(Certificate.product_id.is_(None), Certificate.stall_id.in_(stall_ids)),
            )).order_by(Certificate.id)
        ):
            if cert.product_id is not None:
                product_certs[cert.product_id].append(cert)
            else:
                stall_certs[cert.stall_id].append(cert)
        if detail:
            for step in db.session.scalars(
                sa.select(TimelineStep).where(TimelineStep.product_id.in_(ids))
                .order_by(TimelineStep.happened_on, TimelineStep.id)
            ):
                steps[step.product_id].append(step)
    today = vn_today()
    out = []
    for p in products:
        certs = product_certs[p.id] + stall_certs[p.stall_id]
        item = {
            "code": p.code, "name": p.name, "category": p.category,
            "category_label": category_label(p.category), "unit": p.unit,
            "net_weight_kg": _kg(p.net_weight_kg), "price_vnd": int(p.price), "gtin": p.gtin,
            "stall": {"slug": p.stall.slug, "name": p.stall.name, "province": p.stall.province,
                      "district": p.stall.district},
            "producer": {
                "name": p.provenance("producer_name"), "kind": p.provenance("producer_kind"),
                "address": p.provenance("producer_address"),
            },
            "growing_area": p.provenance("growing_area"),
            "growing_area_code": p.provenance("growing_area_code"),
            "variety": p.variety, "planting_year": p.planting_year,
            "harvest_start": _iso(p.harvest_start), "harvest_end": _iso(p.harvest_end),
            "ocop": ({"stars": p.ocop_stars, "year": p.ocop_year}
                     if p.ocop_stars is not None else None),
            "batches": [
                {"code": b.code, "produced_on": _iso(b.produced_on), "quantity": b.quantity,
                 "best_before": _iso(b.best_before)} for b in batches[p.id]
            ],
            "certificates": [
                {"kind": c.kind, "number": c.number, "issuer": c.issuer,
                 "valid_until": _iso(c.valid_until), "expired": c.is_expired(today),
                 "holder": "product" if c.product_id is not None else "stall"}
                for c in certs
            ],
        }
        if detail:
            item["description"] = p.description
            item["timeline"] = [
                {"on": _iso(s.happened_on), "step": s.step, "note": s.note} for s in steps[p.id]
            ]
        out.append(item)
    return out
