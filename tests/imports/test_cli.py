"""`flask sales import --stall SLUG FILE...` for organizers with many files."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.imports.models import ImportedSaleLine, SkuMapping
from tests.factories import make_product, make_stall
from tests.imports import builders as b


def _files(tmp_path):
    shopee = tmp_path / "Order.all.20230615_20230702.xlsx"
    shopee.write_bytes(b.shopee_file([
        b.shopee_line("230620AAA", "VAI-2KG", 3),
        b.shopee_line("230621BBB", "VAI-9KG", 1, status="Đã hủy"),
    ]))
    tiktok = tmp_path / "tiktok.csv"
    tiktok.write_bytes(b.tiktok_csv([b.tiktok_line("576461234567890123", "VAI-2KG", 2)]))
    return [str(shopee), str(tiktok)]


def _lines() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ImportedSaleLine))


def test_import_prints_counted_skipped_and_unmapped(app, tmp_path):
    stall = make_stall(slug="vai-cli")
    product = make_product(stall)
    db.session.add(SkuMapping(stall_id=stall.id, platform="shopee", seller_sku="VAI-2KG",
                              product_id=product.id))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["sales", "import", "--stall", "vai-cli",
                                                 *_files(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Counted (sale + in progress): 2 lines, 5 units" in result.output
    assert "tiktok.csv row 2: dòng mô tả cột" in result.output
    assert "TikTok Shop 'VAI-2KG'" in result.output  # mapped on Shopee only
    assert "Shopee 'VAI-9KG'" in result.output
    assert "Saved: 3 new" in result.output
    assert _lines() == 3


def test_dry_run_saves_nothing(app, tmp_path):
    make_stall(slug="vai-cli")
    result = app.test_cli_runner().invoke(args=["sales", "import", "--stall", "vai-cli",
                                                "--dry-run", *_files(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing saved (3 new" in result.output
    assert _lines() == 0


def test_second_run_changes_nothing(app, tmp_path):
    make_stall(slug="vai-cli")
    runner = app.test_cli_runner()
    args = ["sales", "import", "--stall", "vai-cli", *_files(tmp_path)]
    runner.invoke(args=args)
    result = runner.invoke(args=args)
    assert "Saved: 0 new, 0 updated, 3 unchanged" in result.output
    assert _lines() == 3


def test_unknown_stall_fails(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["sales", "import", "--stall", "nope",
                                                *_files(tmp_path)])
    assert result.exit_code != 0
    assert "No stall" in result.output


def test_bad_file_fails_and_saves_nothing(app, tmp_path):
    make_stall(slug="vai-cli")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not an excel file")
    result = app.test_cli_runner().invoke(args=["sales", "import", "--stall", "vai-cli",
                                                *_files(tmp_path), str(bad)])
    assert result.exit_code != 0
    assert "bad.xlsx" in result.output
    assert _lines() == 0


def test_map_option_imports_a_first_file_complete(app, tmp_path):
    stall = make_stall(slug="vai-cli")
    small = make_product(stall, net_weight_kg=Decimal("2.000"))
    large = make_product(stall, net_weight_kg=Decimal("9.000"))
    result = app.test_cli_runner().invoke(args=[
        "sales", "import", "--stall", "vai-cli", "--map", f"VAI-2KG={small.code.lower()}",
        "--map", f"VAI-9KG={large.code}", *_files(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Unmapped SKUs: none" in result.output
    assert "Counted (sale + in progress): 2 lines, 5 units" in result.output
    assert ", 10 kg" in result.output  # 5 units × 2 kg (weights read the same everywhere)
    lines = db.session.scalars(sa.select(ImportedSaleLine)).all()
    assert {(x.platform, x.seller_sku, x.product_id) for x in lines} == {
        ("shopee", "VAI-2KG", small.id), ("shopee", "VAI-9KG", large.id),
        ("tiktok", "VAI-2KG", small.id)}
    mapped = {(m.platform, m.seller_sku): m.product_id
              for m in db.session.scalars(sa.select(SkuMapping))}
    assert mapped == {("shopee", "VAI-2KG"): small.id, ("shopee", "VAI-9KG"): large.id,
                      ("tiktok", "VAI-2KG"): small.id}


def test_map_option_refuses_unknown_codes_and_skus(app, tmp_path):
    stall = make_stall(slug="vai-cli")
    product = make_product(stall)
    other = make_product(make_stall())
    runner = app.test_cli_runner()
    for item, message in ((f"VAI-2KG={other.code}", "không có sản phẩm mã"),
                          (f"NOPE={product.code}", "Không có mã SKU “NOPE”"),
                          ("VAI-2KG", "expected SKU=PRODUCT_CODE")):
        result = runner.invoke(args=["sales", "import", "--stall", "vai-cli", "--map", item,
                                     *_files(tmp_path)])
        assert result.exit_code != 0 and message in result.output, result.output
    assert _lines() == 0


def test_map_option_that_changes_past_lines_needs_yes(app, tmp_path):
    stall = make_stall(slug="vai-cli")
    small = make_product(stall, net_weight_kg=Decimal("2.000"))
    large = make_product(stall, net_weight_kg=Decimal("9.000"))
    runner = app.test_cli_runner()
    files = _files(tmp_path)
    base = ["sales", "import", "--stall", "vai-cli"]
    runner.invoke(args=[*base, "--map", f"VAI-2KG={small.code}", *files])
    result = runner.invoke(args=[*base, "--map", f"VAI-2KG={large.code}", *files])
    assert result.exit_code != 0 and "--yes" in result.output
    assert "Re-mapping Shopee 'VAI-2KG'" in result.output
    assert "changes 1 past lines" in result.output
    assert {x.product_id for x in db.session.scalars(sa.select(ImportedSaleLine))
            if x.seller_sku == "VAI-2KG"} == {small.id}
    result = runner.invoke(args=[*base, "--yes", "--map", f"VAI-2KG={large.code}", *files])
    assert result.exit_code == 0, result.output
    assert {x.product_id for x in db.session.scalars(sa.select(ImportedSaleLine))
            if x.seller_sku == "VAI-2KG"} == {large.id}
