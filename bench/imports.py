"""A year of a busy stall's marketplace orders (160,000 lines) imported on PostgreSQL (issue 13 §6).

The upload's check (what the upload page does in its request) is timed in process; then the
confirmation queues the job and a real `flask jobs worker --burst` process saves it. The
worker's time and peak memory are measured from the kernel (its own, not this process's).

    .venv/bin/python -m bench.imports [--rows 160000]
"""

from __future__ import annotations

import argparse
import time

import sqlalchemy as sa

from bench.common import OUT, app_env, bench_database, create_schema, load_average, make_app, save
from bench.common import table as text_table

REDIS = "redis://127.0.0.1:6379/15"
QUEUE = "bench-imports"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=160_000)
    args = parser.parse_args()

    from marketplace import jobs
    from marketplace.accounts.models import User
    from marketplace.catalog.models import Stall
    from marketplace.extensions import db
    from marketplace.imports import services
    from marketplace.imports.models import ImportedSaleLine
    from marketplace.jobs.models import JobRun
    from marketplace.once.services import IMPORT, new_key, once_for
    from tests.imports.test_big_import import run_worker, tiktok_export

    url = bench_database("postgresql", "imports")
    create_schema(url)
    app = make_app(url, JOBS_MODE="rq", REDIS_URL=REDIS, JOBS_QUEUE=QUEUE)
    with app.app_context(), app.test_request_context():
        user = User(email="ban@bench.test", name="Người bán", password_hash="x", role="seller")
        db.session.add(user)
        db.session.flush()
        stall = Stall(owner_id=user.id, name="Gian vải thiều", slug="gian-vai")
        db.session.add(stall)
        db.session.commit()
        started = time.perf_counter()
        data = tiktok_export(args.rows)
        build = time.perf_counter() - started
        started = time.perf_counter()
        batch = services.stash_upload(stall, user, [("tiktok.csv", data)])  # the upload page
        upload = time.perf_counter() - started
        run_id = services.start_import(batch, user, None,
                                       once_for(new_key(), IMPORT, actor_id=user.id))
        OUT.mkdir(parents=True, exist_ok=True)
        try:
            code, seconds, peak_mb = run_worker(
                app_env(url, REDIS_URL=REDIS, JOBS_QUEUE=QUEUE, JOBS_RETRY_INTERVALS=""),
                OUT / "imports-worker.log")
        finally:
            jobs.redis_connection().delete(f"rq:queue:{QUEUE}")
        db.session.expire_all()
        run = db.session.get(JobRun, run_id)
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(ImportedSaleLine))
    result = {"rows": args.rows, "file_mb": round(len(data) / 1e6, 1),
              "build_file_s": round(build, 1), "upload_check_s": round(upload, 1),
              "worker_exit": code, "worker_s": round(seconds, 1),
              "worker_peak_rss_mb": round(peak_mb), "run_state": run.state,
              "lines_stored": stored, "load_average": load_average()}
    save("imports", result)
    print(text_table(list(result), [list(result.values())]))


if __name__ == "__main__":
    main()
