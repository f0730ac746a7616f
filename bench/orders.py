"""Order placement over HTTP: gunicorn (4 workers) + PostgreSQL, 32 concurrent clients.

Usage: .venv/bin/python -m bench.orders [--seconds 10] [--attempts 1000] [--stock 100]
           [--clients 32] [--workers 4] [--backend postgresql|sqlite]

1. Throughput without contention: 40 stalls × 10 products with plenty of stock; each client
   posts the real checkout form (POST /checkout, cart in the signed session cookie, CSRF token
   from Flask-WTF) for a one-line cart of a product picked at random, so two clients rarely
   want the same row. wrk drives it with a Lua script that also counts responses by class
   and which redirects were placements (Location /checkout/<code>) or refusals (/cart).
   Orders per second = new order rows in the database / run time (goal >= 300/s).
2. Contention: --attempts checkouts (1,000) of one unit of a product with --stock units (100),
   from --clients threads at once. Goal: exactly 100 sold, stock 0 and never negative, every
   order complete (line, status event, checkout), 0 server errors (5xx counted by the client).

The sessions are made offline, the way the orders code makes them: inside a request context,
session["cart"] = {"<product id>": [quantity, price]}, flask_wtf.csrf.generate_csrf(), then
the session is signed with app.session_interface.get_signing_serializer(app).

The load generator shares the machine's cores with gunicorn and PostgreSQL: on 2 cores it
takes a real share of the CPU, so the figures are a floor for the app on its own machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import threading
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa

from bench.common import (
    OUT,
    app_env,
    bench_database,
    cpu_snapshot,
    cpu_used,
    create_schema,
    gunicorn,
    load_average,
    machine,
    make_app,
    sa_url,
    save,
    table,
)

GOAL_OPS = 300
STALLS, PRODUCTS_PER_STALL = 40, 10
PLENTY = 10_000_000
LUA = Path(__file__).with_name("checkout.lua")


# --- data and sessions ------------------------------------------------------------------------


def prepare(url: str, stock: int) -> dict:
    """Create stalls, plenty-stock products and the one scarce product; return their ids."""
    from marketplace.accounts.models import User
    from marketplace.catalog.codes import new_code
    from marketplace.catalog.models import Product, Stall
    from marketplace.extensions import db

    create_schema(url)
    app = make_app(url)
    with app.app_context():
        plenty, scarce = [], None
        for s in range(STALLS + 1):
            owner = User(name=f"Người bán {s}", phone=f"09{s:08d}", role="seller",
                         password_hash="x")
            stall = Stall(owner=owner, name=f"Gian hàng {s}", slug=f"gian-{s}",
                          province="Bắc Giang", phone="0912345678")
            db.session.add(stall)
            count = 1 if s == STALLS else PRODUCTS_PER_STALL
            for p in range(count):
                product = Product(stall=stall, code=new_code(), name=f"Gạo thơm {s}-{p}",
                                  category="gao", unit="túi", price=45_000 + 1_000 * p,
                                  net_weight_kg=Decimal("1.000"),
                                  stock=stock if s == STALLS else PLENTY)
                db.session.add(product)
                if s == STALLS:
                    scarce = product
                else:
                    plenty.append(product)
        db.session.commit()
        ids = {"plenty": [(p.id, p.stall_id, p.price) for p in plenty],
               "scarce": (scarce.id, scarce.stall_id, scarce.price)}
        db.engine.dispose()
    return ids


def with_key(body: str) -> str:
    """Add a fresh one-time key, as each newly rendered checkout form carries (no replays)."""
    return f"{body}&once_key={uuid.uuid4().hex}"


def checkout_requests(url: str, products: list[tuple[int, int, int]]) -> list[tuple[str, str]]:
    """Return (Cookie header, form body) pairs: one shopper with a one-line cart per product."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    app = make_app(url)
    serializer = app.session_interface.get_signing_serializer(app)
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    pairs = []
    for n, (pid, stall_id, price) in enumerate(products):
        with app.test_request_context("/checkout"):
            session["cart"] = {str(pid): [1, price]}  # as orders.views._save_cart stores it
            token = generate_csrf()
            cookie = f"{cookie_name}={serializer.dumps(dict(session))}"
        body = urlencode({
            "csrf_token": token,
            "customer_name": f"Khách {n}",
            "customer_phone": f"09{n % 100_000_000:08d}",
            "delivery_address": "",
            "note": "",
            f"fulfilment_{stall_id}": "stall_pickup",
            f"payment_{stall_id}": "cash",
        })
        pairs.append((cookie, body))
    return pairs


def counts(url: str, scarce_id: int | None = None) -> dict:
    engine = sa.create_engine(sa_url(url))
    q = {
        "orders": "SELECT count(*) FROM \"order\"",
        "checkouts": "SELECT count(*) FROM checkout",
        "lines": "SELECT count(*) FROM order_line",
        "negative_stock_products": "SELECT count(*) FROM product WHERE stock < 0",
    }
    if scarce_id is not None:
        q.update({
            "scarce_stock": f"SELECT stock FROM product WHERE id = {scarce_id}",
            "scarce_sold": f"SELECT coalesce(sum(quantity), 0) FROM order_line "
                           f"WHERE product_id = {scarce_id}",
            "scarce_orders": f"SELECT count(DISTINCT order_id) FROM order_line "
                             f"WHERE product_id = {scarce_id}",
            # An accepted order must be whole: a line, a status event and its checkout, and
            # its total the lines' plus the delivery fee (as orders.writer writes it).
            "incomplete_orders": (
                "SELECT count(*) FROM \"order\" o WHERE "
                "NOT EXISTS (SELECT 1 FROM order_line l WHERE l.order_id = o.id) OR "
                "NOT EXISTS (SELECT 1 FROM order_status_event e WHERE e.order_id = o.id) OR "
                "o.checkout_id IS NULL OR "
                "o.total <> o.delivery_fee + (SELECT coalesce(sum(line_total), 0) "
                "FROM order_line l WHERE l.order_id = o.id)"),
        })
    with engine.connect() as conn:
        out = {k: conn.execute(sa.text(v)).scalar_one() for k, v in q.items()}
    engine.dispose()
    return out


# --- load ---------------------------------------------------------------------------------


def wrk_checkout(base: str, pairs_file: Path, seconds: float, clients: int) -> dict:
    """POST /checkout with wrk + checkout.lua; return wrk's figures and the Lua tallies."""
    env = dict(os.environ, BENCH_PAIRS=str(pairs_file))
    cmd = ["wrk", "-t", "2", "-c", str(clients), "-d", f"{max(1, round(seconds))}s",
           "--timeout", "10s", "--latency", "-s", str(LUA), f"{base}/checkout"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env,
                         timeout=seconds + 60).stdout
    tallies = {}
    for line in out.splitlines():
        if line.startswith("TALLY "):
            tallies = json.loads(line[6:])
    import re

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+\w+)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    return {"rps": rps, "socket_errors": sum(int(x) for x in sock.groups()) if sock else 0,
            "p50": p50.group(1) if p50 else "", "p99": p99.group(1) if p99 else "",
            "tallies": tallies}


def threads_checkout(base: str, pairs: list[tuple[str, str]], attempts: int,
                     clients: int) -> dict:
    """Make exactly `attempts` checkouts from `clients` threads; classify every answer."""
    host = urlsplit(base)
    remaining = iter(range(attempts))
    lock = threading.Lock()
    outcomes: Counter = Counter()
    latencies: list[float] = []
    start = threading.Barrier(clients)

    def client(n: int) -> None:
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        start.wait()
        while True:
            with lock:
                i = next(remaining, None)
            if i is None:
                break
            cookie, body = pairs[i % len(pairs)]
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/checkout", body=with_key(body), headers={
                    "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
                resp = conn.getresponse()
                resp.read()
                status, location = resp.status, resp.getheader("Location") or ""
            except (OSError, http.client.HTTPException) as exc:
                status, location = f"socket error {type(exc).__name__}", ""
                conn.close()
                conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
            elapsed = time.perf_counter() - t0
            if status == 303 and "/checkout/" in location:
                kind = "placed"
            elif status == 303 and location.endswith("/cart"):
                kind = "refused: sold out (stale cart -> /cart)"
            elif isinstance(status, int) and status >= 500:
                kind = f"server error {status}"
            elif status == 409:
                kind = "refused: out of stock (409, raced at the UPDATE)"
            else:
                kind = f"other {status}"
            with lock:
                outcomes[kind] += 1
                latencies.append(elapsed)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    latencies.sort()
    return {"attempts": attempts, "clients": clients, "seconds": round(elapsed, 2),
            "outcomes": dict(outcomes),
            "server_errors": sum(v for k, v in outcomes.items() if k.startswith("server error")
                                 or k.startswith("socket")),
            "latency_p50_ms": round(statistics.median(latencies) * 1000, 1),
            "latency_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1)}


def in_process(url: str, pairs: list[tuple[str, str]], n: int = 300, rounds: int = 3) -> dict:
    """CPU and SQL per checkout in this process (Flask test client, no HTTP, no server).

    The load-robust figure: process CPU time per POST /checkout (best of a few rounds), and what
    one checkout says to the database: statements, transactions and pool checkouts (each
    checkout pings the connection first: pool_pre_ping).
    """
    from marketplace.extensions import db

    app = make_app(url)
    client = app.test_client(use_cookies=False)
    seen = Counter()
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", lambda *a, **k: seen.update(["sql"]))
    sa.event.listen(engine, "begin", lambda *a: seen.update(["transactions"]))
    sa.event.listen(engine.pool, "checkout", lambda *a: seen.update(["pool_checkouts"]))
    statements: list[str] = []

    def post(i: int) -> None:
        cookie, body = pairs[i % len(pairs)]
        r = client.post("/checkout", data=with_key(body), headers={
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        if r.status_code != 303 or "/checkout/" not in r.headers.get("Location", ""):
            raise SystemExit(f"in-process checkout failed: {r.status_code}")

    for i in range(50):  # warm up: compiled statement caches, prepared statements
        post(i)
    def keep(conn, cursor, statement, *args) -> None:
        statements.append(" ".join(statement.split()[:3]))

    sa.event.listen(engine, "before_cursor_execute", keep)
    post(50)
    sa.event.remove(engine, "before_cursor_execute", keep)
    best, k = float("inf"), 51
    for _ in range(rounds):
        seen.clear()
        t0 = time.process_time()
        for _ in range(n):
            post(k)
            k += 1
        best = min(best, (time.process_time() - t0) * 1000 / n)
    engine.dispose()
    return {"checkouts": n, "rounds": rounds, "cpu_ms_per_checkout": round(best, 2),
            "sql_per_checkout": round(seen["sql"] / n, 2),
            "transactions_per_checkout": round(seen["transactions"] / n, 2),
            "pool_checkouts_per_checkout": round(seen["pool_checkouts"] / n, 2),
            "statements": statements[:20]}


# --- the run ----------------------------------------------------------------------------------


def run(backend: str, seconds: float, attempts: int, stock: int, clients: int,
        workers: int) -> dict:
    url = bench_database(backend, "orders")
    ids = prepare(url, stock)
    plenty_pairs = checkout_requests(url, ids["plenty"])
    random.Random(5).shuffle(plenty_pairs)
    pairs_file = OUT / "checkout_pairs.tsv"
    pairs_file.write_text("".join(f"{c}\t{b}\n" for c, b in plenty_pairs))
    scarce_pairs = checkout_requests(url, [ids["scarce"]] * 50)  # 50 shoppers' sessions
    result = {"backend": backend, "workers": workers, "clients": clients, "seconds": seconds,
              "products": len(ids["plenty"])}
    result["in_process"] = in_process(url, plenty_pairs)
    with gunicorn("wsgi:app", app_env(url), workers=workers) as base:
        warm = wrk_checkout(base, pairs_file, 2, clients)
        if not warm["tallies"].get("placed"):
            raise SystemExit(f"warm-up placed no order: {warm}")
        before, cpu0 = counts(url), cpu_snapshot([base])
        t0 = time.perf_counter()
        load = wrk_checkout(base, pairs_file, seconds, clients)
        elapsed = time.perf_counter() - t0
        after, cpu = counts(url), cpu_used(cpu0, cpu_snapshot([base]), elapsed)
        result["load_average_during"] = load_average()
        placed = after["orders"] - before["orders"]
        result["throughput"] = {
            **load, "wall_seconds": round(elapsed, 2), "orders_placed": placed,
            "orders_per_second": round(placed / elapsed, 1), "cpu": cpu,
            "app_cpu_ms_per_order": round(cpu["app_cpu_s"] * 1000 / max(placed, 1), 2),
            "postgres_cpu_ms_per_order": round(cpu["postgres_cpu_s"] * 1000 / max(placed, 1), 2),
            "server_errors": load["tallies"].get("5xx", 0) + load["socket_errors"],
        }
        result["contention"] = threads_checkout(base, scarce_pairs, attempts, clients)
    result["contention"]["database"] = counts(url, ids["scarce"][0])
    result["contention"]["stock_before"] = stock
    db = result["contention"]["database"]
    result["verdicts"] = {
        f">= {GOAL_OPS} orders/s": result["throughput"]["orders_per_second"] >= GOAL_OPS,
        "0 server errors under load": result["throughput"]["server_errors"] == 0,
        f"exactly {stock} sold": db["scarce_sold"] == stock and db["scarce_stock"] == 0,
        "0 negative stock": db["negative_stock_products"] == 0,
        "every order complete": db["incomplete_orders"] == 0,
        "0 server errors in the race": result["contention"]["server_errors"] == 0,
        "placed answers = orders in DB": result["contention"]["outcomes"].get("placed", 0)
        == db["scarce_orders"],
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--attempts", type=int, default=1000)
    parser.add_argument("--stock", type=int, default=100)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--backend", default="postgresql", choices=["postgresql", "sqlite"])
    args = parser.parse_args()
    r = run(args.backend, args.seconds, args.attempts, args.stock, args.clients, args.workers)
    save(f"orders_{args.backend}", r)
    t, c = r["throughput"], r["contention"]
    print(f"\nMachine: {machine()}")
    print(table(
        ["backend", "workers", "clients", "orders/s", "req/s", "p50", "p99", "5xx", "responses"],
        [[r["backend"], r["workers"], r["clients"], t["orders_per_second"], f"{t['rps']:.0f}",
          t["p50"], t["p99"], t["server_errors"],
          ", ".join(f"{k} {v}" for k, v in sorted(t["tallies"].items()))]]))
    print(f"CPU during the run: {t['cpu']}; per order: app {t['app_cpu_ms_per_order']} ms, "
          f"PostgreSQL {t['postgres_cpu_ms_per_order']} ms")
    ip = r["in_process"]
    print(f"In process (test client, best of {ip['rounds']} × {ip['checkouts']}): "
          f"{ip['cpu_ms_per_checkout']} ms CPU per checkout; {ip['sql_per_checkout']} SQL "
          f"statements in {ip['transactions_per_checkout']} transaction(s), "
          f"{ip['pool_checkouts_per_checkout']} pool checkout(s): "
          + "; ".join(ip["statements"]))
    print()
    d = c["database"]
    print(table(
        ["attempts", "stock", "sold", "stock after", "negative", "incomplete", "5xx", "answers",
         "seconds"],
        [[c["attempts"], c["stock_before"], d["scarce_sold"], d["scarce_stock"],
          d["negative_stock_products"], d["incomplete_orders"], c["server_errors"],
          ", ".join(f"{k}: {v}" for k, v in sorted(c["outcomes"].items())), c["seconds"]]]))
    print("\n" + ", ".join(f"{k}: {'yes' if ok else 'NO'}" for k, ok in r["verdicts"].items()))


if __name__ == "__main__":
    main()
