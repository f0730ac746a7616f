"""flask jobs worker | cron: run the background jobs on Redis (RQ)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from marketplace import jobs
from marketplace.jobs.periodic import cron_scheduler

jobs_cli = AppGroup("jobs", help="Background jobs (RQ on REDIS_URL).")


def _need_redis() -> None:
    if jobs.mode() != "rq":
        raise click.ClickException(
            "REDIS_URL is not set: jobs run inside the web process (JOBS_MODE=thread).")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool):
    """Run queued jobs (messages, imports, periodic work) with retries."""
    from rq import Queue, Worker

    _need_redis()
    connection = jobs.redis_connection()
    jobs._worker_app = current_app._get_current_object()
    Worker([Queue(jobs.queue_name(), connection=connection)], connection=connection).work(
        burst=burst, with_scheduler=True)


@jobs_cli.command("cron")
def cron():
    """Enqueue the periodic jobs on time: expire unpaid orders, save scans, closing summary."""
    _need_redis()
    cron_scheduler().start()


def register_cli(app: Flask) -> None:
    app.cli.add_command(jobs_cli)
