"""A background import's page follows the job by itself (self-hosted JS, no inline script)."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, serving
from tests.imports.test_import_jobs import _confirm, _queue, _seller, _upload, _work

pytestmark = pytest.mark.browser


def test_the_progress_page_follows_the_worker_to_the_outcome(browser, make_app, redis_url,
                                                             unique):
    app = make_app(JOBS_MODE="rq", REDIS_URL=redis_url, JOBS_QUEUE=f"test-{unique}",
                   JOBS_RETRY_INTERVALS=[0])
    with app.app_context():
        client = app.test_client()
        stall = _seller(client)
        location = _confirm(client, _upload(client, stall)).headers["Location"]
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
        console: list[str] = []
        try:
            with serving(app) as server:
                page = context.new_page()
                page.on("console", lambda msg: console.append(msg.text))
                page.goto(server.url + "/login")
                page.fill("input[name=login]", stall.owner.email or stall.owner.phone)
                page.fill("input[name=password]", PASSWORD)
                page.click("main form button[type=submit]")
                page.wait_for_url("**/me")
                page.goto(server.url + location)
                assert "Đang chờ đến lượt xử lý" in page.inner_text("main")
                with page.expect_response(lambda r: r.url.endswith(location + ".json")):
                    pass  # the page polls its JSON by itself
                _work(app)
                page.wait_for_selector("[data-field=outcome]", timeout=15_000)
                assert "Đã lưu: 3 dòng mới" in page.inner_text("[data-field=outcome]")
        finally:
            context.close()
            _queue(app).connection.delete(f"rq:queue:test-{unique}")
        assert not [m for m in console if "Content Security Policy" in m], console
