"""`flask sales import --stall SLUG FILE...` for organizers with many files."""

from __future__ import annotations

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
