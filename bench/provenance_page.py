"""Provenance page under gunicorn (2 workers) vs a minimal one-query Flask page, same run.

Usage: python bench/provenance_page.py [--seconds 10] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import time
import urllib.request

import sqlalchemy as sa

from bench.common import app_env, flask, gunicorn, pg_database, save, sqlite_database, wrk


def prepare(backend: str) -> tuple[str, str]:
    url = pg_database("cho40_bench_page") if backend == "postgresql" else sqlite_database("page")
    env = app_env(url)
    flask(["db", "upgrade"], env)
    flask(["seed-demo"], env)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        code = conn.execute(sa.text(
            "SELECT p.code FROM product p JOIN stall s ON s.id = p.stall_id "
            "WHERE p.active AND s.active ORDER BY p.id LIMIT 1")).scalar_one()
    engine.dispose()
    return url, code


def run(backend: str, seconds: int) -> dict:
    url, code = prepare(backend)
    env = app_env(url)
    result = {"backend": backend, "code": code}
    with gunicorn("bench.baseline_app:app", env, workers=2) as base:
        wrk(f"{base}/p/{code}", seconds=2)  # warm up
        result["baseline"] = wrk(f"{base}/p/{code}", seconds=seconds)
    with gunicorn("wsgi:app", env, workers=2) as base:
        page = urllib.request.urlopen(f"{base}/p/{code}").read()
        css = urllib.request.urlopen(f"{base}/static/css/app.css").read()
        result["html_bytes"], result["css_bytes"] = len(page), len(css)
        result["blocking_scripts"] = page.count(b"<script src") - page.count(b"defer")
        wrk(f"{base}/p/{code}", seconds=2)
        result["app"] = wrk(f"{base}/p/{code}", seconds=seconds)
        time.sleep(3)  # let the scan buffers flush
    result["ratio"] = result["app"]["rps"] / result["baseline"]["rps"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--backend", default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        r = run(backend, args.seconds)
        save(f"provenance_page_{backend}", r)
        print(f"{backend:10} baseline {r['baseline']['rps']:8.0f} req/s  "
              f"provenance {r['app']['rps']:8.0f} req/s  ratio {r['ratio']:.2f}  "
              f"errors {r['app']['non_2xx_3xx'] + r['app']['socket_errors']}  "
              f"html {r['html_bytes']} B  css {r['css_bytes']} B")


if __name__ == "__main__":
    main()
