"""Scans: a page view is counted, later, in batches, and never breaks the page."""

from __future__ import annotations

import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import sqlalchemy as sa

from marketplace.database import utcnow
from marketplace.provenance.models import ScanEvent
from marketplace.provenance.scans import flush_scans, recorder
from tests.factories import (
    make_batch,
    make_fair,
    make_organizer,
    make_participation,
    make_product,
    make_seller,
    make_stall,
)


def visitor(n: int) -> dict:
    return {"User-Agent": f"Mozilla/5.0 (phone {n})"}


def scan_rows(db) -> list[ScanEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ScanEvent).order_by(ScanEvent.id)))


def wait_for_rows(db, n: int, seconds: float = 10) -> list[ScanEvent]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rows = scan_rows(db)
        if len(rows) >= n:
            return rows
        time.sleep(0.05)
    return scan_rows(db)


def test_page_view_writes_nothing_until_flushed(client, db):
    product = make_product()
    assert client.get(f"/p/{product.code}").status_code == 200
    assert scan_rows(db) == []
    assert flush_scans() == 1
    rows = scan_rows(db)
    assert [(r.product_id, r.batch_id, r.fair_id) for r in rows] == [(product.id, None, None)]


def test_scan_records_the_label_batch_and_the_open_fair(client, db):
    stall = make_stall()
    fair = make_fair()
    make_participation(fair, stall, booth="A1")
    product = make_product(stall=stall)
    batch = make_batch(product, code="L1")
    client.get(f"/p/{product.code}?lot=L1")
    flush_scans()
    row = scan_rows(db)[0]
    assert (row.product_id, row.batch_id, row.fair_id) == (product.id, batch.id, fair.id)
    assert row.scanned_at is not None


def test_redirected_spelling_counts_once(client, db):
    make_product(code="AB0C123")
    response = client.get("/p/ab0c123", follow_redirects=True)
    assert response.status_code == 200
    flush_scans()
    assert len(scan_rows(db)) == 1


def test_unknown_and_withdrawn_codes_are_not_counted(client, db):
    product = make_product(active=False)
    client.get(f"/p/{product.code}")
    client.get("/p/ZZZZZZZ")
    flush_scans()
    assert scan_rows(db) == []


def test_a_scan_writes_no_session_even_at_an_open_fair(client):
    stall = make_stall()
    make_participation(make_fair(), stall)
    product = make_product(stall=stall)
    response = client.get(f"/p/{product.code}")
    assert "Set-Cookie" not in response.headers
    with client.session_transaction() as session:
        assert "fair_visit" not in session


def test_200_concurrent_views_give_exactly_200_rows(db, live_server, served_app):
    product = make_product()
    url = f"{live_server.url}/p/{product.code}"

    def fetch(n):
        request = urllib.request.Request(url, headers=visitor(n))
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(fetch, range(200)))
    assert statuses == [200] * 200
    assert flush_scans(served_app) == 200  # the served app's buffer
    assert len(scan_rows(db)) == 200


def test_background_thread_flushes_on_its_interval(extra_app, db):
    product = make_product()
    bg_app = extra_app(SCANS_BACKGROUND=True, SCANS_FLUSH_INTERVAL=0.1)
    try:
        assert bg_app.test_client().get(f"/p/{product.code}").status_code == 200
        assert len(wait_for_rows(db, 1)) == 1
    finally:
        recorder(bg_app).close()


def test_background_thread_flushes_when_a_batch_is_full(extra_app, db):
    product = make_product()
    bg_app = extra_app(SCANS_BACKGROUND=True, SCANS_FLUSH_INTERVAL=3600, SCANS_FLUSH_BATCH=5)
    client = bg_app.test_client()
    try:
        for n in range(5):
            client.get(f"/p/{product.code}", headers=visitor(n))
        assert len(wait_for_rows(db, 5)) == 5
    finally:
        recorder(bg_app).close()


def test_close_flushes_what_is_left(extra_app, db):
    product = make_product()
    bg_app = extra_app(SCANS_BACKGROUND=True, SCANS_FLUSH_INTERVAL=3600)
    bg_app.test_client().get(f"/p/{product.code}")
    recorder(bg_app).close()
    assert len(scan_rows(db)) == 1


def test_flush_command_saves_the_buffer(app, client, db):
    product = make_product()
    client.get(f"/p/{product.code}")
    result = app.test_cli_runner().invoke(args=["scans", "flush"])
    assert result.exit_code == 0, result.output
    assert "Saved 1 scan(s)." in result.output
    assert len(scan_rows(db)) == 1


def test_a_scan_that_cannot_be_saved_does_not_lose_the_others(client, db):
    gone = make_product()
    kept = make_product()
    client.get(f"/p/{gone.code}")
    client.get(f"/p/{kept.code}")
    db.session.delete(gone)
    db.session.commit()
    assert flush_scans() == 1
    assert [r.product_id for r in scan_rows(db)] == [kept.id]


def test_page_still_answers_when_redis_is_down(extra_app, db):
    product = make_product()
    broken = extra_app(REDIS_URL="redis://127.0.0.1:1/0", SCANS_REDIS_KEY="never")
    response = broken.test_client().get(f"/p/{product.code}")
    assert response.status_code == 200
    assert recorder(broken).pending == 1  # kept in memory instead
    recorder(broken).redis_url = None  # Redis stays down: save what memory holds
    assert flush_scans(broken) == 1
    assert len(scan_rows(db)) == 1


def test_redis_queue_survives_the_worker_that_took_the_scans(extra_app, db, redis_url, unique):
    product = make_product()
    key = f"test:{unique}:scans"
    worker = extra_app(REDIS_URL=redis_url, SCANS_REDIS_KEY=key)
    client = worker.test_client()
    for n in range(3):
        client.get(f"/p/{product.code}", headers=visitor(n))
    assert recorder(worker).pending == 0  # nothing in the worker's memory
    other = extra_app(REDIS_URL=redis_url, SCANS_REDIS_KEY=key)
    assert flush_scans(other) == 3
    assert len(scan_rows(db)) == 3


def test_workers_flushing_together_insert_each_scan_once(extra_app, db, redis_url, unique):
    product = make_product()
    key = f"test:{unique}:scans"
    workers = [extra_app(REDIS_URL=redis_url, SCANS_REDIS_KEY=key) for _ in range(3)]
    for i in range(60):
        workers[i % 3].test_client().get(f"/p/{product.code}", headers=visitor(i))
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(flush_scans, workers))
    for worker in workers:  # a flusher that found the lock taken leaves the rest for later
        flush_scans(worker)
    assert len(scan_rows(db)) == 60


def test_scans_inserted_twice_count_once(extra_app, db, redis_url, unique):
    import redis as redis_lib

    product = make_product()
    key = f"test:{unique}:scans"
    worker = extra_app(REDIS_URL=redis_url, SCANS_REDIS_KEY=key)
    worker.test_client().get(f"/p/{product.code}")
    client = redis_lib.Redis.from_url(redis_url)
    client.rpush(key, client.lindex(key, 0))  # the same event queued again
    assert flush_scans(worker) == 1
    assert len(scan_rows(db)) == 1


def test_scans_are_kept_for_a_retry_when_the_database_is_down(extra_app):
    down = extra_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none",
                     SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}})
    rec = recorder(down)
    rec.record(1, None, None)
    assert rec.flush() == 0  # logged, not raised
    assert rec.pending == 1


# --- Honest counts -----------------------------------------------------------------------------


def test_a_visitor_counts_once_per_product_per_half_hour(client, db):
    import time_machine

    product, other = make_product(), make_product()
    with time_machine.travel(utcnow(), tick=False) as clock:
        for _ in range(3):  # reloads, a second tab, the back button
            client.get(f"/p/{product.code}", headers=visitor(1))
        client.get(f"/p/{product.code}", headers=visitor(2))  # someone else
        client.get(f"/p/{other.code}", headers=visitor(1))  # another product
        clock.shift(timedelta(minutes=29))
        client.get(f"/p/{product.code}", headers=visitor(1))
        clock.shift(timedelta(minutes=2))
        client.get(f"/p/{product.code}", headers=visitor(1))  # 31 minutes after the first
    flush_scans()
    counted = [r.product_id for r in scan_rows(db)]
    assert counted.count(product.id) == 3 and counted.count(other.id) == 1


def test_counts_once_across_workers_sharing_redis(extra_app, db, redis_url, unique):
    product = make_product()
    workers = [extra_app(REDIS_URL=redis_url, SCANS_REDIS_KEY=f"test:{unique}:scans")
               for _ in range(2)]
    for worker in workers * 2:
        worker.test_client().get(f"/p/{product.code}", headers=visitor(7))
    workers[0].test_client().get(f"/p/{product.code}", headers=visitor(8))
    assert flush_scans(workers[0]) == 2


def test_no_personal_data_is_stored(extra_app, db, redis_url, unique):
    import redis as redis_lib

    product = make_product()
    key = f"test:{unique}:scans"
    worker = extra_app(REDIS_URL=redis_url, SCANS_REDIS_KEY=key)
    agent = "Mozilla/5.0 (Linux; Android 14; SM-A546E) NguyenThuHa"
    worker.test_client().get(f"/p/{product.code}", headers={"User-Agent": agent},
                             environ_base={"REMOTE_ADDR": "203.113.7.42"})
    client = redis_lib.Redis.from_url(redis_url)
    keys = client.keys(f"{key}*")
    stored = b" ".join(keys + client.lrange(key, 0, -1))
    assert b"203.113" not in stored and b"NguyenThuHa" not in stored
    seen = [k for k in keys if b":seen:" in k]
    assert len(seen) == 1 and 0 < client.ttl(seen[0]) <= 1800
    flush_scans(worker)
    columns = set(ScanEvent.__table__.columns.keys())
    assert columns == {"id", "uid", "product_id", "batch_id", "fair_id", "scanned_at", "qr"}


def test_views_by_the_stalls_seller_and_by_organizers_do_not_count(client, auth, db):
    seller = make_seller()
    product = make_product(stall=make_stall(owner=seller))
    auth.login(seller)
    assert client.get(f"/p/{product.code}").status_code == 200
    auth.logout()
    auth.login(make_organizer())
    assert client.get(f"/p/{product.code}").status_code == 200
    auth.logout()
    auth.login(make_seller())  # another stall's seller is a visitor like any other
    assert client.get(f"/p/{product.code}").status_code == 200
    flush_scans()
    assert len(scan_rows(db)) == 1


def test_a_label_scan_is_told_from_browsing(client, db):
    product = make_product()
    make_batch(product, code="L1")
    client.get(f"/p/{product.code}?s=1", headers=visitor(1))  # a label printed now
    client.get(f"/p/{product.code}?lot=L1&s=1", headers=visitor(2))
    client.get(f"/p/{product.code}", headers=visitor(3))  # an old label, or a link
    flush_scans()
    assert [r.qr for r in scan_rows(db)] == [True, True, False]
