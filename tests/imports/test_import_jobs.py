"""Confirmed imports save in a background job: a progress page, one save per confirmation.

The RQ tests run the queued jobs with a real RQ worker on the real Redis, in this process.
"""

from __future__ import annotations

import io
import re
import time
from decimal import Decimal

import pytest
import sqlalchemy as sa
from rq import Queue, SimpleWorker

from marketplace import jobs
from marketplace.extensions import db
from marketplace.imports import services
from marketplace.imports.models import ImportedSaleLine, MarketplaceImport, PendingImportFile
from marketplace.jobs import progress
from marketplace.jobs.models import JobRun
from tests.conftest import AuthActions
from tests.factories import make_product, make_stall
from tests.imports import builders as b
from tests.keys import new_key


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _export():
    return b.shopee_file([
        b.shopee_line("230620AAA", "VAI-2KG", 3, status="Đang giao"),
        b.shopee_line("230620AAA", "VAI-5KG", 1, price=300000),
        b.shopee_line("230621BBB", "VAI-2KG", 2, status="Đã hủy"),
    ])


def _upload(client, stall, data=None) -> str:
    response = client.post("/seller/imports", data={
        "stall": str(stall.id), "files": [(io.BytesIO(data or _export()), "o.xlsx")]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    return response.headers["Location"]


def _seller(client):
    stall = make_stall()
    make_product(stall, name="Vải thiều hộp 2kg", net_weight_kg=Decimal("2.000"))
    AuthActions(client).login(stall.owner)
    return stall


def _confirm(client, preview_url: str, key: str | None = None):
    return client.post(preview_url, data={"action": "confirm", "once_key": key or new_key()})


def _run_id(location: str) -> int:
    return int(re.search(r"/seller/imports/jobs/(\d+)$", location).group(1))


# --- in-process (the embedded default and tests' eager mode) ------------------------------


def test_confirming_opens_the_progress_page_with_the_outcome(client):
    stall = _seller(client)
    response = _confirm(client, _upload(client, stall))
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Đã lưu: 3 dòng mới, 0 dòng cập nhật, 0 dòng không đổi." in text
    assert "job-progress.js" not in text  # finished: nothing to poll
    status = client.get(response.headers["Location"] + ".json").get_json()
    assert (status["state"], status["finished"]) == ("done", True)
    assert status["result"]["inserted"] == 3 and status["done"] == status["total"] == 3
    assert _count(ImportedSaleLine) == 3 and _count(PendingImportFile) == 0


def test_the_same_confirmation_posted_twice_makes_one_run_and_one_import(client):
    stall = _seller(client)
    url, key = _upload(client, stall), new_key()
    first = _confirm(client, url, key)
    second = _confirm(client, url, key)
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(JobRun) == 1 and _count(MarketplaceImport) == 1
    assert _count(ImportedSaleLine) == 3


def test_a_job_that_fails_shows_the_error_and_writes_nothing(client, monkeypatch):
    stall = _seller(client)
    url = _upload(client, stall)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    # The failure comes after every line was written, just before the commit.
    monkeypatch.setattr(progress, "finish", broken)
    response = _confirm(client, url)
    text = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Không thực hiện được." in text and "chưa có gì được lưu" in text
    assert client.get(response.headers["Location"] + ".json").get_json()["state"] == "failed"
    assert _count(ImportedSaleLine) == 0 and _count(MarketplaceImport) == 0
    # The upload is still there: the seller can confirm again.
    monkeypatch.undo()
    again = _confirm(client, url)
    assert "Đã lưu: 3 dòng mới" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert _count(ImportedSaleLine) == 3


def test_embedded_default_runs_the_import_in_a_thread_and_the_page_follows_it(make_app):
    app = make_app(JOBS_MODE="thread")
    with app.app_context():
        client = app.test_client()
        stall = _seller(client)
        location = _confirm(client, _upload(client, stall)).headers["Location"]
        deadline = time.monotonic() + 20
        status = client.get(location + ".json").get_json()
        while not status["finished"] and time.monotonic() < deadline:
            time.sleep(0.1)
            status = client.get(location + ".json").get_json()
        assert status["state"] == "done", status
        assert "Đã lưu: 3 dòng mới" in client.get(location).get_data(as_text=True)
        assert _count(ImportedSaleLine) == 3


def test_english_progress_page(client):
    stall = _seller(client)
    location = _confirm(client, _upload(client, stall)).headers["Location"]
    client.post("/lang/en")
    text = client.get(location).get_data(as_text=True)
    assert "Saved: 3 new rows, 0 updated rows, 0 unchanged rows." in text


# --- RQ on the real Redis -----------------------------------------------------------------


@pytest.fixture
def rq_app(make_app, redis_url, unique):
    app = make_app(JOBS_MODE="rq", REDIS_URL=redis_url, JOBS_QUEUE=f"test-{unique}",
                   JOBS_RETRY_INTERVALS=[0, 0])
    with app.app_context():
        yield app
        jobs.redis_connection(app).delete(f"rq:queue:test-{unique}")


def _queue(app) -> Queue:
    return Queue(jobs.queue_name(app), connection=jobs.redis_connection(app))


def _work(app) -> None:
    """Run the queued jobs (and their retries) with a real RQ worker, in this process."""
    jobs._worker_app = app
    queue = _queue(app)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def test_a_queued_import_shows_its_progress_page_without_javascript(rq_app):
    client = rq_app.test_client()
    stall = _seller(client)
    location = _confirm(client, _upload(client, stall)).headers["Location"]
    assert _queue(rq_app).count == 1  # the request only queued the work
    page = client.get(location)
    text = page.get_data(as_text=True)
    assert "Đang chờ đến lượt xử lý" in text and "<progress" in text
    assert f'href="{location}"' in text and "Tải lại" in text  # reads without JavaScript
    assert re.search(r'<script src="/static/js/job-progress\.js[?"]', text)
    assert "<script>" not in text  # CSP: no inline script
    assert _count(ImportedSaleLine) == 0
    upload_page = client.get("/seller/imports").get_data(as_text=True)
    assert "Lần lưu chưa xong" in upload_page and f'href="{location}"' in upload_page
    _work(rq_app)
    assert "Đã lưu: 3 dòng mới" in client.get(location).get_data(as_text=True)
    assert f'href="{location}"' not in client.get("/seller/imports").get_data(as_text=True)


def test_a_job_that_fails_once_is_retried_and_imports_once(rq_app, monkeypatch):
    client = rq_app.test_client()
    stall = _seller(client)
    location = _confirm(client, _upload(client, stall)).headers["Location"]
    real_finish, calls = progress.finish, []

    def flaky(run_id, outcome):
        calls.append(run_id)
        if len(calls) == 1:
            raise RuntimeError("connection reset")  # after the lines were written
        return real_finish(run_id, outcome)

    monkeypatch.setattr(progress, "finish", flaky)
    _work(rq_app)
    assert len(calls) == 2
    run = db.session.get(JobRun, _run_id(location))
    db.session.refresh(run)
    assert (run.state, run.attempts) == ("done", 2)
    assert _count(ImportedSaleLine) == 3 and _count(MarketplaceImport) == 1
    # The same job delivered again (a duplicate or a late retry) saves nothing more.
    jobs.enqueue(services.IMPORT_JOB, run.id)
    _work(rq_app)
    assert _count(ImportedSaleLine) == 3 and _count(MarketplaceImport) == 1
    assert "Đã lưu: 3 dòng mới" in client.get(location).get_data(as_text=True)


def test_progress_is_seen_from_another_app_instance_while_the_job_runs(rq_app, make_app,
                                                                        redis_url, monkeypatch):
    client = rq_app.test_client()
    stall = _seller(client)
    location = _confirm(client, _upload(client, stall)).headers["Location"]
    other = make_app(JOBS_MODE="rq", REDIS_URL=redis_url)  # another web instance
    elsewhere = other.test_client()
    AuthActions(elsewhere).login(stall.owner)
    seen = []
    real_writing = progress.Reporter.writing

    def writing(self, stage, done, total):
        real_writing(self, stage, done, total)
        seen.append(elsewhere.get(location + ".json").get_json())

    monkeypatch.setattr(progress.Reporter, "writing", writing)
    _work(rq_app)
    [during] = seen
    assert (during["state"], during["stage"], during["total"]) == ("running", "saving", 3)
    assert during["finished"] is False
    assert elsewhere.get(location + ".json").get_json()["state"] == "done"


def test_a_job_whose_upload_is_gone_fails_with_a_clear_message(rq_app):
    client = rq_app.test_client()
    stall = _seller(client)
    url = _upload(client, stall)
    location = _confirm(client, url).headers["Location"]
    client.post(url + "/discard")
    _work(rq_app)
    text = client.get(location).get_data(as_text=True)
    assert "Lần tải lên này đã được lưu hoặc đã hết hạn." in text
    assert client.get(location + ".json").get_json()["state"] == "failed"
    assert _count(ImportedSaleLine) == 0


def test_another_seller_cannot_see_my_import_progress(client, app):
    stall = _seller(client)
    location = _confirm(client, _upload(client, stall)).headers["Location"]
    intruder = app.test_client()
    AuthActions(intruder).login(make_stall().owner)
    assert intruder.get(location).status_code == 404
    assert intruder.get(location + ".json").status_code == 404


def test_under_ci_a_missing_redis_fails_the_job_tests_instead_of_skipping():
    import os
    import socket
    import subprocess
    import sys
    from pathlib import Path

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "CI": "true", "TEST_BACKENDS": "sqlite",
           "TEST_REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/imports/test_import_jobs.py::test_a_job_whose_upload_is_gone_fails_with_a_clear"
         "_message"], cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True,
        text=True, timeout=300)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "Redis unavailable" in done.stdout and "CI=true: required" in done.stdout
    assert "skipped" not in done.stdout
