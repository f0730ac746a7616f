"""Provenance page /p/<code> under gunicorn (2 workers) vs a minimal one-query Flask page.

Usage: .venv/bin/python -m bench.provenance_page [--seconds 10] [--rounds 2]
           [--backend sqlite|postgresql|both] [--reuse] [--redis] [--connections 32] [--zipf]

--zipf spreads the scans over every product of the open fair, Zipf-distributed (s = 1: the
k-th most scanned product is scanned 1/k as often as the first), as on a fair day; without it
wrk asks for the one richest page over and over. Either way every request is a new visitor
(its own User-Agent, bench/zipf.lua), so each page served must be counted as one scan.

Per backend: build the schema (db.create_all), load `flask seed-demo`, open one of its fairs
now (so the page shows the booth, as when a label is scanned at the fair), pick the product
with the richest provenance, then run both apps under gunicorn -w 2 at once and load them in
turns with wrk (baseline, page, page without cache, baseline …) so all see the same machine.

The page is measured twice: as deployed (the anonymous-page cache of provenance/fastpath.py in
front of Flask, PROVENANCE_PAGE_CACHE_SECONDS=60, invalidated by writers) and with that cache
off (=0, every request through Flask, the view and its queries). Reports each req/s (median of
the rounds), both ratios (goals: >= 0.8 with the cache, >= 0.25 without),
errors (goal 0), whether every served page was counted as a scan, the page weight (HTML < 30 KB,
CSS < 20 KB, 0 blocking scripts), and an in-process profile of the uncached view (queries,
template, scan recording, session) and of a cached hit.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import os
import pstats
import statistics
import time
import urllib.request
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin

import sqlalchemy as sa

from bench.common import (
    app_env,
    backends,
    bench_database,
    create_schema,
    flask,
    gunicorn,
    load_average,
    machine,
    make_app,
    save,
    sqlite_url,
    table,
    wrk,
)

GOAL_RATIO = 0.8
GOAL_UNCACHED = 0.25
LUA = os.path.join(os.path.dirname(__file__), "zipf.lua")
HTML_LIMIT, CSS_LIMIT = 30 * 1024, 20 * 1024
REDIS_URL = "redis://127.0.0.1:6379/15"  # a database of its own, keys prefixed cho40bench


# --- data -------------------------------------------------------------------------------------


def prepare(backend: str, reuse: bool) -> tuple[str, str, dict]:
    """Return the database URL, the product code to load, and what the page shows."""
    from pathlib import Path

    fresh = not reuse or (backend == "sqlite" and not Path(sqlite_url("page")[10:]).exists())
    url = bench_database(backend, "page", fresh=fresh)
    if fresh:
        t0 = time.perf_counter()
        create_schema(url)
        flask(["seed-demo"], app_env(url))
        print(f"  {backend}: schema + seed-demo in {time.perf_counter() - t0:.0f} s")
    return url, *pick_product(url)


def pick_product(url: str) -> tuple[str, dict]:
    """Choose the active product with the longest diary and most certificates; open its fair."""
    from marketplace.catalog.models import Product, Stall
    from marketplace.database import utcnow
    from marketplace.extensions import db
    from marketplace.fairs.models import Fair, FairStall
    from marketplace.provenance.models import Certificate, TimelineStep

    app = make_app(url)
    with app.app_context():
        steps = (sa.select(sa.func.count()).where(TimelineStep.product_id == Product.id)
                 .scalar_subquery())
        certs = (sa.select(sa.func.count()).where(sa.or_(
            Certificate.product_id == Product.id, Certificate.stall_id == Product.stall_id))
            .scalar_subquery())
        at_fair = sa.exists().where(FairStall.stall_id == Product.stall_id,
                                    FairStall.status == "accepted")
        product = db.session.scalars(
            sa.select(Product).join(Stall)
            .where(Product.active, Stall.active, Product.stock > 0)
            .order_by(at_fair.desc(), steps.desc(), certs.desc(), Product.id)
            .limit(1)
        ).one()
        booth = db.session.scalar(
            sa.select(FairStall).join(Fair)
            .where(FairStall.stall_id == product.stall_id, FairStall.status == "accepted")
            .order_by(Fair.starts_at.desc()).limit(1)
        )
        info = {"product": product.name, "steps": db.session.scalar(
            sa.select(sa.func.count()).where(TimelineStep.product_id == product.id))}
        if booth is not None:
            # Bench data only: move that fair to now so the page takes its "at the fair" path
            # (booth shown, the scan counted for the fair), as when scanned at a booth.
            now = utcnow()
            fair = booth.fair
            fair.starts_at, fair.ends_at = now - timedelta(days=1), now + timedelta(days=2)
            fair.published = True
            db.session.commit()
            info["open_fair"] = fair.name
            info["booth"] = booth.booth_number
        code = product.code
        db.engine.dispose()
    return code, info


def fair_paths(url: str, code: str) -> list[str]:
    """Return the label URLs of every product on sale at the open fair of `code`'s stall."""
    from marketplace.catalog.models import Product, Stall
    from marketplace.extensions import db
    from marketplace.fairs.models import FairStall
    from marketplace.fairs.services import current_booth

    app = make_app(url)
    with app.app_context():
        product = db.session.scalars(sa.select(Product).where(Product.code == code)).one()
        booth = current_booth(product.stall_id)
        stalls = sa.select(FairStall.stall_id).where(FairStall.fair_id == booth.fair_id,
                                                     FairStall.status == "accepted")
        codes = list(db.session.scalars(
            sa.select(Product.code).join(Stall)
            .where(Product.stall_id.in_(stalls), Product.active, Stall.active)
            .order_by(Product.id)))
        db.engine.dispose()
    codes.remove(code)
    return [f"/p/{c}?s=1" for c in [code, *codes]]  # the richest page is the most scanned


def write_paths(paths: list[str], name: str) -> str:
    """Write the Zipf table bench/zipf.lua reads; return its file name."""
    from bench.common import OUT

    weights = [1 / k for k in range(1, len(paths) + 1)]
    total, running, lines = sum(weights), 0.0, []
    for weight, path in zip(weights, paths, strict=True):
        running += weight / total
        lines.append(f"{running:.9f}\t{path}")
    lines[-1] = f"1\t{paths[-1]}"
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"{name}.tsv"
    target.write_text("\n".join(lines) + "\n")
    return str(target)


def scan_count(url: str) -> int:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM scan_event")).scalar_one()
    engine.dispose()
    return n


# --- page weight ------------------------------------------------------------------------------


class _Assets(HTMLParser):
    """Collect stylesheets, inline styles and scripts of a page, noting which ones block."""

    def __init__(self):
        super().__init__()
        self.stylesheets: list[str] = []
        self.inline_css = 0
        self.blocking_scripts: list[str] = []
        self.scripts: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "").split():
            self.stylesheets.append(a.get("href") or "")
        elif tag == "style":
            self._in_style = True
        elif tag == "script":
            kind = (a.get("type") or "text/javascript").lower()
            if kind in ("application/ld+json", "application/json"):
                return  # data, never executed
            name = a.get("src") or "(inline)"
            self.scripts.append(name)
            deferred = "defer" in a or "async" in a or kind == "module"
            if a.get("src") and not deferred:
                self.blocking_scripts.append(name)

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.inline_css += len(data.encode())


def page_weight(base: str, code: str) -> dict:
    with urllib.request.urlopen(f"{base}/p/{code}") as resp:
        html = resp.read()
        sets_cookie = resp.headers.get("Set-Cookie") is not None
    assets = _Assets()
    assets.feed(html.decode("utf-8"))
    css_bytes = {}
    for href in assets.stylesheets:
        with urllib.request.urlopen(urljoin(f"{base}/p/{code}", href)) as resp:
            css_bytes[href] = len(resp.read())
    return {
        "html_bytes": len(html),
        "html_gzip_bytes": len(gzip.compress(html)),
        "css_files": css_bytes,
        "css_inline_bytes": assets.inline_css,
        "css_bytes": sum(css_bytes.values()) + assets.inline_css,
        "scripts": assets.scripts,
        "blocking_scripts": len(assets.blocking_scripts),
        "sets_cookie": sets_cookie,
    }


# --- in-process profile -----------------------------------------------------------------------

# (label, file suffix, function name): cumulative time of each, per request.
PROFILED = [
    ("view total", "provenance/views.py", "product_page"),
    ("find_page_product (product, stall, batch, booth, photo: 1 Core query)",
     "provenance/services.py", "find_page_product"),
    ("services.product_page (diary + certificates: 1 Core query)",
     "provenance/services.py",
     "product_page"),
    ("json_ld", "provenance/services.py", "json_ld"),
    ("scans.record_scan", "provenance/scans.py", "record_scan"),
    ("render_template (Jinja)", "flask/templating.py", "render_template"),
    ("session cookie save", "flask/sessions.py", "save_session"),
    ("url_for", "flask/helpers.py", "url_for"),
    ("gettext", "flask_babel/__init__.py", "gettext"),
    ("SQL execute (all)", "sqlalchemy/engine/base.py", "_execute_context"),
]


def _cumulative(stats: pstats.Stats, suffix: str, func: str) -> float:
    total = 0.0
    for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        if name == func and filename.endswith(suffix):
            total += ct
    return total


def profile(url: str, code: str, requests: int = 300) -> dict:
    """Time the view in-process with the test client: queries, template, scans, session."""
    import os

    from marketplace.extensions import db
    from marketplace.provenance import scans

    app = make_app(url, SCANS_BACKGROUND=False, PROVENANCE_PAGE_CACHE_SECONDS=0)
    cached = make_app(url, SCANS_BACKGROUND=False, PROVENANCE_PAGE_CACHE_SECONDS=3600)
    os.environ["DATABASE_URL"] = url
    import importlib

    import bench.baseline_app

    baseline = importlib.reload(bench.baseline_app).app  # its engine is made at import

    client, bclient = app.test_client(), baseline.test_client()
    cclient = cached.test_client()
    path = f"/p/{code}"
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split())[:160])

    for _ in range(30):  # warm caches, compile templates
        assert client.get(path).status_code == 200
        assert bclient.get(path).status_code == 200
        assert cclient.get(path).status_code == 200
    sa.event.listen(engine, "before_cursor_execute", count)
    client.get(path)
    sa.event.remove(engine, "before_cursor_execute", count)
    queries = list(statements)

    def wall(c) -> float:
        t0 = time.perf_counter()
        for _ in range(requests):
            c.get(path)
        return (time.perf_counter() - t0) / requests * 1000

    app_ms, base_ms, hit_ms = wall(client), wall(bclient), wall(cclient)
    stages = _stage_times(client, path, requests)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(requests):
        client.get(path)
    prof.disable()
    stats = pstats.Stats(prof)
    calls = round(sum(nc for _cc, nc, _tt, _ct, _callers in stats.stats.values()) / requests)
    base_prof = cProfile.Profile()
    base_prof.enable()
    for _ in range(requests):
        bclient.get(path)
    base_prof.disable()
    base_calls = round(sum(nc for _cc, nc, _tt, _ct, _callers in
                           pstats.Stats(base_prof).stats.values()) / requests)
    per_request = {label: round(_cumulative(stats, suffix, func) / requests * 1000, 3)
                   for label, suffix, func in PROFILED}
    top = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:15]
    top_tottime = [
        f"{tt / requests * 1000:.3f} ms  {func}  {filename.split('site-packages/')[-1]}:{line}"
        for (filename, line, func), (_cc, _nc, tt, _ct, _callers) in top]
    # What the background thread pays per scan: insert what the profiled requests buffered.
    rec = scans.recorder(app)
    pending = rec.pending
    t0 = time.perf_counter()
    rec.flush()
    flush_ms = (time.perf_counter() - t0) * 1000
    scans.recorder(cached).flush()
    for each in (app, cached):
        with each.app_context():
            db.engine.dispose()
    return {
        "queries_per_request": len(queries),
        "queries": queries,
        "app_ms_per_request_in_process": round(app_ms, 3),
        "baseline_ms_per_request_in_process": round(base_ms, 3),
        "in_process_ratio": round(base_ms / app_ms, 3),
        "cached_hit_ms_per_request_in_process": round(hit_ms, 3),
        "function_calls_per_request": calls,  # load-independent, unlike the times
        "baseline_function_calls_per_request": base_calls,
        "stage_ms_per_request": stages,
        "profiled_ms_per_request": per_request,
        "top_tottime": top_tottime,
        "scan_flush": {"scans": pending, "ms": round(flush_ms, 1),
                       "ms_per_scan": round(flush_ms / max(pending, 1), 4)},
    }


def _stage_times(client, path: str, requests: int) -> dict:
    """Wall-clock ms per request spent in each step of the view (no profiler overhead)."""
    from marketplace.provenance import scans, services, views

    spent: dict[str, float] = {}
    patches = [(services, "find_page_product",
                "find product (product, stall, batch, booth, photo)"),
               (services, "product_page", "product_page (diary + certificates)"),
               (services, "json_ld", "json_ld"),
               (scans, "record_scan", "record_scan (buffer a scan)"),
               (views, "render_template", "render_template (Jinja, nav, i18n, csrf)")]
    originals = []
    for module, name, label in patches:
        original = getattr(module, name)
        originals.append((module, name, original))

        def timed(*args, __f=original, __label=label, **kwargs):
            t0 = time.perf_counter()
            try:
                return __f(*args, **kwargs)
            finally:
                spent[__label] = spent.get(__label, 0.0) + time.perf_counter() - t0

        setattr(module, name, timed)
    try:
        t0 = time.perf_counter()
        for _ in range(requests):
            client.get(path)
        total = time.perf_counter() - t0
    finally:
        for module, name, original in originals:
            setattr(module, name, original)
    out = {label: round(v / requests * 1000, 3) for label, v in spent.items()}
    out["everything else (Flask, session cookie, scan flush thread, WSGI)"] = round(
        (total - sum(spent.values())) / requests * 1000, 3)
    out["total"] = round(total / requests * 1000, 3)
    return out


# --- the run ----------------------------------------------------------------------------------


def run(backend: str, seconds: float, rounds: int, reuse: bool, redis: bool,
        connections: int, zipf: bool = False) -> dict:
    url, code, info = prepare(backend, reuse)
    extra = ({"REDIS_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": "cho40bench"} if redis else {})
    env = app_env(url, **extra)
    page = f"/p/{code}"
    paths = fair_paths(url, code) if zipf else [f"{page}?s=1"]
    wrk_env = {**os.environ, "BENCH_PATHS": write_paths(paths, f"paths_{backend}")}
    result = {"backend": backend, "code": code, "shows": info, "seconds": seconds,
              "rounds": rounds, "connections": connections, "workers": 2,
              "scan_buffer": "redis" if redis else "memory",
              "mode": f"zipf over {len(paths)} products" if zipf else "one page"}
    if redis:
        import redis as redis_lib

        redis_lib.Redis.from_url(REDIS_URL).flushdb()  # no visitor hash left from a last run
    env_cached = {**env, "PROVENANCE_PAGE_CACHE_SECONDS": "60"}
    env_uncached = {**env, "PROVENANCE_PAGE_CACHE_SECONDS": "0"}
    scans_before = scan_count(url)
    served = 0
    with gunicorn("bench.baseline_app:app", env, workers=2) as base_url, \
            gunicorn("wsgi:app", env_cached, workers=2) as app_url, \
            gunicorn("wsgi:app", env_uncached, workers=2) as nocache_url:
        result.update(page_weight(app_url, code))
        served += 1
        def load(target: str, duration: float) -> dict:
            return wrk(target + page, seconds=duration, connections=connections, script=LUA,
                       env=wrk_env)

        for target in (base_url, app_url, nocache_url):  # warm up: connections, templates
            warm = load(target, 2)
            served += warm["requests"] if target != base_url else 0
        baseline_runs, app_runs, nocache_runs = [], [], []
        for _ in range(rounds):
            baseline_runs.append(load(base_url, seconds))
            app_runs.append(load(app_url, seconds))
            nocache_runs.append(load(nocache_url, seconds))
            served += app_runs[-1]["requests"] + nocache_runs[-1]["requests"]
        result["load_average_during"] = load_average()
    # gunicorn has stopped gracefully: each worker flushed its scan buffer at exit.
    if redis:
        from marketplace.provenance.scans import flush_scans

        flush_scans(make_app(url, REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX="cho40bench"))
    scans = scan_count(url) - scans_before
    result["baseline_runs"] = [{k: v for k, v in r.items() if k != "raw"} for r in baseline_runs]
    result["app_runs"] = [{k: v for k, v in r.items() if k != "raw"} for r in app_runs]
    result["uncached_runs"] = [{k: v for k, v in r.items() if k != "raw"} for r in nocache_runs]
    result["baseline_rps"] = statistics.median(r["rps"] for r in baseline_runs)
    result["app_rps"] = statistics.median(r["rps"] for r in app_runs)
    result["ratio"] = round(result["app_rps"] / result["baseline_rps"], 3)
    result["uncached_rps"] = statistics.median(r["rps"] for r in nocache_runs)
    result["uncached_ratio"] = round(result["uncached_rps"] / result["baseline_rps"], 3)
    result["errors"] = sum(r["non_2xx_3xx"] + r["socket_errors"] for r in app_runs)
    result["uncached_errors"] = sum(r["non_2xx_3xx"] + r["socket_errors"] for r in nocache_runs)
    result["baseline_errors"] = sum(r["non_2xx_3xx"] + r["socket_errors"] for r in baseline_runs)
    result["app_p99"] = [r["p99"] for r in app_runs]
    result["pages_served_at_least"] = served
    result["scans_recorded"] = scans
    result["scans_lost"] = max(0, served - scans)
    result["profile"] = profile(url, code)
    return result


def verdicts(r: dict) -> dict[str, bool]:
    return {
        "ratio >= 0.8": r["ratio"] >= GOAL_RATIO,
        "uncached ratio >= 0.25": r["uncached_ratio"] >= GOAL_UNCACHED,
        "0 errors": r["errors"] == 0 and r["uncached_errors"] == 0,
        "no scan lost": r["scans_lost"] == 0,
        "HTML < 30 KB": r["html_bytes"] < HTML_LIMIT,
        "CSS < 20 KB": r["css_bytes"] < CSS_LIMIT,
        "0 blocking scripts": r["blocking_scripts"] == 0,
    }


def report(results: list[dict]) -> None:
    print(f"\nMachine: {machine()}")
    print(f"Mode: {results[0]['mode'] if results else ''}")
    rows = []
    for r in results:
        rows.append([r["backend"], f"{r['baseline_rps']:.0f}", f"{r['app_rps']:.0f}",
                     f"{r['ratio']:.2f}", f"{r['uncached_rps']:.0f}",
                     f"{r['uncached_ratio']:.2f}", r["errors"] + r["uncached_errors"],
                     f"{r['scans_recorded']}/"
                     f"{r['pages_served_at_least']}", f"{r['html_bytes'] / 1024:.1f} KB",
                     f"{r['css_bytes'] / 1024:.1f} KB", r["blocking_scripts"],
                     r["profile"]["queries_per_request"]])
    print(table(["backend", "baseline req/s", "/p/<code> req/s (cache)", "ratio",
                 "no cache req/s", "ratio", "errors",
                 "scans/served", "HTML", "CSS", "blocking js", "queries"], rows))
    for r in results:
        failed = [k for k, ok in verdicts(r).items() if not ok]
        verdict = "all goals met" if not failed else "MISSED: " + ", ".join(failed)
        print(f"\n{r['backend']}: {verdict}")
        prof = r["profile"]
        print(f"  in-process: page {prof['app_ms_per_request_in_process']:.2f} ms uncached, "
              f"{prof['cached_hit_ms_per_request_in_process']:.2f} ms from the cache, baseline "
              f"{prof['baseline_ms_per_request_in_process']:.2f} ms per request (test client)")
        print(f"  function calls per request (cProfile, load-independent): page uncached "
              f"{prof['function_calls_per_request']:,}, baseline "
              f"{prof['baseline_function_calls_per_request']:,}")
        if failed or r["uncached_ratio"] < GOAL_RATIO:
            print("  where the uncached page's time goes (wall clock, ms per request, "
                  "test client):")
            for label, ms in prof["stage_ms_per_request"].items():
                print(f"    {ms:8.3f}  {label}")
            print("  cProfile, cumulative ms per request (inflated by the profiler):")
            for label, ms in prof["profiled_ms_per_request"].items():
                print(f"    {ms:8.3f}  {label}")
            print(f"  SQL per request: {prof['queries_per_request']}")
            for q in prof["queries"]:
                print(f"    {q}")
            print(f"  scan flush: {prof['scan_flush']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10, help="wrk duration of each round")
    parser.add_argument("--rounds", type=int, default=2, help="baseline/page alternations")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--backend", default="both", choices=["sqlite", "postgresql", "both"])
    parser.add_argument("--reuse", action="store_true", help="keep the seeded databases")
    parser.add_argument("--redis", action="store_true", help="buffer scans in Redis (db 15)")
    parser.add_argument("--zipf", action="store_true",
                        help="spread scans Zipf over all products of the open fair")
    args = parser.parse_args()
    results = []
    for backend in backends(args.backend):
        print(f"{backend}: preparing …")
        r = run(backend, args.seconds, args.rounds, args.reuse, args.redis, args.connections,
                args.zipf)
        r["verdicts"] = verdicts(r)
        save(f"provenance_page_{backend}" + ("_redis" if args.redis else "")
             + ("_zipf" if args.zipf else ""), r)
        results.append(r)
    report(results)


if __name__ == "__main__":
    main()
