"""Report speed with 1,000,000 order lines, and streaming exports of 100,000 lines.

Usage: .venv/bin/python -m bench.reports [--backend sqlite|postgresql|both] [--lines 1000000]
           [--runs 3] [--export-lines 100000] [--reuse]

Per backend: build the schema (db.create_all) and generate --lines order lines with bulk Core
inserts, spread over 10 fairs of 3 days, 60 stalls, 600 products in 6 categories and the
channels fair/online/livestream (about 5 % cancelled, 10 % unpaid), plus their payments,
imported marketplace lines (5 % of --lines) and label scans (10 %). Then:
- times reports.figures.fair_report() and campaign_report() (median of --runs, goals: 1 s on
  PostgreSQL, 2 s on SQLite), with every SQL statement timed; the slowest statement of a report
  that misses its goal is shown with EXPLAIN ANALYZE (PostgreSQL) or EXPLAIN QUERY PLAN, taken
  during one more run of the report (its temporary tables exist only inside it);
- streams the line-level CSV and XLSX exports (reports.exports over detail.stream_detail) of
  --export-lines lines in a fresh process each, and reports the peak RSS, next to a run of a
  tenth as many lines: bounded memory means the two peaks are about the same.
--reuse keeps a generated database when it already holds --lines lines.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from bench.common import (
    PY,
    ROOT,
    backends,
    bench_database,
    create_schema,
    load_average,
    machine,
    make_app,
    sa_url,
    save,
    table,
)

GOALS = {"postgresql": 1.0, "sqlite": 2.0}
FAIRS = 10
STALLS = 60
PRODUCTS_PER_STALL = 10
CATEGORIES = ["gao", "trai-cay", "gia-vi", "banh-keo", "bun-mien", "rau-cu"]
CHANNELS = ["fair", "fair", "fair", "online", "online", "livestream"]
METHODS = ["cash", "cash", "vietqr", "card"]
PLATFORMS = ["shopee", "lazada", "tiktok"]
START = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)
BATCH = 20_000
# A second campaign, added when reports are timed: 18 days around the sixth fair, one category.
SEASON = {"name": "Mùa vải 18 ngày", "slug": "bench-season", "starts_on": date(2024, 6, 1),
          "ends_on": date(2024, 6, 18), "goal_kg": Decimal(50_000), "categories": "trai-cay"}
REPORTS = {"fair_report": "fair (10 % of the lines)",
           "campaign_report": "campaign, whole year, 1 category (1/6 of the lines)",
           "season_report": "campaign, 18 days, 1 category"}


# --- data -------------------------------------------------------------------------------------


def generate(url: str, total_lines: int) -> None:
    """Write fairs, stalls, products, orders, lines, payments, imports and scans."""
    from marketplace.accounts.models import User
    from marketplace.catalog.models import Product, Stall
    from marketplace.extensions import db
    from marketplace.fairs.models import Campaign, CampaignStall, Fair, FairStall
    from marketplace.imports.models import ImportedSaleLine
    from marketplace.orders.writer import KEEP, NewLine, NewOrder, Paid, write_orders
    from marketplace.provenance.models import ScanEvent

    rng = random.Random(7)
    create_schema(url)
    app = make_app(url)
    with app.app_context():
        org = User(name="Ban tổ chức", email="bench@cho40.vn", role="organizer",
                   password_hash="x")
        db.session.add(org)
        stalls = []
        for s in range(STALLS):
            owner = User(name=f"Người bán {s}", phone=f"09{s:08d}", role="seller",
                         password_hash="x")
            stall = Stall(owner=owner, name=f"Gian hàng {s}", slug=f"gian-{s}",
                          province="Bắc Giang")
            db.session.add(stall)
            stalls.append(stall)
        db.session.flush()
        products = []
        for stall in stalls:
            for p in range(PRODUCTS_PER_STALL):
                products.append(Product(
                    stall=stall, code=f"B{stall.id:03d}{p:02d}", name=f"Sản phẩm {stall.id}-{p}",
                    category=rng.choice(CATEGORIES), unit=rng.choice(["túi", "hộp", "kg"]),
                    price=rng.randrange(20, 400) * 1000, stock=1000,
                    net_weight_kg=Decimal(rng.choice(["0.500", "1.000", "2.000", "5.000"]))))
        db.session.add_all(products)
        fairs = []
        for f in range(FAIRS):
            starts = START + timedelta(days=30 * f)
            fair = Fair(organizer=org, name=f"Phiên chợ {f}", slug=f"phien-{f}", venue="Bench",
                        starts_at=starts, ends_at=starts + timedelta(days=3), published=True)
            db.session.add(fair)
            fairs.append(fair)
        db.session.flush()
        for fair in fairs:
            for n, stall in enumerate(rng.sample(stalls, 18)):
                db.session.add(FairStall(fair=fair, stall=stall, status="accepted",
                                         booth_number=str(n + 1)))
        # Every stall joined the drive (a campaign counts only the stalls that joined it).
        db.session.add(Campaign(
            organizer=org, name="Vải chuẩn từ tâm", slug="bench-campaign",
            starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31), goal_kg=Decimal(500_000),
            categories="trai-cay", published=True,
            invitations=[CampaignStall(stall=s, status="joined") for s in stalls]))
        db.session.commit()
        by_stall: dict[int, list] = {}
        for product in products:
            by_stall.setdefault(product.stall_id, []).append(
                (product.id, product.name, product.unit, product.price, product.net_weight_kg))
        fair_stalls = {f.id: [fs.stall_id for fs in f.participations] for f in fairs}
        fair_spans = [(f.id, f.starts_at) for f in fairs]

        batch: list[NewOrder] = []  # written through the one order writer, in bulk
        order_id = line_id = 0

        def flush():
            write_orders(batch, stock=KEEP)
            db.session.commit()
            batch.clear()

        while line_id < total_lines:
            order_id += 1
            fair_id, starts = fair_spans[order_id % FAIRS]
            channel = rng.choice(CHANNELS)
            stall_id = rng.choice(fair_stalls[fair_id])
            placed = starts + timedelta(seconds=rng.randrange(0, 3 * 86400))
            roll = rng.random()
            status = "cancelled" if roll < 0.05 else ("placed" if roll < 0.10 else "fulfilled")
            lines = []
            for _ in range(rng.choice([1, 2, 3, 4])):
                if line_id >= total_lines:
                    break
                line_id += 1
                pid, name, unit, price, kg = rng.choice(by_stall[stall_id])
                lines.append(NewLine(pid, name, unit, price, kg, Decimal(rng.randint(1, 5))))
            method = rng.choice(METHODS)
            batch.append(NewOrder(
                stall_id=stall_id, lines=lines, code=f"B{order_id:09d}", channel=channel,
                fair_id=fair_id if channel == "fair" else None,
                fulfilment="booth_pickup" if channel == "fair" else "delivery",
                payment_method=method, placed_at=placed,
                statuses=["placed"] if status == "placed" else ["placed", status],
                paid=Paid(method, provider_ref=f"b{order_id}") if status == "fulfilled" else None))
            if len(batch) >= BATCH // 3:
                flush()
        flush()

        imported = []
        catalog = [(stall_id, *item) for stall_id, items in by_stall.items() for item in items]
        for n in range(total_lines // 20):
            stall_id, pid, name, unit, price, kg = rng.choice(catalog)
            qty = rng.randint(1, 4)
            imported.append({
                "stall_id": stall_id, "platform": rng.choice(PLATFORMS),
                "external_order_id": f"X{n // 2:010d}", "line_key": f"{n}",
                "created_at_source": START + timedelta(seconds=rng.randrange(0, 300 * 86400)),
                "status_raw": "Hoàn thành", "status_class": rng.choice(
                    ["sale", "sale", "sale", "in_progress", "cancelled"]),
                "product_name": name, "seller_sku": f"SKU{pid}", "qty": qty,
                "returned_qty": 1 if qty > 1 and rng.random() < 0.05 else 0,
                "net_amount": price * qty, "product_id": pid, "net_weight_kg": kg,
            })
            if len(imported) >= BATCH:
                db.session.execute(sa.insert(ImportedSaleLine.__table__), imported)
                imported.clear()
        if imported:
            db.session.execute(sa.insert(ImportedSaleLine.__table__), imported)
        scans = []
        for n in range(total_lines // 10):
            fair_id, starts = fair_spans[n % FAIRS]
            scans.append({"uid": f"{n:032x}", "product_id": rng.choice(products).id,
                          "fair_id": fair_id if rng.random() < 0.7 else None,
                          "scanned_at": starts + timedelta(seconds=rng.randrange(0, 3 * 86400))})
            if len(scans) >= BATCH:
                db.session.execute(sa.insert(ScanEvent.__table__), scans)
                scans.clear()
        if scans:
            db.session.execute(sa.insert(ScanEvent.__table__), scans)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        else:
            with db.engine.begin() as conn:
                conn.execute(sa.text("ANALYZE"))
        db.engine.dispose()


def line_count(url: str) -> int | None:
    engine = sa.create_engine(sa_url(url))
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM order_line")).scalar_one()
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()


# --- timing the reports -----------------------------------------------------------------------


class StatementTimer:
    """Time every SQL statement run on an engine (with its parameters, to EXPLAIN it later)."""

    def __init__(self, engine):
        self.engine = engine
        self.records: list[tuple[float, str, object]] = []
        self._t0 = 0.0

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._before)
        sa.event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._before)
        sa.event.remove(self.engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self._t0 = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        self.records.append((time.perf_counter() - self._t0, statement, parameters))


_TEMP_NAME = re.compile(r"\b(report_\w+?)_[0-9a-f]{12}\b")
_CREATE_AS = re.compile(r"^\s*CREATE TEMPORARY TABLE \S+( ON COMMIT DROP)? AS ", re.I)


def _shape(statement: str) -> str:
    """A statement without its per-call temporary table names, to find it again."""
    return _TEMP_NAME.sub(r"\1", " ".join(statement.split()))


class PlanCatcher:
    """EXPLAIN one statement right after it runs (in its own transaction, where the report's
    temporary tables exist): EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite."""

    def __init__(self, engine, statement: str):
        self.engine = engine
        self.shape = _shape(statement)
        self.plan: str | None = None

    def __enter__(self):
        sa.event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "after_cursor_execute", self._after)

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.plan is not None or _shape(statement) != self.shape:
            return
        postgresql = self.engine.dialect.name == "postgresql"
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgresql else "EXPLAIN QUERY PLAN "
        # CREATE TABLE AS: explain its SELECT (the table it made already exists).
        explained = cursor.connection.cursor()
        explained.execute(prefix + _CREATE_AS.sub("", statement), parameters)
        rows = explained.fetchall()
        explained.close()
        self.plan = "\n".join(r[0] if postgresql else " | ".join(str(c) for c in r)
                               for r in rows)


def time_reports(url: str, backend: str, runs: int) -> dict:
    from marketplace.extensions import db
    from marketplace.fairs.models import Campaign, CampaignStall, Fair
    from marketplace.orders.models import Order, OrderLine
    from marketplace.reports import figures

    app = make_app(url)
    out: dict = {}
    with app.app_context(), app.test_request_context():
        out["order_lines"] = db.session.scalar(sa.select(sa.func.count()).select_from(OrderLine))
        out["orders"] = db.session.scalar(sa.select(sa.func.count()).select_from(Order))
        fair = db.session.scalar(sa.select(Fair).order_by(Fair.id))
        campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == "bench-campaign"))
        season = db.session.scalar(sa.select(Campaign).where(Campaign.slug == SEASON["slug"]))
        if season is None:  # like the lychee drive: 18 days, one category, about one fair
            season = Campaign(organizer_id=campaign.organizer_id, published=True, **SEASON,
                              invitations=[CampaignStall(stall_id=i.stall_id, status="joined")
                                           for i in campaign.invitations])
            db.session.add(season)
            db.session.commit()
        out["fair_lines"] = db.session.scalar(
            sa.select(sa.func.count()).select_from(OrderLine).join(Order)
            .where(Order.fair_id == fair.id))
        calls = (("fair_report", lambda: figures.fair_report(fair)),
                 ("campaign_report", lambda: figures.campaign_report(campaign)),
                 ("season_report", lambda: figures.campaign_report(season)))
        for name, call in calls:
            times: list[float] = []
            for _ in range(runs):
                db.session.expire_all()
                with StatementTimer(db.engine) as timer:
                    t0 = time.perf_counter()
                    report = call()
                    times.append(time.perf_counter() - t0)
            slowest = sorted(timer.records, key=lambda r: -r[0])
            entry = {
                "seconds": [round(t, 3) for t in times],
                "median_s": round(statistics.median(times), 3),
                "statements": len(timer.records),
                "sql_s": round(sum(r[0] for r in timer.records), 3),
                "slowest_statements": [
                    {"s": round(s, 3), "sql": " ".join(sql.split())[:300]}
                    for s, sql, _p in slowest[:3]],
                "net_vnd": report.totals.net_vnd,
                "orders_counted": report.totals.orders,
            }
            if entry["median_s"] > GOALS[backend] and slowest:
                db.session.expire_all()
                with PlanCatcher(db.engine, slowest[0][1]) as catcher:
                    call()
                entry["slowest_plan"] = catcher.plan or "(statement not seen again)"
            out[name] = entry
        db.engine.dispose()
    return out


# --- streaming exports in a fresh process -----------------------------------------------------

EXPORT_SCRIPT = r"""
import json, sys, time
sys.path.insert(0, sys.argv[4])
from bench.common import make_app
from marketplace.extensions import db
from marketplace.fairs.models import Campaign
from marketplace.reports import detail, exports, scope, tables
import sqlalchemy as sa


def rss_mib(field="VmRSS"):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024


url, fmt, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = make_app(url)
peak = 0.0
with app.app_context(), app.test_request_context():
    campaign = db.session.scalar(sa.select(Campaign))
    target = scope.campaign_target(campaign)
    table = tables.TABLES["lines"]
    db.session.scalar(sa.select(sa.func.count()).select_from(Campaign))  # connect first
    before = rss_mib()

    def rows():
        global peak
        for n, row in zip(range(limit), detail.stream_detail(target, "lines")):
            if n % 1000 == 0:
                peak = max(peak, rss_mib())
            yield row

    chunks = exports.csv_chunks(table, rows()) if fmt == "csv" else \
        exports.xlsx_chunks(table, rows())
    t0 = time.perf_counter()
    size = count = 0
    for chunk in chunks:
        size += len(chunk)
        count += 1
        peak = max(peak, rss_mib())
    elapsed = time.perf_counter() - t0
print(json.dumps({"lines": limit, "rss_before_mib": round(before, 1),
                  "peak_rss_mib": round(peak, 1), "growth_mib": round(peak - before, 1),
                  "process_peak_rss_mib": round(rss_mib("VmHWM"), 1),
                  "bytes": size, "chunks": count, "seconds": round(elapsed, 2)}))
"""


def export_memory(url: str, fmt: str, limit: int) -> dict:
    done = subprocess.run([PY, "-c", EXPORT_SCRIPT, url, fmt, str(limit), str(ROOT)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"export {fmt} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the run ----------------------------------------------------------------------------------


def run(backend: str, lines: int, runs: int, export_lines: int, reuse: bool) -> dict:
    url = bench_database(backend, "reports", fresh=False)
    have = line_count(url) if reuse else None
    result: dict = {"backend": backend, "lines_requested": lines}
    if have != lines:
        url = bench_database(backend, "reports")
        t0 = time.perf_counter()
        generate(url, lines)
        result["generate_s"] = round(time.perf_counter() - t0, 1)
        print(f"  {backend}: generated {lines} lines in {result['generate_s']} s")
    result.update(time_reports(url, backend, runs))
    result["exports"] = {}
    for fmt in ("csv", "xlsx") if export_lines else ():
        small = export_memory(url, fmt, max(1, export_lines // 10))
        big = export_memory(url, fmt, export_lines)
        result["exports"][fmt] = {"small": small, "full": big}
    result["load_average_after_run"] = load_average()
    goal = GOALS[backend]
    result["verdicts"] = {
        f"fair report <= {goal:g} s": result["fair_report"]["median_s"] <= goal,
        f"campaign report (whole year) <= {goal:g} s":
            result["campaign_report"]["median_s"] <= goal,
        f"campaign report (18 days) <= {goal:g} s": result["season_report"]["median_s"] <= goal,
        # Bounded: ten times the lines must not cost more than a few MiB more at the peak.
        "exports stream in bounded memory": bool(result["exports"]) and all(
            e["full"]["growth_mib"] - e["small"]["growth_mib"] < 32
            for e in result["exports"].values()),
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="both", choices=["sqlite", "postgresql", "both"])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--export-lines", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep already generated data")
    parser.add_argument("--no-exports", action="store_true", help="time the reports only")
    parser.add_argument("--pg-options", default="",
                        help='PostgreSQL session settings to try, e.g. "-c jit=off" (PGOPTIONS)')
    args = parser.parse_args()
    if args.pg_options:
        os.environ["PGOPTIONS"] = args.pg_options  # libpq reads it for every new connection
    results = []
    for backend in backends(args.backend):
        print(f"{backend}: …")
        r = run(backend, args.lines, args.runs, 0 if args.no_exports else args.export_lines,
                args.reuse)
        r["pg_options"] = args.pg_options if backend == "postgresql" else ""
        suffix = "_pgoptions" if args.pg_options and backend == "postgresql" else ""
        save(f"reports_{backend}{suffix}", r)
        results.append(r)
    print(f"\nMachine: {machine()}")
    print(table(
        ["backend", "order lines", "report", "median s", "goal s", "SQL statements", "slowest s"],
        [[r["backend"] + (f" ({r['pg_options']})" if r.get("pg_options") else ""),
          r["order_lines"], label, r[name]["median_s"], GOALS[r["backend"]],
          r[name]["statements"], r[name]["slowest_statements"][0]["s"]]
         for r in results for name, label in REPORTS.items()]))
    print()
    print(table(
        ["backend", "export", "lines", "seconds", "size", "RSS before", "peak RSS",
         "growth", "growth at 1/10 the lines"],
        [[r["backend"], fmt, e["full"]["lines"], e["full"]["seconds"],
          f"{e['full']['bytes'] / 2**20:.1f} MiB", f"{e['full']['rss_before_mib']} MiB",
          f"{e['full']['peak_rss_mib']} MiB", f"{e['full']['growth_mib']} MiB",
          f"{e['small']['growth_mib']} MiB"]
         for r in results for fmt, e in r["exports"].items()]))
    for r in results:
        print(f"\n{r['backend']}: " + ", ".join(
            f"{k}: {'yes' if ok else 'NO'}" for k, ok in r["verdicts"].items()))
        for name in REPORTS:
            rep = r[name]
            if "slowest_plan" in rep:
                print(f"  {name} slowest statement ({rep['slowest_statements'][0]['s']} s):")
                print("    " + rep["slowest_statements"][0]["sql"])
                plan = rep["slowest_plan"].splitlines()
                print("    " + "\n    ".join(plan[:40]))
                if len(plan) > 40:
                    print(f"    … {len(plan) - 40} more lines in bench/out/reports_*.json")


if __name__ == "__main__":
    main()
