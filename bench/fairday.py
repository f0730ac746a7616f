"""A fair day through nginx, with one app instance killed and restarted in the middle.

Usage: .venv/bin/python -m bench.fairday [--seconds 90] [--clients 16] [--instances 2]
           [--workers 2] [--stalls 300] [--products 6] [--boards 4] [--kill-at 0.4]
           [--down 5] [--max-requests 200000] [--no-kill]

The production set of deploy/ on one machine (deploy/stack.py: nginx in front of
--instances gunicorn instances with deploy/gunicorn.conf.py, PostgreSQL, Redis db 12, the job
worker and cron: `flask jobs worker`, `flask jobs cron`), a database built the production way
(`flask db upgrade`, `flask seed-demo`) and enlarged to a fair of --stalls stalls ×
--products products.

Closed-loop clients (no think time: the figure is what the set can take) each repeat one of:
- 70 % QR scan: a new visitor opens /p/<code>, products drawn from a Zipf law over all of the
  fair's products (a few best sellers, a long tail);
- 12 % browsing: /products, a search, the fair page, a stall page, the home page;
- 10 % shopping: scan, add to cart, then (7 in 10) check out through the real form;
- 8 % booth sale by one of the demo sellers: POS page, quantities, confirm, cash sale.
Plus --boards venue screens: the tally board page every 30 s and its data.json every 10 s.

At --kill-at of the run, every process of instance 0 gets SIGKILL; it is started again --down
seconds later. nginx's log says which instance answered each request and which requests it
moved to the other one. At the end: throughput, p50, p99 and errors per kind; every 5xx is
checked to be a request that was in flight on the killed instance; and in SQL, the stock that
moved is exactly what the orders placed during the run hold, and every order is whole.
Only 127.0.0.1; bounded by --seconds and --max-requests.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import threading
import time
from collections import Counter, defaultdict
from decimal import Decimal
from itertools import accumulate
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

from bench.browserless import Client
from bench.common import (
    OUT,
    ROOT,
    _comm,
    _proc_children,
    _proc_cpu,
    app_env,
    bench_database,
    flask,
    load_average,
    machine,
    make_app,
    sa_url,
    save,
    table,
)
from deploy.stack import Stack

REDIS_DB_URL = "redis://127.0.0.1:6379/12"
PASSWORD = "cho40-demo"
CHECKOUT_DONE = re.compile(r"/checkout/([A-Z0-9]+)$")
MIX = [("scan", 70), ("browse", 12), ("shop", 10), ("booth", 8)]


# --- data ------------------------------------------------------------------------------------


def enlarge(url: str, stalls: int, per_stall: int) -> dict:
    """Add stalls with products and booths to the demo's open fair; return what the load needs."""
    from marketplace.accounts.models import User
    from marketplace.catalog.codes import new_code
    from marketplace.catalog.models import Product, Stall
    from marketplace.database import utcnow
    from marketplace.extensions import db
    from marketplace.fairs.models import Fair, FairStall

    app = make_app(url)
    with app.app_context():
        now = utcnow()
        fair = db.session.scalars(sa.select(Fair).where(
            Fair.starts_at <= now, Fair.ends_at >= now, Fair.public_board)).first()
        have = db.session.scalar(sa.select(sa.func.count()).select_from(FairStall).where(
            FairStall.fair_id == fair.id, FairStall.status == "accepted"))
        for s in range(max(stalls - have, 0)):
            owner = User(name=f"Người bán {s}", phone=f"0399{s:06d}", role="seller",
                         password_hash="x")
            stall = Stall(owner=owner, name=f"Gian hàng phiên chợ {s}", slug=f"phien-{s}",
                          province="Bắc Giang", phone="0912345678")
            db.session.add(stall)
            for p in range(per_stall):
                db.session.add(Product(
                    stall=stall, code=new_code(), name=f"Đặc sản {s}-{p}", category="gao",
                    unit="túi", price=30_000 + 5_000 * p, net_weight_kg=Decimal("1.000"),
                    stock=100_000))
            db.session.add(FairStall(fair=fair, stall=stall, status="accepted",
                                     booth_number=f"B{s + 1:03d}", decided_at=now))
        db.session.commit()
        rows = db.session.execute(
            sa.select(Product.code, Product.id, Stall.slug)
            .join(Stall, Stall.id == Product.stall_id)
            .join(FairStall, FairStall.stall_id == Stall.id)
            .where(FairStall.fair_id == fair.id, FairStall.status == "accepted",
                   Product.active, Stall.active, Product.stock > 1000)).all()
        slug = fair.slug
        db.engine.dispose()
    return {"fair": slug, "codes": [r[0] for r in rows],
            "stalls": sorted({r[2] for r in rows})}


def snapshot(url: str) -> dict:
    engine = sa.create_engine(sa_url(url))
    with engine.connect() as conn:
        out = {
            "stock": dict(conn.execute(sa.text("SELECT id, stock FROM product")).all()),
            "last_order": conn.execute(sa.text(
                'SELECT coalesce(max(id), 0) FROM "order"')).scalar_one(),
            "scans": conn.execute(sa.text("SELECT count(*) FROM scan_event")).scalar_one()
            if sa.inspect(conn).has_table("scan_event") else None,
        }
    engine.dispose()
    return out


def ledger_check(url: str, before: dict) -> dict:
    """Stock moved vs order lines of the orders placed during the run; whole orders."""
    engine = sa.create_engine(sa_url(url))
    with engine.connect() as conn:
        stock = dict(conn.execute(sa.text("SELECT id, stock FROM product")).all())
        sold = dict(conn.execute(sa.text(
            "SELECT l.product_id, sum(l.quantity) FROM order_line l JOIN \"order\" o "
            "ON o.id = l.order_id WHERE o.id > :o AND o.status <> 'cancelled' "
            "GROUP BY l.product_id"), {"o": before["last_order"]}).all())
        orders = dict(conn.execute(sa.text(
            "SELECT channel, count(*) FROM \"order\" WHERE id > :o GROUP BY channel"),
            {"o": before["last_order"]}).all())
        incomplete = conn.execute(sa.text(
            "SELECT count(*) FROM \"order\" o WHERE id > :o AND ("
            "NOT EXISTS (SELECT 1 FROM order_line l WHERE l.order_id = o.id) OR "
            "NOT EXISTS (SELECT 1 FROM order_status_event e WHERE e.order_id = o.id) OR "
            "o.total <> (SELECT coalesce(sum(line_total), 0) FROM order_line l "
            "WHERE l.order_id = o.id))"), {"o": before["last_order"]}).scalar_one()
        negative = conn.execute(sa.text(
            "SELECT count(*) FROM product WHERE stock < 0")).scalar_one()
    engine.dispose()
    moved = {pid: before["stock"][pid] - stock[pid] for pid in stock
             if pid in before["stock"] and before["stock"][pid] != stock[pid]}
    mismatched = {pid: (moved.get(pid, 0), int(sold.get(pid, 0)))
                  for pid in set(moved) | set(sold) if moved.get(pid, 0) != int(sold.get(pid, 0))}
    return {"orders_by_channel": orders, "orders": sum(orders.values()),
            "units_sold": int(sum(sold.values())), "units_moved": sum(moved.values()),
            "products_mismatched": len(mismatched), "mismatches": dict(list(
                mismatched.items())[:10]), "incomplete_orders": incomplete,
            "negative_stock": negative}


# --- load ------------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: list[tuple[float, float, str, object]] = []  # start, end, kind, outcome

    def timed(self, kind: str, fn):
        t0 = time.monotonic()
        try:
            resp = fn()
            outcome: object = resp.status
        except OSError as exc:
            resp, outcome = None, type(exc).__name__
        with self.lock:
            self.rows.append((t0, time.monotonic(), kind, outcome))
        return resp


def zipf_cum_weights(n: int, s: float = 1.0) -> list[float]:
    return list(accumulate(1 / (rank ** s) for rank in range(1, n + 1)))


class FairDay:
    def __init__(self, base: str, data: dict, sellers: list[str], seed: int = 7):
        self.base, self.data, self.sellers = base, data, sellers
        codes = list(data["codes"])
        random.Random(seed).shuffle(codes)  # popularity is not the insertion order
        self.codes = codes
        self.cum = zipf_cum_weights(len(codes))
        self.rec = Recorder()
        self.placed = Counter()
        self.stop = threading.Event()
        self.requests = 0

    def product(self, rnd: random.Random) -> str:
        return rnd.choices(self.codes, cum_weights=self.cum)[0]

    def scan(self, c: Client, rnd: random.Random) -> None:
        c.cookies.clear()  # a new visitor
        self.rec.timed("scan", lambda: c.get(f"/p/{self.product(rnd)}"))

    def browse(self, c: Client, rnd: random.Random) -> None:
        path = rnd.choice([
            "/products", f"/products?q={quote('gạo')}", f"/fairs/{self.data['fair']}",
            f"/s/{rnd.choice(self.data['stalls'])}", "/", "/products?page=2"])
        self.rec.timed("browse", lambda: c.get(path))

    def shop(self, c: Client, rnd: random.Random) -> None:
        c.cookies.clear()
        page = self.rec.timed("scan", lambda: c.get(f"/p/{self.product(rnd)}"))
        if page is None or page.status != 200:
            return
        try:
            form = page.form("/cart/add")
        except LookupError:
            return
        added = self.rec.timed("cart", lambda: c.submit(form, {"quantity": str(rnd.randint(1, 3))},
                                                          page=page.url))
        if added is None or added.status != 303:
            return
        if rnd.random() > 0.7:
            self.rec.timed("cart", lambda: c.get("/cart"))
            return
        checkout = self.rec.timed("checkout_page", lambda: c.get("/checkout"))
        if checkout is None or checkout.status != 200:
            return
        n = rnd.randint(0, 99_999_999)
        done = self.rec.timed("checkout", lambda: c.submit(checkout.form("/checkout"), {
            "customer_name": f"Khách {n}", "customer_phone": f"09{n:08d}"}, page="/checkout"))
        if done is not None and done.status == 303 and CHECKOUT_DONE.search(done.location):
            with self.rec.lock:
                self.placed["checkout"] += 1

    def booth(self, c: Client, rnd: random.Random) -> None:
        pos = self.rec.timed("booth_page", lambda: c.get("/seller/pos"))
        if pos is None or pos.status != 200:
            return
        form = pos.form("/seller/pos/confirm")
        qty = [k for k in form.fields if k.startswith("qty_")]
        if not qty:
            return
        picks = {k: "" for k in qty}
        picks[rnd.choice(qty)] = str(rnd.randint(1, 2))
        confirm = self.rec.timed("booth_page", lambda: c.submit(form, picks, page=pos.url))
        if confirm is None or confirm.status != 200:
            return
        sell = confirm.form("/seller/pos/sell")
        method = {"method": "cash"} if "cash" in sell.options.get("method", []) else {}
        done = self.rec.timed("booth_sale", lambda: c.submit(sell, method, page=pos.url))
        if done is not None and done.status == 303:
            with self.rec.lock:
                self.placed["booth"] += 1

    def login(self, c: Client, phone: str) -> None:
        page = c.get("/login")
        resp = c.submit(page.form(field="password"), {"login": phone, "password": PASSWORD},
                        page="/login")
        if resp.status not in (302, 303) or "/login" in resp.location:
            raise RuntimeError(f"seller {phone} could not log in: {resp.status} "
                               f"{resp.location} {resp.text[:300]}")

    def client_loop(self, n: int, max_requests: int) -> None:
        rnd = random.Random(1000 + n)
        kinds, weights = zip(*MIX, strict=True)
        visitor = Client(self.base, timeout=30)
        seller = Client(self.base, timeout=30)
        try:
            self.login(seller, self.sellers[n % len(self.sellers)])
            while not self.stop.is_set() and len(self.rec.rows) < max_requests:
                kind = rnd.choices(kinds, weights)[0]
                if kind == "booth":
                    self.booth(seller, rnd)
                else:
                    getattr(self, kind)(visitor, rnd)
        finally:
            visitor.close()
            seller.close()

    def board_loop(self, n: int) -> None:
        slug = self.data["fair"]
        with Client(self.base, timeout=30) as screen:
            tick = 0
            # Screens are switched on at different moments.
            if self.stop.wait(n * 2.5):
                return
            while not self.stop.is_set():
                if tick % 3 == 0:  # <meta http-equiv="refresh" content="30">
                    self.rec.timed("board", lambda: screen.get(f"/board/fairs/{slug}"))
                else:  # board.js between page loads
                    self.rec.timed("board", lambda: screen.get(f"/board/fairs/{slug}/data.json"))
                tick += 1
                if self.stop.wait(10):
                    return


class CpuMeter:
    """CPU seconds of the app instances, PostgreSQL and nginx, summed over every process seen."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self.machine0 = self._machine()
        self.sampled = False

    @staticmethod
    def _machine() -> tuple[float, float]:
        with open("/proc/stat") as fh:
            ticks = [int(x) for x in fh.readline().split()[1:]]
        return sum(ticks) - ticks[3] - ticks[4], sum(ticks)

    def sample(self) -> None:
        pids = []
        for app in self.stack.apps:
            if app.proc and app.proc.poll() is None:
                pids += [("app", p) for p in (app.proc.pid, *_proc_children(app.proc.pid))]
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                comm = _comm(int(d.name))
                if comm.startswith("postgres"):
                    pids.append(("postgres", int(d.name)))
                elif comm == "nginx":
                    pids.append(("nginx", int(d.name)))
        for key in pids:
            cpu = _proc_cpu(key[1])
            # Processes there at the start count from then; later ones (a restart) from birth.
            self.first.setdefault(key, cpu if not self.sampled else 0.0)
            self.last[key] = max(cpu, self.last.get(key, 0.0))
        self.sampled = True

    def used(self) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for key, cpu in self.last.items():
            out[key[0]] += cpu - self.first.get(key, 0.0)
        busy, total = self._machine()
        hz = os.sysconf("SC_CLK_TCK")
        out["machine_busy"] = (busy - self.machine0[0]) / hz
        out["machine_total"] = (total - self.machine0[1]) / hz
        return {k: round(v, 2) for k, v in out.items()}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def nginx_log(path: Path) -> list[dict]:
    rows = []
    pattern = re.compile(r'^(\S+) (\S+) "([^"]*)" (\d+) \d+ (\S+) "([^"]*)" "([^"]*)" (\S+)')
    for line in path.read_text().splitlines():
        m = pattern.match(line)
        if m:
            rows.append({"t": float(m.group(1)), "request": m.group(3),
                         "status": int(m.group(4)), "time": float(m.group(5)),
                         "upstream": m.group(6), "upstream_status": m.group(7),
                         "cache": m.group(8)})
    return rows


def run(args) -> dict:
    url = bench_database("postgresql", "fairday")
    env = app_env(url, REDIS_URL=REDIS_DB_URL, GUNICORN_LOG_LEVEL="error", JOBS_MODE="rq",
                  JOBS_QUEUE="cho40-bench-fairday")
    import redis

    redis.Redis.from_url(REDIS_DB_URL).flushdb()
    flask(["db", "upgrade"], env)
    seeded = flask(["seed-demo"], env)
    sellers = re.findall(r"seller\s+(0\d{9})", seeded)
    data = enlarge(url, args.stalls, args.products)
    # The demo's stale unpaid orders give their stock back now, not in the middle of the count.
    flask(["orders", "expire"], env)
    before = snapshot(url)
    work = OUT / "fairday"
    work.mkdir(parents=True, exist_ok=True)
    for old in work.glob("*.log"):
        old.unlink()
    result: dict = {"products": len(data["codes"]), "stalls": len(data["stalls"]),
                    "clients": args.clients, "boards": args.boards,
                    "instances": args.instances, "workers_per_instance": args.workers,
                    "seconds": args.seconds, "mix": dict(MIX)}
    with Stack(work, env, instances=args.instances, workers=args.workers) as stack:
        jobs = [subprocess.Popen(
            [args.python, "-m", "flask", "--app", "wsgi", "jobs", which], cwd=ROOT,
            start_new_session=True, env=stack.env,
            stdout=(work / f"{which}.log").open("wb"), stderr=subprocess.STDOUT)
            for which in ("worker", "cron")]
        day = FairDay(stack.base, data, sellers)
        threads = [threading.Thread(target=day.client_loop, args=(n, args.max_requests))
                   for n in range(args.clients)]
        threads += [threading.Thread(target=day.board_loop, args=(n,))
                    for n in range(args.boards)]
        meter = CpuMeter(stack)
        meter.sample()
        t_start = time.monotonic()
        for t in threads:
            t.start()
        kill = {}
        if not args.no_kill:
            day.stop.wait(args.seconds * args.kill_at)
            meter.sample()
            victim = stack.apps[0]
            kill["killed_at_s"] = round(time.monotonic() - t_start, 2)
            kill["wall_killed"] = time.time()
            victim.kill()
            day.stop.wait(args.down)
            t_restart = time.monotonic()
            victim.start()
            kill["restarted_at_s"] = round(time.monotonic() - t_start, 2)
            kill["restart_took_s"] = round(time.monotonic() - t_restart, 2)
            kill["port"] = victim.port
        day.stop.wait(max(0.0, args.seconds - (time.monotonic() - t_start)))
        day.stop.set()
        for t in threads:
            t.join(timeout=60)
        elapsed = time.monotonic() - t_start
        meter.sample()
        result["cpu_seconds"] = meter.used()
        result["load_average_during"] = load_average()
        log = nginx_log(stack.nginx_dir / "access.log")
        for proc in jobs:
            proc.terminate()
            proc.wait(timeout=60)
    flask(["scans", "flush"], env)

    rows = day.rec.rows
    by_kind: dict[str, list] = defaultdict(list)
    for t0, t1, kind, outcome in rows:
        by_kind[kind].append((t1 - t0, outcome))

    def is_error(outcome) -> bool:
        return not isinstance(outcome, int) or outcome >= 500

    per_kind = {}
    for kind, items in sorted(by_kind.items()):
        lat = [x[0] * 1000 for x in items]
        per_kind[kind] = {"requests": len(items), "errors": sum(is_error(o) for _, o in items),
                          "p50_ms": round(percentile(lat, 0.5), 1),
                          "p99_ms": round(percentile(lat, 0.99), 1),
                          "statuses": dict(Counter(str(o) for _, o in items))}
    all_lat = [(t1 - t0) * 1000 for t0, t1, _k, _o in rows]
    errors = [(t0, t1, k, o) for t0, t1, k, o in rows if is_error(o)]
    result["totals"] = {
        "requests": len(rows), "wall_seconds": round(elapsed, 1),
        "requests_per_second": round(len(rows) / elapsed, 1),
        "p50_ms": round(statistics.median(all_lat), 1),
        "p99_ms": round(percentile(all_lat, 0.99), 1),
        "errors": len(errors), "placed_checkouts": day.placed["checkout"],
        "booth_sales": day.placed["booth"]}
    result["per_kind"] = per_kind
    cpu = result["cpu_seconds"]
    result["cpu_ms_per_request"] = {k: round(cpu.get(k, 0) * 1000 / max(len(rows), 1), 2)
                                    for k in ("app", "postgres", "nginx")}
    if kill:
        k0 = t_start + kill["killed_at_s"]
        result["kill"] = {
            **{k: v for k, v in kill.items() if k != "wall_killed"},
            "client_errors": [{"at_s": round(t0 - t_start, 2), "took_ms": round((t1 - t0) * 1000),
                               "kind": k, "outcome": str(o)} for t0, t1, k, o in errors]}
        # nginx's view: which answers were 5xx, which instance had them, which were moved.
        victim = f"127.0.0.1:{kill['port']}"
        bad = [r for r in log if r["status"] >= 500]
        moved = [r for r in log if "," in r["upstream"]]
        wall_kill = kill["wall_killed"]
        result["kill"]["nginx_5xx"] = len(bad)
        result["kill"]["nginx_5xx_not_on_killed_instance"] = sum(
            victim not in r["upstream"] for r in bad)
        # In flight on the victim: sent before the kill (start = end - duration), ended after.
        result["kill"]["nginx_5xx_not_in_flight_at_kill"] = sum(
            not (r["t"] - r["time"] - 0.01 <= wall_kill <= r["t"] + 0.01) for r in bad)
        result["kill"]["nginx_moved_to_other_instance"] = len(moved)
        result["kill"]["moved_by_method"] = dict(Counter(
            r["request"].split(" ")[0] for r in moved))
        result["kill"]["client_errors_outside_kill_window"] = sum(
            not (t0 <= k0 + 0.05) or t1 < k0 - 0.05 for t0, t1, _k, _o in errors)
    result["nginx"] = {"requests_logged": len(log), "cache": dict(Counter(r["cache"]
                                                                          for r in log))}
    result["database"] = ledger_check(url, before)
    order_posts_failed = sum(1 for t0, t1, k, o in errors if k in ("checkout", "booth_sale"))
    placed = day.placed["checkout"] + day.placed["booth"]
    db = result["database"]
    result["verdicts"] = {
        "errors only for requests in flight on the killed instance": (not kill) or (
            result["kill"]["nginx_5xx_not_on_killed_instance"] == 0
            and result["kill"]["nginx_5xx_not_in_flight_at_kill"] == 0
            and result["kill"]["client_errors_outside_kill_window"] == 0),
        "stock moved = units in the orders placed": db["products_mismatched"] == 0,
        "every order whole": db["incomplete_orders"] == 0,
        "no negative stock": db["negative_stock"] == 0,
        "orders in DB = answers placed (+ at most the failed order posts)":
            placed <= db["orders"] <= placed + order_posts_failed,
    }
    return result


def main() -> None:
    import sys

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--boards", type=int, default=4)
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--stalls", type=int, default=300)
    parser.add_argument("--products", type=int, default=6)
    parser.add_argument("--kill-at", type=float, default=0.4)
    parser.add_argument("--down", type=float, default=5)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--no-kill", action="store_true")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    r = run(args)
    save("fairday", r)
    t = r["totals"]
    print(f"\nMachine: {machine()}; load average during: {r['load_average_during']}")
    print(f"{r['stalls']} stalls, {r['products']} products; {r['clients']} clients + "
          f"{r['boards']} boards; {r['instances']} instances × {r['workers_per_instance']} "
          f"workers; {t['wall_seconds']} s\n")
    print(table(["kind", "requests", "errors", "p50 ms", "p99 ms", "answers"],
                [[k, v["requests"], v["errors"], v["p50_ms"], v["p99_ms"],
                  ", ".join(f"{s} {n}" for s, n in sorted(v["statuses"].items()))]
                 for k, v in r["per_kind"].items()]
                + [["all", t["requests"], t["errors"], t["p50_ms"], t["p99_ms"],
                    f"{t['requests_per_second']} req/s; {t['placed_checkouts']} checkouts, "
                    f"{t['booth_sales']} booth sales"]]))
    print(f"CPU seconds: {r['cpu_seconds']}; per request: {r['cpu_ms_per_request']}")
    if "kill" in r:
        k = {key: v for key, v in r["kill"].items() if key != "client_errors"}
        print(f"\nKill: {k}")
        for e in r["kill"]["client_errors"][:20]:
            print(f"  error: {e}")
    print(f"\nnginx: {r['nginx']}")
    print(f"Database: {r['database']}")
    print("\n" + "\n".join(f"{'yes' if ok else 'NO '}  {name}"
                           for name, ok in r["verdicts"].items()))


if __name__ == "__main__":
    main()
