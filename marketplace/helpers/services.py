"""Add and remove a stall's helpers; find the stalls a person may sell at."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import build_user
from marketplace.catalog.codes import normalize_code
from marketplace.catalog.models import Stall
from marketplace.catalog.owners import owned_stall_ids
from marketplace.database import utcnow
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.formatting import local_day_bounds, vn_today
from marketplace.helpers.models import HelperInvite, StallHelper

INVITE_DAYS = 7
INVITE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: read aloud, typed
INVITE_LENGTH = 8


def booth_stalls(user_id: int) -> list[Stall]:
    """The stalls a person sells at: those they own, then those they help, by id."""
    owned = owned_stall_ids(user_id)
    helped = sa.select(StallHelper.stall_id).where(StallHelper.user_id == user_id)
    return list(db.session.scalars(
        sa.select(Stall).where(sa.or_(Stall.id.in_(owned), Stall.id.in_(helped)))
        .order_by((Stall.owner_id != user_id), Stall.id)))


def is_helper(user_id: int) -> bool:
    return db.session.scalar(
        sa.select(StallHelper.id).where(StallHelper.user_id == user_id).limit(1)) is not None


def helpers_of(stall: Stall) -> list[StallHelper]:
    return list(db.session.scalars(
        sa.select(StallHelper).where(StallHelper.stall_id == stall.id).order_by(StallHelper.id)))


def add_helper(stall: Stall, *, name: str, phone: str, password: str, by_id: int) -> User:
    """Make an account (phone + password) that may sell at this stall's booth only."""
    user = build_user(name=name, password=password, role=Role.HELPER.value, phone=phone or "")
    if not user.phone:
        raise ValidationError("phone", _("Vui lòng nhập số điện thoại của người phụ bán."))
    db.session.flush()
    db.session.add(StallHelper(stall_id=stall.id, user_id=user.id, added_by_id=by_id))
    db.session.commit()
    return user


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedInvite:
    code: str
    expires_at: datetime


def issue_invite(stall: Stall, by_id: int) -> IssuedInvite:
    """Make a one-time code a helper signs up with (shown once; only its hash is kept)."""
    code = "".join(secrets.choice(INVITE_ALPHABET) for _i in range(INVITE_LENGTH))
    expires = utcnow() + timedelta(days=INVITE_DAYS)
    db.session.add(HelperInvite(stall_id=stall.id, created_by_id=by_id, code_hash=_hash(code),
                                expires_at=expires))
    db.session.commit()
    return IssuedInvite(code, expires)


def join_with_invite(code: str, *, name: str, phone: str, password: str) -> User:
    """Sign up as a helper of the stall whose owner gave out the code; the code is spent."""
    clean = normalize_code(code or "") or ""
    now = utcnow()
    invite = db.session.scalar(
        sa.select(HelperInvite).where(HelperInvite.code_hash == _hash(clean),
                                      HelperInvite.used_at.is_(None),
                                      HelperInvite.expires_at > now))
    if invite is None:
        raise ValidationError("code", _("Mã mời không đúng, đã dùng hoặc đã hết hạn."))
    user = build_user(name=name, password=password, role=Role.HELPER.value, phone=phone or "")
    if not user.phone:
        raise ValidationError("phone", _("Vui lòng nhập số điện thoại của người phụ bán."))
    db.session.flush()
    spent = db.session.execute(
        sa.update(HelperInvite).where(HelperInvite.id == invite.id,
                                      HelperInvite.used_at.is_(None))
        .values(used_at=now, used_by_id=user.id).execution_options(synchronize_session=False))
    if spent.rowcount != 1:  # another sign-up spent it a moment ago
        db.session.rollback()
        raise ValidationError("code", _("Mã mời không đúng, đã dùng hoặc đã hết hạn."))
    db.session.add(StallHelper(stall_id=invite.stall_id, user_id=user.id,
                               added_by_id=invite.created_by_id))
    db.session.commit()
    return user


def remove_helper(stall: Stall, helper_id: int) -> bool:
    """Stop a helper selling at this stall (signed out everywhere); False if not its helper."""
    row = db.session.get(StallHelper, helper_id)
    if row is None or row.stall_id != stall.id:
        return False
    user = row.user
    db.session.delete(row)
    db.session.flush()
    if user.role == Role.HELPER and not is_helper(user.id):
        user.end_sessions()
    db.session.commit()
    return True


@dataclass(frozen=True)
class PersonSales:
    """Booth sales one of the stall's people made in a period."""

    user_id: int
    name: str
    is_owner: bool
    orders: int
    total: int


def sales_by_person(stall: Stall, first: date | None, last: date | None) -> list[PersonSales]:
    """Split the stall's booth sales (not cancelled) by who made them, biggest first."""
    from marketplace.orders.models import Order

    conds = [Order.stall_id == stall.id, Order.created_by_id.is_not(None),
             Order.status != "cancelled"]
    if first and last:
        conds += [Order.placed_at >= local_day_bounds(first)[0],
                  Order.placed_at <= local_day_bounds(last)[1]]
    rows = db.session.execute(
        sa.select(User.id, User.name, sa.func.count(Order.id), sa.func.sum(Order.total))
        .join(User, User.id == Order.created_by_id).where(*conds)
        .group_by(User.id, User.name).order_by(sa.func.sum(Order.total).desc(), User.id))
    return [PersonSales(uid, name, uid == stall.owner_id, int(n), int(total or 0))
            for uid, name, n, total in rows]


def todays_sales(stall: Stall) -> list:
    """The stall's booth sales made today (Vietnam day), newest first, with who sold them."""
    from sqlalchemy.orm import joinedload

    from marketplace.orders.models import Order

    start, end = local_day_bounds(vn_today())
    return list(db.session.scalars(
        sa.select(Order).options(joinedload(Order.lines))
        .where(Order.stall_id == stall.id, Order.created_by_id.is_not(None),
               Order.placed_at >= start, Order.placed_at <= end)
        .order_by(Order.placed_at.desc())).unique())


def seller_names(ids) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(User.id, User.name).where(User.id.in_(set(ids)))).all())
