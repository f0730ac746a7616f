"""Make the README's screenshots: the demo data in a throwaway SQLite file, served locally and
photographed by Debian's Chromium through Playwright (the same browser the tests drive).

    .venv/bin/python -m tests.screenshots [--out static/img/readme]

Not a test (pytest does not collect it): run it when a screen in the README changes.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, serving

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 860}
PASSWORD = "cho40-demo"


def build_app(db_path: str):
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("SECRET_KEY", "screenshots-only")
    from marketplace import create_app
    from marketplace.extensions import db

    app = create_app()
    app.config["RATELIMIT_ENABLED"] = False
    with app.app_context():
        db.create_all()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    if result.exit_code != 0:
        raise SystemExit(result.output)
    return app


def login(page, base: str, who: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=login]", who)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()


def pages(app) -> dict[str, tuple[dict, str | None, str]]:
    """File name -> (viewport, who logs in, path) of each screenshot."""
    from marketplace.catalog.models import Product
    from marketplace.extensions import db
    from marketplace.fairs.models import Campaign, Fair

    with app.app_context():
        from marketplace.formatting import vn_today
        from marketplace.provenance.models import Batch

        # A lychee product on sale today (fresh lychee in season; frozen or dried otherwise):
        # its page shows no lot past its best-before.
        expired = db.select(Batch.id).where(Batch.product_id == Product.id,
                                            Batch.best_before < vn_today())
        lychee = db.session.scalars(
            db.select(Product).where(Product.name.like("Vải thiều%"), Product.stock > 0,
                                     ~expired.exists()).order_by(Product.id)
        ).first()
        fair = db.session.scalars(db.select(Fair).order_by(Fair.starts_at)).first()
        campaign = db.session.scalars(db.select(Campaign).order_by(Campaign.id)).first()
        organizer = "bantochuc@cho40.vn"
        return {
            "provenance.png": (PHONE, None, f"/p/{lychee.code}"),
            "home.png": (PHONE, None, "/"),
            "pos.png": (PHONE, "0912000003", "/seller/pos"),  # rice crackers sell all year
            "fair-report.png": (LAPTOP, organizer, f"/organizer/reports/fairs/{fair.slug}"),
            "campaign-board.png": (LAPTOP, organizer, f"/board/campaigns/{campaign.slug}"),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="static/img/readme")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(os.path.join(tmp, "shots.sqlite3"))
        with serving(app) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            for name, (viewport, who, path) in pages(app).items():
                context = browser.new_context(viewport=viewport, locale="vi-VN")
                page = context.new_page()
                if who:
                    login(page, server.url, who)
                response = page.goto(server.url + path)
                if response is None or response.status != 200:
                    raise SystemExit(f"{path}: {response and response.status}")
                page.screenshot(path=str(out / name))
                print(out / name, path)
                context.close()
            browser.close()


if __name__ == "__main__":
    main()
