"""The demo gives the Yên Dũng fair's products their provenance, once."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.demo import people as accounts_demo
from marketplace.demo import provenance as demo
from marketplace.demo import stalls as catalog_demo
from marketplace.extensions import db as _db
from marketplace.formatting import vn_today
from marketplace.provenance.models import Batch, Certificate, TimelineStep


def seed_all() -> dict:
    ctx: dict = {"logins": []}
    for module in (accounts_demo, catalog_demo, demo):
        module.seed(ctx)
        _db.session.commit()
    return ctx


def counts(db) -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (Batch, TimelineStep, Certificate)
    )


def test_demo_is_idempotent(db):
    seed_all()
    first = counts(db)
    seed_all()
    assert counts(db) == first
    assert all(n > 0 for n in first)


def test_demo_has_vietgap_lychee_with_growing_area_code(client, db):
    ctx = seed_all()
    lychee = ctx["provenance_products"]["lychee"][0]
    html = client.get(f"/p/{lychee.code}").get_data(as_text=True)
    assert "VietGAP" in html
    assert "Mã số vùng trồng" in html
    assert "Nhật ký sản xuất" in html


def test_demo_has_ocop_rice_crackers(client, db):
    ctx = seed_all()
    crackers = ctx["provenance_products"]["crackers"][0]
    html = client.get(f"/p/{crackers.code}").get_data(as_text=True)
    assert "OCOP" in html
    assert "★★★" in html


def test_demo_shows_an_expired_certificate_somewhere(db):
    seed_all()
    expired = db.session.scalar(
        sa.select(sa.func.count()).select_from(Certificate)
        .where(Certificate.valid_until < vn_today())
    )
    assert expired >= 1
