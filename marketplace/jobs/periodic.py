"""The periodic jobs, by dotted path and interval; the same list serves RQ and the thread."""

from __future__ import annotations

import click

# (job, every N seconds). The closing-time summary is checked often and sends once a day
# (its messages are unique per fair and day), so no cron syntax is needed anywhere.
PERIODIC: tuple[tuple[str, int], ...] = (
    ("marketplace.jobs.periodic.expire_orders", 60),
    ("marketplace.jobs.periodic.flush_scans", 15),
    ("marketplace.messages.services.send_closing_summaries", 300),
)


def due_jobs(last: dict[str, float], now: float) -> list[str]:
    """Return the periodic jobs due at monotonic time `now`, and note them as run."""
    due = []
    for path, every in PERIODIC:
        if now - last.get(path, float("-inf")) >= every:
            last[path] = now
            due.append(path)
    return due


def cron_scheduler():
    """RQ's CronScheduler with every periodic job registered on this app's queue."""
    from rq.cron import CronScheduler

    from marketplace import jobs

    scheduler = CronScheduler(connection=jobs.redis_connection())
    for path, every in PERIODIC:
        scheduler.register(jobs.call, jobs.queue_name(), args=(path, []), interval=every,
                           name=path)
    return scheduler


def expire_orders() -> int:
    """Cancel online orders left unpaid past their deadline (returns how many)."""
    from marketplace.orders.services import expire_unpaid_orders

    count = expire_unpaid_orders()
    if count:
        click.echo(f"Expired {count} unpaid order(s).")
    return count


def flush_scans() -> int:
    """Save the label scans buffered in memory or Redis."""
    from marketplace.provenance.scans import flush_scans as flush

    return flush()
