"""Stalls at a fair: applications, invitations, booths and the organizer's decisions."""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.accounts.signals import organizer_reach
from marketplace.catalog.models import Stall
from marketplace.catalog.owners import owned_stall_ids, owned_stalls_query
from marketplace.database import utcnow
from marketplace.errors import Conflict, ValidationError
from marketplace.extensions import db
from marketplace.fairs.models import Fair, FairStall
from marketplace.provenance.versions import invalidate_product_pages
from marketplace.sanitize import clean_text


def booth_sort_key(booth: str | None) -> tuple:
    """Sort booths naturally: 2 before 10, A2 before A10."""
    parts = re.split(r"(\d+)", booth or "")
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in parts if p)


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


@organizer_reach.connect
def sellers_at_fairs_of(organizer: User, **_data) -> sa.Select:
    """Answer accounts.signals.organizer_reach: the owners of stalls in the organizer's fairs."""
    return (
        sa.select(Stall.owner_id)
        .join(FairStall, FairStall.stall_id == Stall.id)
        .join(Fair, Fair.id == FairStall.fair_id)
        .where(Fair.organizer_id == organizer.id)
    )


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
    fs = FairStall(fair_id=fair.id, stall_id=stall.id, status="applied", applied_at=now)
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
    booth = clean_text(raw)
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


def _check_booth_free(fs: FairStall, booth: str) -> None:
    """Refuse a booth another stall already holds in the fair (the session is rolled back)."""
    holder = db.session.scalar(
        sa.select(FairStall.id).where(
            FairStall.fair_id == fs.fair_id, FairStall.booth_number == booth,
            FairStall.id != (fs.id or 0),
        )
    )
    if holder is not None:
        db.session.rollback()
        raise _booth_taken_error(booth)


def _commit_booth(booth: str) -> None:
    """Commit a booth; two organizers giving it at the same moment: the constraint kept one."""
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise _booth_taken_error(booth) from None


def _assign_booth(fs: FairStall, booth: str, now: datetime) -> None:
    """Give the participation its booth and commit; a taken booth is a form error."""
    _check_booth_free(fs, booth)
    fs.status, fs.booth_number, fs.decline_reason, fs.decided_at = "accepted", booth, None, now
    _commit_booth(booth)
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
    reason = clean_text(reason)
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
        fs = FairStall(fair_id=fair.id, stall_id=stall.id, status="applied", applied_at=now)
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
    _check_booth_free(fs, booth)
    fs.status, fs.booth_number, fs.decline_reason, fs.decided_at = "invited", booth, None, None
    fs.applied_at = fs.applied_at or now
    _commit_booth(booth)


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


def addable_stalls(fair: Fair) -> list[Stall]:
    """Active stalls the organizer can still invite (not taking part, not invited), by name."""
    accepted = sa.select(FairStall.stall_id).where(
        FairStall.fair_id == fair.id, FairStall.status.in_(("accepted", "invited"))
    )
    return list(db.session.scalars(
        sa.select(Stall).where(Stall.active, Stall.id.not_in(accepted)).order_by(Stall.name)
    ))
