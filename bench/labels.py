"""QR labels: a 1,000-label A4 PDF sheet (goal < 3 s) and one product's QR PNG (goal < 20 ms).

Usage: .venv/bin/python -m bench.labels [--runs 5] [--labels 1000]

Builds a stall of 40 products with batches on SQLite (db.create_all), then times, each as the
median of --runs runs with the QR cache emptied before each run:
- provenance.labels.build_sheet() for 1,000 labels: "few products" (10 products × 100 copies,
  how a seller prints) and "all distinct" (40 products × 5 batches × 5 copies: 200 different QR
  codes, the worst case the form allows for one stall);
- marketplace.qr.qr_png() for a new URL (uncached) and a repeated one (its lru_cache);
- GET /p/<code>/qr.png in-process (test client) and over HTTP from gunicorn (1 worker, one
  request at a time), each with a new ?lot= so every request draws a new QR.
The first page of the PDF is rasterised (pypdfium2) and its QR codes decoded (zxing-cpp) to
check the sheet is readable, not just fast.
"""

from __future__ import annotations

import argparse
import statistics
import time
import urllib.request
from decimal import Decimal

from bench.common import (
    app_env,
    bench_database,
    create_schema,
    gunicorn,
    load_average,
    machine,
    make_app,
    save,
    table,
)

SHEET_GOAL_S, PNG_GOAL_MS = 3.0, 20.0
NAMES = [
    "Vải thiều Lục Ngạn tươi loại 1 (VietGAP)", "Gạo thơm Yên Dũng túi 5 kg",
    "Bánh đa vừng Cảnh Thụy (10 chiếc)", "Tương nếp Phố Hiến chai 500 ml",
    "Tinh bột nghệ nếp đỏ Hưng Yên hũ 200 g", "Mì gạo Chũ sợi nhỏ gói 500 g",
    "Mật ong hoa vải Lục Ngạn chai 1 lít", "Miến dong Bình Liêu túi 1 kg",
]


def prepare(url: str, products: int = 40, batches: int = 5) -> int:
    """Create a stall with products and batches; return the stall id."""
    from marketplace.accounts.models import User
    from marketplace.catalog.codes import new_code
    from marketplace.catalog.models import Product, Stall
    from marketplace.extensions import db
    from marketplace.provenance.models import Batch

    create_schema(url)
    app = make_app(url)
    with app.app_context():
        owner = User(name="Nguyễn Thị Hoa", phone="0912000001", role="seller", password_hash="x")
        stall = Stall(owner=owner, name="HTX Nông sản sạch Tân Mộc — Lục Ngạn",
                      slug="htx-tan-moc", province="Bắc Giang", district="Lục Ngạn")
        db.session.add(stall)
        for i in range(products):
            product = Product(stall=stall, code=new_code(), name=f"{NAMES[i % len(NAMES)]} #{i}",
                              category="trai-cay", unit="hộp", price=45_000 + 5_000 * i,
                              net_weight_kg=Decimal("2.000"), stock=100)
            db.session.add(product)
            db.session.add_all(Batch(product=product, code=f"LV-2024-{i:02d}-{b}")
                               for b in range(batches))
        db.session.commit()
        stall_id = stall.id
        db.engine.dispose()
    return stall_id


def _sheet_lines(stall, batches: dict, how: str, n_labels: int):
    from marketplace.provenance.labels import LabelLine

    products = sorted(stall.products, key=lambda p: p.id)
    if how == "few products":
        chosen = products[:10]
        return [LabelLine(p, None, n_labels // len(chosen)) for p in chosen]
    pairs = [(p, b) for p in products for b in batches.get(p.id, [])]
    copies = max(1, n_labels // len(pairs))
    return [LabelLine(p, b, copies) for p, b in pairs][: n_labels // copies]


def time_sheets(url: str, stall_id: int, n_labels: int, runs: int) -> dict:
    from marketplace.catalog.models import Stall
    from marketplace.extensions import db
    from marketplace.provenance import labels, qr, services

    app = make_app(url)
    out = {}
    with app.app_context(), app.test_request_context():
        stall = db.session.get(Stall, stall_id)
        # Load everything first: this times the PDF, not the ORM.
        batches = services.batches_by_product(stall)
        for how in ("few products", "all distinct"):
            lines = _sheet_lines(stall, batches, how, n_labels)
            count = sum(line.copies for line in lines)
            distinct = len(lines)
            times, pdf = [], b""
            for _ in range(runs):
                qr.qr_png.cache_clear()
                t0 = time.perf_counter()
                pdf = labels.build_sheet(stall, lines)
                times.append(time.perf_counter() - t0)
            out[how] = {"labels": count, "distinct_qr": distinct, "seconds": times,
                        "median_s": round(statistics.median(times), 3),
                        "pdf_bytes": len(pdf), **check_pdf(pdf)}
        db.engine.dispose()
    return out


def check_pdf(pdf: bytes) -> dict:
    """Count the pages and decode the QR codes of page 1 at 200 dpi."""
    try:
        import pypdfium2
        import zxingcpp
    except ImportError:
        return {}
    doc = pypdfium2.PdfDocument(pdf)
    pages = len(doc)
    image = doc[0].render(scale=200 / 72).to_pil()
    found = [r.text for r in zxingcpp.read_barcodes(image)]
    doc.close()
    return {"pages": pages, "page1_qr_decoded": len(found),
            "page1_first_url": found[0] if found else None}


def _median_ms(call, n: int) -> tuple[float, float]:
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        call(i)
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 3), round(max(times), 3)


def time_png(url: str, runs: int) -> dict:
    from marketplace import qr
    from marketplace.catalog.models import Product
    from marketplace.extensions import db

    n = max(runs * 10, 50)
    app = make_app(url)
    out = {}
    with app.app_context():
        code = db.session.scalar(db.select(Product.code).order_by(Product.id).limit(1))
    base = f"http://127.0.0.1/p/{code}?lot=L"
    qr.qr_png(base)
    out["qr_png uncached"] = _median_ms(lambda i: qr.qr_png.__wrapped__(f"{base}{i}"), n)
    out["qr_png cached"] = _median_ms(lambda i: qr.qr_png(base), n)
    client = app.test_client()
    client.get(f"/p/{code}/qr.png")

    def get(i: int) -> None:
        resp = client.get(f"/p/{code}/qr.png?lot=T{i}")
        assert resp.status_code == 200 and resp.mimetype == "image/png", resp.status
    out["GET /p/<code>/qr.png in-process"] = _median_ms(get, n)
    with app.app_context():
        db.engine.dispose()
    with gunicorn("wsgi:app", app_env(url), workers=1) as server:
        urllib.request.urlopen(f"{server}/p/{code}/qr.png").read()

        def http(i: int) -> None:
            with urllib.request.urlopen(f"{server}/p/{code}/qr.png?lot=H{i}") as resp:
                assert resp.status == 200 and resp.headers["Content-Type"] == "image/png"
                resp.read()
        out["GET /p/<code>/qr.png over HTTP (gunicorn)"] = _median_ms(http, n)
    return {k: {"median_ms": v[0], "max_ms": v[1], "runs": n} for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--labels", type=int, default=1000)
    args = parser.parse_args()
    url = bench_database("sqlite", "labels")
    stall_id = prepare(url)
    result = {"sheets": time_sheets(url, stall_id, args.labels, args.runs),
              "png": time_png(url, args.runs), "load_average_during": load_average()}
    result["verdicts"] = {
        f"{args.labels}-label sheet < 3 s": all(
            s["median_s"] < SHEET_GOAL_S for s in result["sheets"].values()),
        "QR PNG < 20 ms": all(p["median_ms"] < PNG_GOAL_MS for p in result["png"].values()),
        "page 1 QR codes decode": all(
            s.get("page1_qr_decoded", 21) == 21 for s in result["sheets"].values()),
    }
    save("labels", result)
    print(f"\nMachine: {machine()}")
    print(table(["sheet", "labels", "distinct QR", "pages", "median s", "PDF", "page 1 decoded"],
                [[k, s["labels"], s["distinct_qr"], s.get("pages", "?"), s["median_s"],
                  f"{s['pdf_bytes'] / 1024:.0f} KB", f"{s.get('page1_qr_decoded', '?')}/21"]
                 for k, s in result["sheets"].items()]))
    print()
    print(table(["QR PNG", "median ms", "max ms", "runs"],
                [[k, p["median_ms"], p["max_ms"], p["runs"]] for k, p in result["png"].items()]))
    print("\n" + ", ".join(f"{k}: {'yes' if ok else 'NO'}" for k, ok in result["verdicts"].items()))


if __name__ == "__main__":
    main()
