"""Confirming a statement records its transfers in a background job, once, with a progress page.

Run by a real RQ worker on the real Redis, in this process.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from rq import Queue, SimpleWorker

from marketplace import jobs
from marketplace.extensions import db
from marketplace.jobs import progress
from marketplace.jobs.models import JobRun
from marketplace.payments.models import Payment
from tests.conftest import AuthActions
from tests.factories import make_order, make_seller
from tests.keys import page_keys
from tests.payments.test_reconcile import _csv, _upload


@pytest.fixture
def rq_app(app, make_app, redis_url, unique):
    rq = make_app(JOBS_MODE="rq", REDIS_URL=redis_url, JOBS_QUEUE=f"test-{unique}",
                  JOBS_RETRY_INTERVALS=[0])
    with rq.app_context():
        yield rq
        jobs.redis_connection(rq).delete(f"rq:queue:test-{unique}")


def _work(app) -> None:
    jobs._worker_app = app
    queue = Queue(jobs.queue_name(app), connection=jobs.redis_connection(app))
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def _payments() -> list[Payment]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Payment)))


def _confirm_form(client, order) -> tuple[str, dict]:
    html = _upload(client, _csv(f"01/07/2025;FT77;{order.code};;45.000")).get_data(as_text=True)
    action = re.search(r'action="(/payments/reconcile/\d+/confirm)"', html).group(1)
    return action, {"line": re.findall(r'name="line" value="(\d+)"', html),
                    "once_key": page_keys(html)[0]}


def test_confirming_queues_a_job_whose_page_shows_progress_then_the_count(rq_app, rice, seller):
    client = rq_app.test_client()
    AuthActions(client).login(seller)
    order = make_order(rice.stall, [(rice, 1)])
    action, form = _confirm_form(client, order)
    response = client.post(action, data=form)
    location = response.headers["Location"]
    assert re.fullmatch(r"/payments/reconcile/jobs/\d+", location)
    text = client.get(location).get_data(as_text=True)
    assert "Đang chờ đến lượt xử lý" in text and "Tải lại" in text
    assert _payments() == []
    # The same form posted again (a double tap) is the same run.
    assert client.post(action, data=form).headers["Location"] == location
    _work(rq_app)
    text = client.get(location).get_data(as_text=True)
    assert "Đã ghi nhận 1 khoản chuyển khoản." in text
    assert client.get(location + ".json").get_json()["result"] == {"count": 1}
    assert [(p.order_id, p.provider_ref) for p in _payments()] == [(order.id, "FT77")]
    intruder = rq_app.test_client()
    AuthActions(intruder).login(make_seller())
    assert intruder.get(location).status_code == 404
    assert intruder.get(location + ".json").status_code == 404


def test_a_reconcile_job_failing_once_is_retried_and_pays_once(rq_app, rice, seller,
                                                               monkeypatch):
    client = rq_app.test_client()
    AuthActions(client).login(seller)
    order = make_order(rice.stall, [(rice, 1)])
    action, form = _confirm_form(client, order)
    location = client.post(action, data=form).headers["Location"]
    real_finish, calls = progress.finish, []

    def flaky(run_id, outcome):
        calls.append(run_id)
        if len(calls) == 1:
            raise RuntimeError("connection reset")  # the payment was written, not committed
        return real_finish(run_id, outcome)

    monkeypatch.setattr(progress, "finish", flaky)
    _work(rq_app)
    assert len(calls) == 2
    assert [p.order_id for p in _payments()] == [order.id]
    run_id = int(location.rsplit("/", 1)[1])
    jobs.enqueue("marketplace.payments.reconcile.run_confirm_job", run_id)  # delivered again
    _work(rq_app)
    assert [p.order_id for p in _payments()] == [order.id]
    assert db.session.get(JobRun, run_id).state == "done"


def test_a_line_paid_meanwhile_fails_the_job_with_a_clear_message(rq_app, rice, seller):
    from marketplace.payments.services import record_payment

    client = rq_app.test_client()
    AuthActions(client).login(seller)
    order = make_order(rice.stall, [(rice, 1)])
    action, form = _confirm_form(client, order)
    location = client.post(action, data=form).headers["Location"]
    record_payment(order, "cash", order.total, recorded_by_id=seller.id)  # paid at the booth
    db.session.commit()
    _work(rq_app)
    text = client.get(location).get_data(as_text=True)
    assert "Sao kê đã thay đổi so với lúc xem" in text
    assert [p.method for p in _payments()] == ["cash"]
