"""Every cell of every export is safe to open: no live formula, no control character."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from marketplace.extensions import db
from marketplace.imports.models import ImportedSaleLine
from marketplace.orders.models import Order
from marketplace.reports.tables import TABLES
from marketplace.sanitize import FORMULA_PREFIXES, csv_cell, export_text
from tests.factories import make_product

# Names stored before input cleaning existed (or written by a bug): every hostile class.
HOSTILE = {
    "formula": '=HYPERLINK("http://evil.example","Bấm")',
    "plus": "+84 912 000 001",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
    "control": "Vải\x01 thiều\x1b Lục\x7f Ngạn",
    "bidi": "Gạo\u202e thơm\u200b",
}
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def hostile_world(world):
    """Give products, stalls, customers and imported lines names of every hostile class."""
    stall_a, stall_b = world.stalls[0], world.stalls[1]
    stall_a.name = HOSTILE["formula"]
    stall_b.name = HOSTILE["control"]
    names = iter(HOSTILE.values())
    for product in world.products.values():
        product.name = next(names)
    for stall in (stall_a, stall_b):
        db.session.add(make_product(stall, name=next(names)))
    for order, name, line_name in zip(world.orders.values(), HOSTILE.values(),
                                      reversed(HOSTILE.values()), strict=False):
        order.customer_name = name
        for line in order.lines:
            line.product_name = line_name
    for line, name in zip(db.session.scalars(db.select(ImportedSaleLine)),
                          reversed(HOSTILE.values()), strict=False):
        line.product_name = name
        line.seller_sku = name
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(Order.id)))
    return world


def _check_csv(body: bytes) -> int:
    text = body.decode("utf-8-sig")
    assert not CONTROL.search(text.replace("\r\n", "")), "a control character reached the CSV"
    cells = 0
    for row in csv.reader(io.StringIO(text, newline="")):
        for cell in row:
            cells += 1
            assert "\n" not in cell and "\r" not in cell and "\t" not in cell
            if cell.lstrip(" ")[:1] in FORMULA_PREFIXES:
                # A number (negative amount) is fine; text must have been quoted.
                assert re.fullmatch(r"-\d+(\.\d+)?", cell), cell
    return cells


def _check_xlsx(body: bytes) -> int:
    workbook = load_workbook(io.BytesIO(body))
    cells = 0
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                cells += 1
                assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    assert cell.data_type in ("s", "inlineStr")
                    assert not CONTROL.search(cell.value), cell.value
    return cells


def _cells(body: bytes, fmt: str) -> list[str]:
    if fmt == "csv":
        return [c for r in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for c in r]
    workbook = load_workbook(io.BytesIO(body))
    return [str(c.value) for ws in workbook.worksheets for r in ws.iter_rows() for c in r]


def _fetch(client, url):
    """The export's bytes, or None for a table this report does not have (404)."""
    with client.get(url) as response:
        body = response.get_data()
    assert response.status_code in (200, 404), (url, response.status_code)
    return body if response.status_code == 200 else None


def _exports(client, prefix: str, fmt: str) -> list[bytes]:
    bodies = [_fetch(client, f"{prefix}/{table}.{fmt}") for table in TABLES]
    assert sum(b is not None for b in bodies) >= 7  # most tables exist for these reports
    return [b for b in bodies if b is not None]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_organizer_exports_are_safe(client, auth, hostile_world, fmt):
    auth.login(hostile_world.organizer)
    found = set()
    for body in _exports(client, f"/organizer/reports/fairs/{hostile_world.fair.slug}", fmt):
        (_check_csv if fmt == "csv" else _check_xlsx)(body)
        text = " ".join(_cells(body, fmt))
        found |= {k for k, v in HOSTILE.items() if export_text(v, quote_formulas=False) in text}
    # The hostile names did reach the exports (cleaned), so the checks above saw them.
    assert {"formula", "control", "bidi", "at"} <= found


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_seller_exports_are_safe(client, auth, hostile_world, fmt):
    auth.login(hostile_world.stalls[0].owner)
    for body in _exports(client, "/seller/summary", fmt):
        (_check_csv if fmt == "csv" else _check_xlsx)(body)


def test_product_csv_export_is_safe_and_round_trips(client, auth, hostile_world):
    stall = hostile_world.stalls[0]
    auth.login(stall.owner)
    body = _fetch(client, f"/stalls/{stall.slug}/manage/products/export.csv")
    _check_csv(body)
    assert "'=HYPERLINK" in body.decode("utf-8-sig")


@pytest.mark.parametrize(("raw", "expected"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\t=1", "'=1"),
    ("\r=1", "'=1"), ("  =1", "'  =1"), ("a\x00b\x1fc", "abc"), ("x\u202ey\u200bz", "xyz"),
    ("Vải thiều", "Vải thiều"), ("", ""),
])
def test_csv_cell_escapes_every_class(raw, expected):
    assert csv_cell(raw) == expected


def test_csv_cell_keeps_numbers():
    assert csv_cell(-20000) == -20000 and csv_cell(None) == ""
