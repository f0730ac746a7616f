"""Background jobs on the real Redis (RQ): queued, retried with backoff, sent exactly once."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from rq import Queue, SimpleWorker

from marketplace import jobs
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.jobs.periodic import PERIODIC, cron_scheduler, due_jobs
from marketplace.messages import services as messages
from marketplace.messages.models import Message
from marketplace.orders.models import Order
from tests.factories import make_fair, make_order, make_organizer, make_participation, make_product
from tests.messages.conftest import free_port
from tests.messages.test_order_messages import _banked_stall, _order
from tests.orders.conftest import Shop


@pytest.fixture
def rq_app(make_app, redis_url, smtp, unique):
    app = make_app(JOBS_MODE="rq", REDIS_URL=redis_url, JOBS_QUEUE=f"test-{unique}",
                   JOBS_RETRY_INTERVALS=[0, 0], MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
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


def _checkout(app, email="khach@example.vn", **kw) -> Order:
    shop = Shop(app.test_client())
    stall = _banked_stall()
    shop.add(make_product(stall, price=45000), 1)
    assert shop.checkout([stall], customer_email=email, **kw).status_code == 303
    return _order()


def _message(order, channel="email", recipient="khach@example.vn") -> Message:
    db.session.expire_all()
    return db.session.scalar(sa.select(Message).where(
        Message.order_id == order.id, Message.recipient == recipient))


def test_checkout_only_queues_and_the_worker_sends(rq_app, smtp):
    order = _checkout(rq_app)
    assert smtp.messages == []  # the request did not wait for SMTP
    assert _queue(rq_app).count == 2  # shopper and seller
    _work(rq_app)
    assert len(smtp.to("khach@example.vn")) == 1 and len(smtp.to("ban@example.vn")) == 1
    assert _message(order).status == "sent"


def test_a_refused_send_is_retried_and_delivered_exactly_once(rq_app, smtp):
    smtp.refuse = 1  # the first delivery attempt gets "451 try again later"
    order = _checkout(rq_app, email="mot@example.vn")
    _work(rq_app)
    assert len(smtp.to("mot@example.vn")) == 1
    message = _message(order, recipient="mot@example.vn")
    assert (message.status, message.attempts) == ("sent", 2)
    # The same job run again (a duplicate or a late retry) sends nothing more.
    jobs.enqueue(messages.DELIVER, message.id)
    _work(rq_app)
    assert len(smtp.to("mot@example.vn")) == 1


def test_smtp_down_is_retried_then_reported_and_the_order_stands(make_app, redis_url, unique,
                                                                   caplog):
    app = make_app(JOBS_MODE="rq", REDIS_URL=redis_url, JOBS_QUEUE=f"test-{unique}",
                   JOBS_RETRY_INTERVALS=[0, 0], MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    with app.app_context():
        order = _checkout(app)
        with caplog.at_level(logging.ERROR, logger="marketplace.messages.services"):
            _work(app)
        message = _message(order)
        assert (message.status, message.attempts) == ("failed", 3)
        assert "SMTP" in message.last_error
        assert any("failed for good" in r.getMessage() for r in caplog.records)
        db.session.refresh(order)
        assert (order.status, order.total) == ("placed", 45000)


def test_periodic_jobs_are_enqueued_by_rqs_cron_and_run_by_the_worker(rq_app):
    stall = _banked_stall()
    product = make_product(stall, stock=5)
    stale = make_order(stall, [(product, 1)], payment_method="vietqr",
                       placed_at=utcnow() - timedelta(hours=2))
    enqueued = cron_scheduler().enqueue_jobs()
    assert {job.name for job in enqueued} == {path for path, _every in PERIODIC}
    _work(rq_app)
    db.session.refresh(stale)
    assert stale.status == "cancelled"


def test_due_jobs_run_each_periodic_job_on_its_interval():
    last: dict[str, float] = {}
    assert due_jobs(last, 1000.0) == [path for path, _ in PERIODIC]
    assert due_jobs(last, 1010.0) == []
    assert "marketplace.jobs.periodic.flush_scans" in due_jobs(last, 1015.0)
    assert "marketplace.jobs.periodic.expire_orders" not in due_jobs(last, 1030.0)


def test_embedded_default_runs_jobs_in_a_thread_of_the_web_process(make_app, smtp):
    app = make_app(JOBS_MODE="thread", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    with app.app_context():
        order = _checkout(app)
        deadline = time.monotonic() + 10
        while len(smtp.messages) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(smtp.to("khach@example.vn")) == 1
        assert _message(order).status == "sent"


def _fair_day(organizer):
    # A fair open on 15/6/2026 (Vietnam), with one sale that morning.
    fair = make_fair(organizer=organizer, name="Phiên chợ Yên Dũng",
                     starts_at=datetime(2026, 6, 14, 1, tzinfo=UTC),
                     ends_at=datetime(2026, 6, 17, 12, tzinfo=UTC))
    stall = _banked_stall()
    make_participation(fair, stall)
    product = make_product(stall, price=120000)
    make_order(stall, [(product, 2)], fair=fair, channel="fair", paid=True,
               placed_at=datetime(2026, 6, 15, 2, tzinfo=UTC))
    return fair


def test_closing_summary_goes_once_after_closing_time_to_organizers_who_asked(mail_app, smtp):
    organizer = make_organizer(email="btc@example.vn", notify_daily_summary=True)
    make_organizer(email="khac@example.vn")  # did not ask
    _fair_day(organizer)
    with time_machine.travel(datetime(2026, 6, 15, 10, 30, tzinfo=UTC)):  # 17:30 in Vietnam
        assert messages.send_closing_summaries() == []
    with time_machine.travel(datetime(2026, 6, 15, 11, 30, tzinfo=UTC)):  # 18:30
        messages.send_closing_summaries()
        messages.send_closing_summaries()  # the periodic job runs again: nothing more
    [mail] = smtp.to("btc@example.vn")
    assert "Phiên chợ Yên Dũng" in mail["Subject"] and "15/06/2026" in mail["Subject"]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "240.000 ₫" in text and "Số đơn: 1" in text
    assert smtp.to("khac@example.vn") == []


def test_worker_command_says_it_needs_redis(app):
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL is not set" in result.output
