"""Import files are capped before and while parsing: no file can hold a worker for long."""

from __future__ import annotations

import io
import re
import time
import zipfile

import openpyxl
import pytest

from marketplace.imports.parsers import ImportFileError, parse_file, sheets
from marketplace.imports.parsers import lines as parsing
from tests.imports import builders as b

SHEET = "xl/worksheets/sheet1.xml"


def _rewrite_sheet(data: bytes, edit) -> bytes:
    """Return the XLSX with its first sheet's XML passed through edit(xml) -> xml."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED
    ) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == SHEET:
                body = edit(body.decode()).encode()
            dst.writestr(info.filename, body)
    return out.getvalue()


def _dimension(ref: str):
    return lambda xml: re.sub(r'<dimension ref="[^"]*" ?/>', f'<dimension ref="{ref}"/>', xml)


def _shopee() -> bytes:
    return b.shopee_file([b.shopee_line("X1", "A", 2), b.shopee_line("X2", "B", 3)])


def _no_full_load(monkeypatch):
    """Fail if anything loads a workbook other than streaming (read_only=True)."""
    real = openpyxl.load_workbook

    def load(stream, read_only=False, **kw):
        assert read_only, "a whole workbook was loaded into memory"
        return real(stream, read_only=read_only, **kw)

    monkeypatch.setattr(openpyxl, "load_workbook", load)


@pytest.mark.parametrize("ref", ["A1", "A1:A1", "A1:B2", ""])
def test_a_wrong_small_dimension_still_reads_every_column(monkeypatch, ref):
    _no_full_load(monkeypatch)
    data = _rewrite_sheet(_shopee(), _dimension(ref) if ref else
                          lambda xml: re.sub(r'<dimension ref="[^"]*" ?/>', "", xml))
    result = parse_file("o.xlsx", data)
    assert [(x.order_id, x.qty) for x in result.lines] == [("X1", 2), ("X2", 3)]


@pytest.mark.parametrize("ref", ["A1:XFD1048576", "A1:BJ1048576", "A1:ZZ3"])
def test_a_huge_declared_dimension_is_refused_at_once(monkeypatch, ref):
    _no_full_load(monkeypatch)
    data = _rewrite_sheet(_shopee(), _dimension(ref))
    assert len(data) < 44_000
    started = time.perf_counter()
    with pytest.raises(ImportFileError, match="quá lớn"):
        parse_file("o.xlsx", data)
    assert time.perf_counter() - started < 2


def test_rows_far_apart_do_not_fill_the_gap(monkeypatch):
    """A small file whose last row is numbered 1,048,576 (and one cell far right)."""
    _no_full_load(monkeypatch)

    def far_rows(xml: str) -> str:
        far = ('<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')
        return _dimension("A1")(xml).replace("</sheetData>", far + "</sheetData>")

    data = _rewrite_sheet(_shopee(), far_rows)
    started = time.perf_counter()
    with pytest.raises(ImportFileError, match="quá lớn"):
        parse_file("o.xlsx", data)
    assert time.perf_counter() - started < 5


def test_too_many_rows_are_refused_while_reading(monkeypatch):
    _no_full_load(monkeypatch)
    monkeypatch.setattr(sheets, "MAX_ROWS", 50)
    lines = [b.shopee_line(f"X{i}", "A", 1) for i in range(80)]
    data = _rewrite_sheet(b.shopee_file(lines), _dimension("A1"))  # the dimension lies
    with pytest.raises(ImportFileError, match="quá lớn"):
        parse_file("o.xlsx", data)
    monkeypatch.setattr(sheets, "MAX_ROWS", 100)
    assert len(parse_file("o.xlsx", data).lines) == 80


def test_csv_rows_are_capped_too(monkeypatch):
    monkeypatch.setattr(sheets, "MAX_ROWS", 50)
    headers = b.TIKTOK_HEADERS
    body = ",".join(headers) + "\n" + "\n".join(["1,2,3"] * 200)
    with pytest.raises(ImportFileError, match="quá lớn"):
        parse_file("o.csv", body.encode())


def test_a_csv_field_over_the_csv_limit_is_a_clear_error():
    body = "Order ID,Seller SKU\n\"" + "x" * 200_000 + "\",A\n"
    with pytest.raises(ImportFileError, match="CSV"):
        parse_file("o.csv", body.encode())


def test_a_zip_bomb_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(sheets, "MAX_XML_BYTES", 100_000)
    data = _rewrite_sheet(_shopee(), lambda xml: xml.replace(
        "</worksheet>", "<!--" + " " * 200_000 + "--></worksheet>"))
    assert len(data) < 44_000
    with pytest.raises(ImportFileError, match="quá lớn"):
        parse_file("o.xlsx", data)


def test_the_upload_page_answers_a_huge_sheet_with_a_message(client, auth, app):
    from tests.factories import make_seller, make_stall

    seller = make_seller()
    stall = make_stall(owner=seller)
    auth.login(seller)
    data = _rewrite_sheet(_shopee(), _dimension("A1:XFD1048576"))
    response = client.post("/seller/imports", data={"stall": stall.id,
                                                    "files": (io.BytesIO(data), "o.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code in (200, 400)
    assert "quá lớn" in response.get_data(as_text=True)


def test_a_csv_turning_to_another_encoding_late_is_a_clear_error():
    # Read row by row: the bad bytes come long after the part checked up front.
    good = b.tiktok_csv([b.tiktok_line(f"5764612345678{i:05d}", "A", 1) for i in range(200)])
    with pytest.raises(ImportFileError, match="UTF-8"):
        parse_file("o.csv", good + b"576461234567899999,\xe0\xe1\xff\n")


def test_a_parse_reports_its_progress_as_it_reads(monkeypatch):
    """Rows read against rows expected, for a background import's progress page."""
    seen = []
    monkeypatch.setattr(parsing, "PROGRESS_EVERY", 50)
    data = b.tiktok_csv([b.tiktok_line(f"5764612345678{i:05d}", "A", 1) for i in range(200)])
    parse_file("o.csv", data, lambda read, expected: seen.append((read, expected)))
    assert [read for read, _ in seen][:4] == [50, 100, 150, 200]
    assert seen[-1][0] == seen[-1][1]  # done: all rows read


def test_a_season_export_larger_than_other_uploads_is_taken(client, auth, app):
    """A 20 MB sales export passes IMPORT_MAX_MB; the same size anywhere else is 413."""
    from tests.factories import make_seller, make_stall

    app.config.update(MAX_CONTENT_LENGTH=4 * 1024 * 1024, IMPORT_MAX_MB=64)
    seller = make_seller()
    stall = make_stall(owner=seller)
    auth.login(seller)
    line = b.tiktok_line("576461234567800001", "A", 1)
    body = b.tiktok_csv([line])
    header, first = body.rsplit(b"\n", 2)[0], body.rsplit(b"\n", 2)[1]
    big = header + b"\n" + (first + b"\n") * (20 * 1024 * 1024 // (len(first) + 1))
    assert len(big) > 16 * 1024 * 1024

    def post(url: str, fields: dict):
        # Encoded here, in memory: the test client would spool 20 MB to a file it never closes
        # when the app answers 413.
        from werkzeug.datastructures import FileStorage
        from werkzeug.test import encode_multipart

        boundary, body = encode_multipart({
            k: FileStorage(io.BytesIO(v), filename="o.csv") if isinstance(v, bytes) else v
            for k, v in fields.items()})
        return client.post(url, data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")

    response = post("/seller/imports", {"stall": str(stall.id), "files": big})
    assert response.status_code != 413
    assert "quá lớn" not in response.get_data(as_text=True)
    photo = post("/seller/products/new", {"name": "Ảnh to", "photos": big})
    assert photo.status_code == 413
