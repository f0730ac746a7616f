"""Backups: deploy/backup.sh dumps the database; drop it, restore it, the app serves the same."""

from __future__ import annotations

import hashlib
import os
import subprocess

import sqlalchemy as sa

from deploy.render_nginx import ROOT
from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import _test_config
from tests.deploy.conftest import flask, query


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def served_figures(url: str, token: str) -> dict:
    """What the app answers: every fair's and campaign's report, every image's bytes."""
    app = create_app(_test_config(url))
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    figures: dict = {}
    try:
        for kind in ("fairs", "campaigns"):
            listing = client.get(f"/api/v1/{kind}?per_page=100", headers=auth)
            assert listing.status_code == 200, listing.json
            for item in listing.json["items"]:
                report = client.get(f"/api/v1/{kind}/{item['slug']}/report", headers=auth)
                assert report.status_code == 200
                figures[f"{kind}/{item['slug']}"] = report.json
        for (image_id,) in query(url, "SELECT id FROM stored_image ORDER BY id"):
            resp = client.get(f"/img/{image_id}.jpg")
            assert resp.status_code == 200
            figures[f"img/{image_id}"] = hashlib.sha256(resp.data).hexdigest()
    finally:
        with app.app_context():
            db.engine.dispose()
    return figures


def test_dump_drop_restore_serves_the_same_figures_and_images(databases, tmp_path):
    url = databases.seeded()
    name = sa.engine.make_url(url).database
    token = flask(url, "api-token", "create", "--email", "bantochuc@cho40.vn").split()[-1]
    before = served_figures(url, token)
    assert sum(k.startswith("img/") for k in before) >= 10  # the demo's product photos
    assert any(k.startswith("fairs/") for k in before)
    assert any(k.startswith("campaigns/") for k in before)
    rows_before = query(url, "SELECT (SELECT count(*) FROM \"order\"), "
                             "(SELECT count(*) FROM order_line), (SELECT count(*) FROM payment)")

    env = {**os.environ, "DATABASE_URL": url, "BACKUP_DIR": str(tmp_path),
           "BACKUP_KEEP_DAYS": "14"}
    done = subprocess.run([str(ROOT / "deploy" / "backup.sh")], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    dump = done.stdout.strip()
    assert dump.endswith(".dump") and os.path.getsize(dump) > 0
    assert not list(tmp_path.glob("*.part"))

    databases.drop(name)
    databases.create(name)
    assert query(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0][0] == 0
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "-d", _libpq(url), dump],
                   check=True, capture_output=True, timeout=300)

    assert query(url, "SELECT (SELECT count(*) FROM \"order\"), "
                      "(SELECT count(*) FROM order_line), (SELECT count(*) FROM payment)"
                 ) == rows_before
    assert served_figures(url, token) == before
    # The migration history came back too: the next deploy's `flask db upgrade` starts from head.
    assert "(head)" in flask(url, "db", "current")
