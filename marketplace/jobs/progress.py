"""Progress of a user's background job, kept on its JobRun row where every web instance reads it.

The job's own work runs in one transaction on the session; progress goes through a separate
connection in short transactions of its own, so readers see it while the work is uncommitted.
SQLite has one writer: once the work has written, its progress waits for the commit (the page
then says "saving" without a count). The run is marked done inside the work's transaction, on
the condition that it was not done already: a retried or duplicated job saves nothing twice.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace import jobs
from marketplace.database import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.jobs.models import JobRun

log = logging.getLogger(__name__)

_TABLE = JobRun.__table__
EVERY_SECONDS = 0.5  # progress writes at most this often


def create(kind: str, user_id: int, params: dict) -> JobRun:
    """Add a queued run (the caller commits, with the one-time key that started it)."""
    run = JobRun(kind=kind, user_id=user_id, params=json.dumps(params))
    db.session.add(run)
    db.session.flush()
    return run


def owned(run_id: int, user, kind: str) -> JobRun | None:
    """The user's own run of this kind, or None."""
    run = db.session.get(JobRun, run_id)
    if run is None or run.user_id != user.id or run.kind != kind:
        return None
    return run


def unfinished(user_id: int, kind: str, limit: int = 5) -> list[JobRun]:
    """The user's latest runs of this kind that are not done (waiting, running or failed)."""
    return list(db.session.scalars(
        sa.select(JobRun).where(JobRun.user_id == user_id, JobRun.kind == kind,
                                JobRun.state != "done")
        .order_by(JobRun.id.desc()).limit(limit)))


def params(run: JobRun) -> dict:
    return json.loads(run.params or "{}")


def result(run: JobRun) -> dict:
    return json.loads(run.result or "{}")


def as_json(run: JobRun) -> dict:
    """What the progress endpoint answers."""
    return {"id": run.id, "kind": run.kind, "state": run.state, "stage": run.stage,
            "done": run.done, "total": run.total, "finished": run.finished,
            "error": run.error or None, "result": result(run) if run.state == "done" else None}


def _write(run_id: int, **values) -> None:
    """Update the run on a connection of its own, committed at once."""
    with db.engine.begin() as conn:
        conn.execute(sa.update(_TABLE).where(_TABLE.c.id == run_id, _TABLE.c.state != "done")
                     .values(updated_at=utcnow(), **values))


class Reporter:
    """Writes a running job's progress, throttled; the job's work calls it as it goes."""

    def __init__(self, run_id: int):
        self.run_id = run_id
        self.last = 0.0
        self.held = False

    def update(self, stage: str, done: int, total: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if self.held or (not force and now - self.last < EVERY_SECONDS):
            return
        self.last = now
        _write(self.run_id, stage=stage, done=done, total=max(total, done))

    def writing(self, stage: str, done: int, total: int) -> None:
        """The work is about to write: report it; on SQLite, hold progress until the commit."""
        self.update(stage, done, total, force=True)
        self.held = db.engine.dialect.name == "sqlite"


def begin(run_id: int) -> JobRun | None:
    """Mark the run as running (one more attempt); None when it is done or missing."""
    run = db.session.get(JobRun, run_id)
    if run is None or run.state == "done":
        return None
    _write(run_id, state="running", attempts=_TABLE.c.attempts + 1, error="")
    db.session.refresh(run)
    return run


def finish(run_id: int, outcome: dict) -> bool:
    """Mark the run done inside the work's transaction; False when another run finished it."""
    updated = db.session.execute(
        sa.update(_TABLE).where(_TABLE.c.id == run_id, _TABLE.c.state != "done")
        .values(state="done", stage="", done=_TABLE.c.total, result=json.dumps(outcome), error="",
                finished_at=utcnow(), updated_at=utcnow())
        .execution_options(synchronize_session=False))
    return updated.rowcount == 1


def fail(run_id: int, message: str, *, retrying: bool = False) -> None:
    """Record why the run stopped (after the work rolled back); a retry may still come."""
    _write(run_id, state="retrying" if retrying else "failed", stage="", error=message,
           finished_at=None if retrying else utcnow())


def enqueue(path: str, run_id: int) -> None:
    """Hand the run to the job queue; if the queue cannot take it, the run says so."""
    try:
        jobs.enqueue(path, run_id)
    except Exception:
        log.exception("could not queue job %s(%s)", path, run_id)
        fail(run_id, _("Không gửi được việc vào hàng đợi xử lý nền. Chưa có gì được lưu; "
                       "vui lòng thử lại sau ít phút."))


def run_guarded(run_id: int, work: Callable[[], None]) -> None:
    """Run a job's work in the user's language; a failure rolls it back and is recorded.

    A refusal by the rules (DomainError) is final and shown as it is. Anything else is a
    system error: it is recorded, then raised again so the queue retries with backoff.
    """
    run = db.session.get(JobRun, run_id)
    user = run.user if run is not None else None
    with force_locale((user.locale if user is not None else None) or "vi"):
        try:
            work()
        except DomainError as exc:
            db.session.rollback()
            fail(run_id, exc.message)
        except Exception:
            db.session.rollback()
            retrying = jobs.retries_left() > 0
            fail(run_id, _("Lỗi hệ thống khi xử lý; chưa có gì được lưu.") + " " + (
                _("Hệ thống sẽ tự thử lại.") if retrying else _("Vui lòng thử lại sau.")),
                retrying=retrying)
            raise
