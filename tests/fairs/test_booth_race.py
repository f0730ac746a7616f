"""Two organizers giving the same booth at the same moment: one wins, the other gets a message."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from marketplace.errors import ValidationError
from marketplace.extensions import db as _db
from marketplace.fairs import services
from marketplace.fairs.models import FairStall
from tests.factories import make_application, make_fair, make_stall


def test_concurrent_accepts_at_one_booth_leave_one_and_report_the_other(app, db):
    # Separate connections on both backends: PostgreSQL's unique index and SQLite's single
    # writer (the second UPDATE waits for the first commit, then hits the unique index).
    fair = make_fair()
    ids = [make_application(fair, make_stall()).id, make_application(fair, make_stall()).id]
    both_checked = threading.Barrier(2, timeout=10)
    outcomes: dict[int, str] = {}

    def wait_for_the_other(session):
        # Both requests have passed the "is the booth free?" check before either writes.
        both_checked.wait()

    def accept(fs_id: int) -> None:
        with app.test_request_context():
            sa.event.listen(_db.session(), "before_commit", wait_for_the_other)
            try:
                services.accept_application(_db.session.get(FairStall, fs_id), "1")
                outcomes[fs_id] = "accepted"
            except ValidationError as exc:
                outcomes[fs_id] = exc.field
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=accept, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert sorted(outcomes.values()) == ["accepted", "booth_number"]
    db.session.expire_all()
    booths = db.session.scalars(
        sa.select(FairStall.booth_number).where(FairStall.fair_id == fair.id)
    )
    assert sorted(b for b in booths if b) == ["1"]
