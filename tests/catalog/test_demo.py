"""The demo: 18 stalls of the Yên Dũng fair with valid products and photos, seeded idempotently."""

import sqlalchemy as sa

from marketplace.catalog.models import Product, ProductImage, Stall
from marketplace.catalog.services import clean_product
from marketplace.demo import people as accounts_demo
from marketplace.demo import stalls as demo


def _seed(db) -> dict:
    ctx: dict = {"logins": []}
    accounts_demo.seed(ctx)
    db.session.commit()
    demo.seed(ctx)
    db.session.commit()
    return ctx


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_demo_has_18_stalls_and_about_70_products_with_photos(db):
    ctx = _seed(db)
    assert len(ctx["stalls"]) == 18
    assert 60 <= len(ctx["products"]) <= 80
    assert _count(db, ProductImage) == len(ctx["products"])
    assert sum(1 for s in ctx["stalls"] if s.has_bank_account) >= 14
    assert {s.slug for s in ctx["stalls"][:6]} >= {"gao-thom-yen-dung", "vai-thieu-luc-ngan"}
    assert {"0912000007", "0912000018"} <= {login for _, login, _ in ctx["logins"]}


def test_demo_is_idempotent(db):
    _seed(db)
    counts = (_count(db, Stall), _count(db, Product), _count(db, ProductImage))
    _seed(db)
    assert (_count(db, Stall), _count(db, Product), _count(db, ProductImage)) == counts


def test_demo_products_pass_the_product_rules(db):
    ctx = _seed(db)
    for product in ctx["products"]:
        data = {name: getattr(product, name) for name in (
            "name", "category", "unit", "net_weight_kg", "price", "stock", "gtin",
            "growing_area_code", "ocop_stars", "ocop_year", "planting_year",
            "harvest_start", "harvest_end")}
        clean_product(data, product)


def test_demo_lychee_is_findable_without_accents(client, db):
    _seed(db)
    html = client.get("/products?q=vai+thieu+luc+ngan").get_data(as_text=True)
    assert "Vải thiều Lục Ngạn hộp 2 kg" in html
