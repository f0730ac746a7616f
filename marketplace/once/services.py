"""Spend one-time keys: the first request acts, every repeat gets the first result.

A key is made when a form is rendered (or by the booth device) and posted back with it. The
action writes the key as the first row of its own transaction, under the unique (key, action)
pair, and the result beside it. A repeat that arrives after the first committed finds the row
and answers with the first result; one that arrives while the first is still running waits on
the unique index (PostgreSQL) or the write lock (SQLite), then does the same.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.database import utcnow
from marketplace.errors import Conflict, DomainError, ValidationError
from marketplace.extensions import db
from marketplace.once.models import OnceKey

T = TypeVar("T")

CHECKOUT = "checkout"
BOOTH_SALE = "booth_sale"
MANUAL_ORDER = "manual_order"
CASH = "cash"
TRANSFER = "transfer"
RECONCILE = "reconcile"
REFUND = "refund"
CORRECTION = "correction"
CANCEL = "cancel"
IMPORT = "import"

# uuid4 hex from the server, crypto.randomUUID() from a device, token_urlsafe from old forms.
_KEY_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_key() -> str:
    """Make a fresh one-time key for a form being rendered."""
    return uuid.uuid4().hex


def is_key(value: object) -> bool:
    """Tell whether a posted value has the shape of a one-time key."""
    return isinstance(value, str) and _KEY_RE.fullmatch(value) is not None


@dataclass(frozen=True)
class Once:
    """A posted key, the action it is for and who sent it."""

    key: str
    action: str
    actor_id: int | None = None
    guest: str | None = None


class Repeated(Exception):
    """Another request spent the key first and committed."""


def once_for(raw_key: str | None, action: str, *, actor_id: int | None = None,
             guest_token: str | None = None) -> Once:
    """Check a posted key and bind it to its sender; a missing or malformed key is refused."""
    key = (raw_key or "").strip()
    if not is_key(key):
        raise ValidationError(None, _(
            "Biểu mẫu đã cũ hoặc không hợp lệ. Vui lòng tải lại trang rồi "
            "gửi lại."))
    guest = None
    if actor_id is None:
        guest = hashlib.sha256((guest_token or "").encode()).hexdigest()
    return Once(key, action, actor_id, guest)


def first_result(once: Once) -> str | None:
    """Return the result the key was spent on, or None when it is still unspent.

    A key spent by someone else is refused without saying what it was spent on.
    """
    row = db.session.execute(
        sa.select(OnceKey.actor_id, OnceKey.guest, OnceKey.result_ref)
        .where(OnceKey.key == once.key, OnceKey.action == once.action)
    ).first()
    if row is None:
        return None
    if (row.actor_id, row.guest) != (once.actor_id, once.guest):
        raise Conflict(_("Biểu mẫu này đã được gửi từ nơi khác. Vui lòng tải lại trang."))
    return row.result_ref


def claim(once: Once, result_ref: str = "") -> int:
    """Write the key as the first row of the action's transaction; return its id.

    Raise Repeated (after rolling back) when another request already spent it.
    """
    table = OnceKey.__table__
    try:
        result = db.session.connection().execute(sa.insert(table).values(
            key=once.key, action=once.action, actor_id=once.actor_id, guest=once.guest,
            result_ref=result_ref, created_at=utcnow()))
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise Repeated from None
    return result.inserted_primary_key[0]


def settle(claim_id: int, result_ref: str) -> None:
    """Write the action's result beside its key (the caller commits)."""
    db.session.execute(
        sa.update(OnceKey).where(OnceKey.id == claim_id).values(result_ref=result_ref)
        .execution_options(synchronize_session=False)
    )


def same_result(ref: str, expected: str) -> None:
    """Accept a replay only for the record the key was spent on (not a key moved elsewhere)."""
    if ref != expected:
        raise Conflict(_("Biểu mẫu này đã được dùng cho một thao tác khác. "
                         "Vui lòng tải lại trang."))


def run_once(once: Once, act: Callable[[], T], replay: Callable[[str], T]) -> T:
    """Run act() unless the key is spent; a repeat, before or during, gets replay(result).

    act() must claim() the key before its first write. A repeat that raced the first request
    may also have failed on the state the first one left (stock taken, order paid): it too
    answers with the first result.
    """
    ref = first_result(once)
    if ref is not None:
        return replay(ref)
    try:
        return act()
    except (Repeated, DomainError) as exc:
        db.session.rollback()
        ref = first_result(once)
        if ref is not None:
            return replay(ref)
        if isinstance(exc, Repeated):  # pragma: no cover - the row is committed when seen
            raise Conflict(_("Biểu mẫu này đang được xử lý. Vui lòng tải lại trang.")) from None
        raise
