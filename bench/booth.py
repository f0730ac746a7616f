"""Booth screen speed (issue 11 §5): bytes over the wire, and an offline sale's way home.

    .venv/bin/python -m bench.booth [--products 60] [--runs 5]

Serves the app with gunicorn -w 2 (compression on, as deployed without nginx) on a fresh
SQLite database: a seller, a stall with a bank account and --products products, an open fair.
Debian's Chromium (Playwright, a 390 px phone) signs in and opens /seller/pos:
- first load: bytes received (encoded, as served) for the page's HTML, CSS and JS, then all
  that the first visit fetched (service worker, stall data, manifest, the shell cached for
  offline use);
- later load: the same page opened again: what still comes over the network, and which
  files the service worker answered from the phone's cache;
- offline sale: the network is cut, one sale is made, the network returns; the time from its
  return until the order is in the database (--runs times, the worst one counts).
"""

from __future__ import annotations

import argparse
import statistics
import time
from decimal import Decimal

import sqlalchemy as sa

from bench.common import (
    app_env,
    bench_database,
    create_schema,
    gunicorn,
    load_average,
    machine,
    make_app,
    sa_url,
    save,
    table,
)

PHONE, PASSWORD = "0912000999", "matkhau-123"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def seed(database_url: str, products: int) -> None:
    from marketplace.accounts.models import User
    from marketplace.catalog.codes import new_code
    from marketplace.catalog.models import Product, Stall
    from marketplace.database import utcnow
    from marketplace.extensions import db
    from marketplace.fairs.models import Fair, FairStall

    app = make_app(database_url)
    with app.app_context():
        seller = User(name="Chị Mai", phone=PHONE, role="seller")
        seller.set_password(PASSWORD)
        stall = Stall(owner=seller, name="Gian Vải Lục Ngạn", slug="gian-vai", phone=PHONE,
                      bank_bin="970436", bank_account_number="0011001234567",
                      bank_account_name="NGUYEN THI MAI")
        db.session.add_all([seller, stall])
        for n in range(products):
            db.session.add(Product(stall=stall, code=new_code(), name=f"Vải thiều loại {n + 1}",
                                   category="trai-cay", unit="kg", price=45000 + 1000 * n,
                                   stock=1000, net_weight_kg=Decimal("1")))
        now = utcnow()
        from datetime import timedelta

        fair = Fair(organizer=seller, name="Phiên chợ vải", slug="phien-vai", venue="Lục Ngạn",
                    starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=2),
                    published=True)
        db.session.add_all([fair, FairStall(fair=fair, stall=stall, status="accepted",
                                            booth_number="7", decided_at=now)])
        db.session.commit()
        db.engine.dispose()


class Proxy:
    """A TCP relay between Chromium and gunicorn that counts every byte sent to the browser."""

    def __init__(self, target_port: int):
        import socket
        import threading

        self.target_port, self.received = target_port, 0
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket
        import threading

        while True:
            try:
                client, _addr = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, src, dst, count: bool):
        try:
            while data := src.recv(65536):
                if count:
                    with self.lock:
                        self.received += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(2)
                except OSError:
                    pass

    def take(self) -> int:
        """Bytes received by the browser since the last call."""
        with self.lock:
            n, self.received = self.received, 0
        return n

    def close(self):
        self.server.close()


class Wire:
    """Bytes received per response (Chromium's encodedDataLength), and who answered it."""

    def __init__(self, page):
        self.rows: dict[str, dict] = {}
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.loadingFinished", self._finished)

    def _response(self, event):
        r = event["response"]
        self.rows[event["requestId"]] = {
            "url": r["url"], "type": event.get("type", ""), "status": r["status"],
            "from_sw": bool(r.get("fromServiceWorker")),
            "encoding": {k.lower(): v for k, v in r.get("headers", {}).items()}.get(
                "content-encoding", ""), "bytes": 0}

    def _finished(self, event):
        if event["requestId"] in self.rows:
            self.rows[event["requestId"]]["bytes"] = int(event["encodedDataLength"])

    def reset(self):
        self.rows = {}


def _core(rows) -> list[dict]:
    """The booth page's own HTML, CSS and JS (what a phone needs to show the screen)."""
    return [r for r in rows if r["type"] in ("Document", "Stylesheet", "Script")]


def run(products: int, runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    url = bench_database("sqlite", "booth")
    create_schema(url)
    seed(url, products)
    result: dict = {"machine": machine(), "load": load_average(), "products": products}
    with gunicorn("wsgi:app", app_env(url), workers=2) as direct, sync_playwright() as pw:
        proxy = Proxy(int(direct.rsplit(":", 1)[1]))
        base = f"http://127.0.0.1:{proxy.port}"
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        phone = {"viewport": {"width": 390, "height": 844}, "locale": "vi-VN"}
        login = browser.new_context(**phone)
        page = login.new_page()
        page.goto(f"{base}/login")
        page.fill("input[name=login]", PHONE)
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url("**/me")
        cookies = login.cookies()
        login.close()
        # A phone that never opened the booth: signed in, nothing cached.
        context = browser.new_context(**phone)
        context.add_cookies(cookies)
        page = context.new_page()
        wire = Wire(page)
        proxy.take()
        page.goto(f"{base}/seller/pos")
        page.get_by_text("Máy đã lưu gian hàng").wait_for()
        page.wait_for_timeout(1000)
        rows = list(wire.rows.values())
        core = _core(rows)
        result["first_load"] = {
            "core_bytes": sum(r["bytes"] for r in core),
            "wire_bytes": proxy.take(),
            "files": [(r["url"].replace(base, ""), r["type"], r["encoding"], r["bytes"],
                       r["from_sw"]) for r in rows],
        }
        wire.reset()
        page.goto(f"{base}/seller/pos")
        page.get_by_text("Máy đã lưu gian hàng").wait_for()
        page.wait_for_timeout(1000)
        rows = list(wire.rows.values())
        result["later_load"] = {
            "wire_bytes": proxy.take(),
            "files": [(r["url"].replace(base, ""), r["type"], r["from_sw"]) for r in rows],
        }
        engine = sa.create_engine(sa_url(url))
        product_id = engine.connect().execute(sa.text("select min(id) from product")).scalar()
        delays = []
        for _n in range(runs):
            with engine.connect() as conn:
                before = conn.execute(sa.text('select count(*) from "order"')).scalar()
            context.set_offline(True)
            page.fill(f"#qty_{product_id}", "1")
            page.get_by_role("button", name="Tính tiền").click()
            page.locator("[data-offline-sale]").get_by_role(
                "button", name="Xác nhận đã bán").click()
            page.wait_for_function(
                "() => document.querySelector('[data-pending]').textContent === '1'")
            time.sleep(1)
            back = time.perf_counter()
            context.set_offline(False)
            while True:
                with engine.connect() as conn:
                    if conn.execute(sa.text('select count(*) from "order"')).scalar() > before:
                        break
                if time.perf_counter() - back > 30:
                    raise RuntimeError("the offline sale did not arrive within 30 s")
                time.sleep(0.02)
            delays.append(time.perf_counter() - back)
            page.wait_for_function(
                "() => document.querySelector('[data-pending]').textContent === '0'")
        engine.dispose()
        result["offline_sale_seconds"] = {"runs": [round(d, 3) for d in delays],
                                          "median": round(statistics.median(delays), 3),
                                          "max": round(max(delays), 3)}
        browser.close()
        proxy.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    result = run(args.products, args.runs)
    save("booth", result)
    first, later, sale = result["first_load"], result["later_load"], result[
        "offline_sale_seconds"]
    print(table(["what", "value", "goal"], [
        ["first load: the page's HTML+CSS+JS (bytes as served)", first["core_bytes"],
         "≤ 102400"],
        ["first load: all bytes to the browser (+ worker, data, shell cached)",
         first["wire_bytes"], ""],
        ["later load: all bytes to the browser", later["wire_bytes"], ""],
        ["offline sale at the server after the network returns (s, max)", sale["max"], "≤ 10"],
        ["... median (s)", sale["median"], ""],
    ]))
    print(table(["first load file", "type", "encoding", "bytes", "from SW"],
                [list(f) for f in first["files"]]))
    print(table(["later load file", "type", "from SW"], [list(f) for f in later["files"]]))


if __name__ == "__main__":
    main()
