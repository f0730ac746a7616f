"""Run work outside the request: RQ on Redis, or in-process when there is no Redis.

`enqueue("marketplace.messages.services.deliver", 42)` names the job by its dotted path, so a
worker on another machine imports it, and runs it inside an app context. Modes (JOBS_MODE):
- "rq": RQ on REDIS_URL, retried with backoff (JOBS_RETRY_INTERVALS); `flask jobs worker`
  runs the jobs and `flask jobs cron` enqueues the periodic ones;
- "thread": the embedded default (no Redis): one background thread in the web process runs
  the jobs, with the same retries, and the periodic jobs too;
- "eager": run at once, in the caller (tests and one-off commands).
"""

from __future__ import annotations

import importlib
import logging
import queue
import threading
import time
from collections.abc import Callable

from flask import Flask, current_app, has_request_context

log = logging.getLogger(__name__)
_attempt = threading.local()  # retries left for the job running in this thread (thread mode)


def queue_name(app: Flask | None = None) -> str:
    return (app or current_app).config["JOBS_QUEUE"]


def resolve(path: str) -> Callable:
    """Import a job function from its dotted path."""
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def mode(app: Flask | None = None) -> str:
    return (app or current_app).config["JOBS_MODE"]


def retry_intervals(app: Flask | None = None) -> list[int]:
    return list((app or current_app).config["JOBS_RETRY_INTERVALS"])


def enqueue(path: str, *args) -> None:
    """Run the job at `path` with `args` (plain JSON-able values) outside this request."""
    app = current_app._get_current_object()
    resolve(path)  # fail now, in the caller, on a misspelt job
    how = mode(app)
    if how == "thread" and not has_request_context():
        how = "eager"  # a command: its process may end before a thread would run the job
    if how == "eager":
        try:
            run(app, path, args, retries=0)
        except Exception:  # the caller's work stands; the job keeps its own record
            log.exception("job %s%r failed", path, args)
    elif how == "thread":
        _thread_runner(app).submit(path, args)
    else:
        from rq import Queue, Retry

        intervals = retry_intervals(app)
        Queue(queue_name(app), connection=redis_connection(app)).enqueue(
            "marketplace.jobs.call", path, list(args),
            retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
            job_timeout=app.config["JOBS_TIMEOUT_SECONDS"],
        )


def redis_connection(app: Flask | None = None):
    import redis

    return redis.Redis.from_url((app or current_app).config["REDIS_URL"])


# --- running a job ---------------------------------------------------------------------------

_worker_app: Flask | None = None


def call(path: str, args: list) -> object:
    """The RQ entry point: run one job inside the worker's app (made once per worker)."""
    global _worker_app
    if _worker_app is None:
        from marketplace import create_app

        _worker_app = create_app()
    return run(_worker_app, path, tuple(args), retries=0)


def retries_left() -> int:
    """How many more times the running job will be tried if this attempt fails."""
    from rq import get_current_job

    job = get_current_job()
    if job is not None:
        return job.retries_left or 0
    return getattr(_attempt, "left", 0)


def run(app: Flask, path: str, args: tuple, *, retries: int) -> object:
    """Run the job in an app context (Babel gets a request context), retrying `retries` times."""
    attempt = 0
    while True:
        try:
            _attempt.left = retries - attempt
            with app.app_context(), app.test_request_context():
                return resolve(path)(*args)
        except Exception:
            if attempt >= retries:
                raise
            delay = retry_intervals(app)[min(attempt, len(retry_intervals(app)) - 1)]
            log.warning("job %s%r failed; retry %d in %ss", path, args, attempt + 1, delay,
                        exc_info=True)
            time.sleep(delay)
            attempt += 1


class _ThreadRunner:
    """One daemon thread that runs queued jobs in order, with retries; and the periodic jobs."""

    def __init__(self, app: Flask):
        self.app = app
        self.jobs: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="cho40-jobs", daemon=True)
        self.thread.start()

    def submit(self, path: str, args: tuple) -> None:
        self.jobs.put((path, args))

    def _loop(self) -> None:
        from marketplace.jobs.periodic import due_jobs

        last: dict[str, float] = {}
        while True:
            try:
                path, args = self.jobs.get(timeout=1)
            except queue.Empty:
                for path in due_jobs(last, time.monotonic()):
                    self.submit(path, ())
                continue
            try:
                run(self.app, path, args, retries=len(retry_intervals(self.app)))
            except Exception:
                log.exception("job %s%r failed for good", path, args)


_runners: dict[int, _ThreadRunner] = {}
_runners_lock = threading.Lock()


def _thread_runner(app: Flask) -> _ThreadRunner:
    with _runners_lock:
        runner = _runners.get(id(app))
        if runner is None:
            runner = _runners[id(app)] = _ThreadRunner(app)
        return runner


def init_app(app: Flask) -> None:
    """With the embedded default, start the job thread (and the periodic jobs) on first use."""
    if mode(app) != "thread" or app.testing:
        return
    started = False

    @app.before_request
    def _start_jobs() -> None:
        nonlocal started
        if not started:
            _thread_runner(app)
            started = True
