"""Report speed with 1,000,000 order lines, and streaming exports of 100,000 lines.

Usage: python bench/reports.py [--backend sqlite|postgresql|both] [--lines 1000000]
Generates the data once per backend (bench/out/), then times fair and campaign reports and
measures the peak memory of CSV and XLSX exports in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from bench.common import PY, ROOT, pg_database, save, sqlite_database

FAIRS = 10
STALLS = 60
PRODUCTS_PER_STALL = 10
CATEGORIES = ["gao", "trai-cay", "gia-vi", "banh-keo", "bun-mien", "rau-cu"]
CHANNELS = ["fair", "fair", "fair", "online", "online", "livestream"]
METHODS = ["cash", "cash", "vietqr", "card"]
START = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)


def _app(url: str):
    from marketplace import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                       "TESTING": False})


def generate(url: str, total_lines: int) -> None:
    """Write fairs, stalls, products, orders, lines and payments with bulk Core inserts."""
    from marketplace.extensions import db
    from marketplace.models import (
        Campaign, Fair, FairStall, Order, OrderLine, Payment, Product, Stall, User,
    )

    rng = random.Random(7)
    app = _app(url)
    with app.app_context():
        db.create_all()
        org = User(name="Bench organizer", email="bench@cho40.vn", role="organizer",
                   password_hash="x")
        db.session.add(org)
        db.session.flush()
        stalls = []
        for s in range(STALLS):
            owner = User(name=f"Seller {s}", phone=f"09{s:08d}", role="seller", password_hash="x")
            stall = Stall(owner=owner, name=f"Gian {s}", slug=f"gian-{s}", province="Bắc Giang")
            db.session.add(stall)
            stalls.append(stall)
        db.session.flush()
        products = []
        for stall in stalls:
            for p in range(PRODUCTS_PER_STALL):
                products.append(Product(
                    stall=stall, code=f"B{stall.id:03d}{p:02d}"[:8], name=f"SP {stall.id}-{p}",
                    category=rng.choice(CATEGORIES), unit="túi", price=rng.randrange(20, 400) * 1000,
                    net_weight_kg=Decimal(rng.choice(["0.500", "1.000", "2.000", "5.000"])),
                    stock=1000))
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
            for stall in rng.sample(stalls, 18):
                db.session.add(FairStall(fair=fair, stall=stall, status="accepted",
                                         booth_number=str(stall.id)))
        db.session.add(Campaign(
            organizer=org, name="Bench campaign", slug="bench-campaign",
            starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31), goal_kg=Decimal(500000),
            categories="trai-cay", published=True))
        db.session.commit()
        by_stall = {}
        for product in products:
            by_stall.setdefault(product.stall_id, []).append(
                (product.id, product.name, product.price, product.net_weight_kg))
        fair_stalls = {f.id: [fs.stall_id for fs in f.participations] for f in fairs}

        order_t, line_t, pay_t = Order.__table__, OrderLine.__table__, Payment.__table__
        order_id = line_id = pay_id = 0
        orders, lines, pays = [], [], []

        def flush():
            db.session.execute(sa.insert(order_t), orders)
            db.session.execute(sa.insert(line_t), lines)
            if pays:
                db.session.execute(sa.insert(pay_t), pays)
            db.session.commit()
            orders.clear(), lines.clear(), pays.clear()

        while line_id < total_lines:
            order_id += 1
            fair = fairs[order_id % FAIRS]
            channel = rng.choice(CHANNELS)
            stall_id = rng.choice(fair_stalls[fair.id])
            placed = fair.starts_at + timedelta(seconds=rng.randrange(0, 3 * 86400))
            cancelled = rng.random() < 0.05
            total = 0
            for _ in range(rng.choice([1, 2, 3, 4])):
                if line_id >= total_lines:
                    break
                line_id += 1
                pid, name, price, kg = rng.choice(by_stall[stall_id])
                qty = rng.randint(1, 5)
                total += price * qty
                lines.append({"id": line_id, "order_id": order_id, "product_id": pid,
                              "product_name": name, "unit": "túi", "unit_price": price,
                              "net_weight_kg": kg, "quantity": qty, "line_total": price * qty})
            paid = not cancelled and rng.random() < 0.9
            orders.append({
                "id": order_id, "code": f"B{order_id:09d}", "access_token": "t",
                "stall_id": stall_id, "fair_id": fair.id if channel == "fair" else None,
                "customer_name": "", "customer_phone": "", "delivery_address": "", "note": "",
                "channel": channel, "fulfilment": "booth_pickup" if channel == "fair" else "delivery",
                "status": "cancelled" if cancelled else "fulfilled", "total": total,
                "paid_amount": total if paid else 0, "placed_at": placed,
                "cancelled_at": placed if cancelled else None,
            })
            if paid:
                pay_id += 1
                pays.append({"id": pay_id, "order_id": order_id, "method": rng.choice(METHODS),
                             "amount": total, "kind": "payment", "provider_ref": f"b{pay_id}",
                             "created_at": placed})
            if len(lines) >= 20000:
                flush()
        flush()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text('ANALYZE'))
        db.engine.dispose()


def time_reports(url: str) -> dict:
    from marketplace.extensions import db
    from marketplace.fairs.models import Campaign, Fair
    from marketplace.orders.models import Order, OrderLine
    from marketplace.reports import services

    app = _app(url)
    out = {}
    with app.app_context():
        out["order_lines"] = db.session.scalar(sa.select(sa.func.count()).select_from(OrderLine))
        out["orders"] = db.session.scalar(sa.select(sa.func.count()).select_from(Order))
        fair = db.session.scalar(sa.select(Fair).order_by(Fair.id))
        campaign = db.session.scalar(sa.select(Campaign))
        out["fair_lines"] = db.session.scalar(
            sa.select(sa.func.count()).select_from(OrderLine).join(Order)
            .where(Order.fair_id == fair.id))
        for name, call in (("fair_report", lambda: services.fair_report(fair)),
                           ("campaign_report", lambda: services.campaign_report(campaign))):
            times = []
            for _ in range(3):
                db.session.expire_all()
                t0 = time.perf_counter()
                call()
                times.append(time.perf_counter() - t0)
            out[name + "_s"] = statistics.median(times)
        db.engine.dispose()
    return out


EXPORT_SCRIPT = r"""
import json, resource, sys, time
from marketplace import create_app
from marketplace.extensions import db
from marketplace.fairs.models import Fair
from marketplace.reports import services, exports, tables
import sqlalchemy as sa
url, fmt, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
with app.app_context():
    fair = db.session.scalar(sa.select(Fair).order_by(Fair.id))
    target = services.fair_target(fair)
    table = tables.detail_table("lines") if hasattr(tables, "detail_table") else tables.TABLES["lines"]
    db.session.scalar(sa.select(sa.func.count()).select_from(Fair))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = (row for n, row in zip(range(limit), services.stream_detail(target, "lines")))
    chunks = exports.csv_chunks(table, rows) if fmt == "csv" else exports.xlsx_chunks(table, rows)
    t0 = time.perf_counter(); size = 0
    for chunk in chunks:
        size += len(chunk)
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rss_before_mib": before / 1024, "peak_rss_mib": peak / 1024,
                  "bytes": size, "seconds": elapsed}))
"""


def export_memory(url: str, fmt: str, limit: int = 100_000) -> dict:
    done = subprocess.run([PY, "-c", EXPORT_SCRIPT, url, fmt, str(limit)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="both")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep already generated data")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if backend == "postgresql":
            url = pg_database("cho40_bench_reports") if not args.reuse else \
                "postgresql+psycopg://postgres@127.0.0.1:5432/cho40_bench_reports"
        else:
            url = sqlite_database("reports") if not args.reuse else \
                f"sqlite:///{ROOT / 'bench' / 'out' / 'reports.sqlite3'}"
        if not args.reuse:
            t0 = time.perf_counter()
            generate(url, args.lines)
            print(f"{backend}: generated {args.lines} lines in {time.perf_counter() - t0:.0f} s")
        result = {"backend": backend, **time_reports(url)}
        result["csv_export"] = export_memory(url, "csv")
        result["xlsx_export"] = export_memory(url, "xlsx")
        save(f"reports_{backend}", result)
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
