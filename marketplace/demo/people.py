"""Demo people: an organizer, the sellers of the Yên Dũng fair, a shopper."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import build_user
from marketplace.extensions import db

DEMO_PASSWORD = "cho40-demo"

ORGANIZER = ("Đoàn Thanh niên huyện Yên Dũng", "bantochuc@cho40.vn", None)
SHOPPER = ("Nguyễn Thu Hà", "khach@cho40.vn", "0987000001")
# (seller name, phone) — stalls are named in demo/stalls.py, in the same order.
SELLERS = [
    ("Nguyễn Văn Dũng", "0912000001"),
    ("Trần Thị Lan", "0912000002"),
    ("Lê Văn Thụy", "0912000003"),
    ("Phạm Thị Dương", "0912000004"),
    ("Hoàng Văn Ngạn", "0912000005"),
    ("Vũ Thị Hoa", "0912000006"),
]


def _get_or_create(name: str, role: str, email: str | None, phone: str | None) -> User:
    where = User.email == email if email else User.phone == phone
    user = db.session.scalar(sa.select(User).where(where))
    if user is None:
        user = build_user(name=name, email=email, phone=phone, password=DEMO_PASSWORD, role=role)
        db.session.flush()
    return user


def seed(ctx: dict) -> None:
    """Create the demo accounts unless they exist."""
    ctx["password"] = DEMO_PASSWORD
    ctx["organizer"] = _get_or_create(*ORGANIZER[:1], Role.ORGANIZER, ORGANIZER[1], None)
    ctx["logins"].append(("organizer", ORGANIZER[1], ORGANIZER[0]))
    ctx["sellers"] = []
    for name, phone in SELLERS:
        ctx["sellers"].append(_get_or_create(name, Role.SELLER, None, phone))
        ctx["logins"].append(("seller", phone, name))
    ctx["shopper"] = _get_or_create(SHOPPER[0], Role.SHOPPER, SHOPPER[1], SHOPPER[2])
    ctx["logins"].append(("shopper", SHOPPER[1], SHOPPER[0]))
