"""Demo stalls, named after the Yên Dũng fair's real products."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.catalog.models import Stall
from marketplace.extensions import db

STALLS = [
    ("gao-thom-yen-dung", "Gạo thơm Yên Dũng", "Yên Dũng"),
    ("tuong-la-tri-yen", "Tương làng Trí Yên", "Yên Dũng"),
    ("banh-da-canh-thuy", "Bánh đa Cảnh Thụy", "Yên Dũng"),
    ("tinh-bot-nghe-thuy-duong", "Tinh bột nghệ Thuỳ Dương", "Yên Dũng"),
    ("vai-thieu-luc-ngan", "Vải thiều Lục Ngạn", "Lục Ngạn"),
    ("my-rau-cu", "Mỳ rau củ Yên Dũng", "Yên Dũng"),
]


def seed(ctx: dict) -> None:
    """Give each demo seller a stall unless it exists."""
    ctx["stalls"] = []
    for owner, (slug, name, district) in zip(ctx["sellers"], STALLS, strict=True):
        stall = db.session.scalar(sa.select(Stall).where(Stall.slug == slug))
        if stall is None:
            stall = Stall(
                owner=owner, slug=slug, name=name, district=district, province="Bắc Giang",
                phone=owner.phone, zalo=owner.phone,
            )
            db.session.add(stall)
            db.session.flush()
        ctx["stalls"].append(stall)
