"""Parsing Shopee, Lazada and TikTok Shop exports generated from the documented headers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from marketplace.imports.parsers import (
    ImportFileError,
    classify_status,
    parse_file,
    parse_local_datetime,
    parse_money,
)
from tests.imports import builders as b


def test_shopee_xlsx_with_nfd_headers_is_detected_and_read():
    data = b.shopee_file([b.shopee_line("230620ABCD12", "VAI-2KG", 3)], nfd_headers=True)
    result = parse_file("Order.all.20230615_20230702.xlsx", data)
    assert result.platform == "shopee"
    [line] = result.lines
    assert (line.order_id, line.seller_sku, line.qty, line.net_amount) == (
        "230620ABCD12", "VAI-2KG", 3, 360000)
    assert line.buyer_province == "Hà Nội"


def test_shopee_lines_of_one_order_get_row_index_keys_and_keep_identical_rows():
    same = b.shopee_line("230620ABCD12", "VAI-2KG", 1)
    data = b.shopee_file([same, dict(same), b.shopee_line("230620ABCD12", "VAI-5KG", 2)])
    keys = [line.line_key for line in parse_file("o.xlsx", data).lines]
    assert keys == ["230620ABCD12#1", "230620ABCD12#2", "230620ABCD12#3"]


def test_shopee_uses_line_total_not_the_order_total_repeated_on_each_line():
    records = [
        b.shopee_line("X1", "A", 1, price=100000, order_total=300000),
        b.shopee_line("X1", "B", 2, price=100000, order_total=300000),
    ]
    lines = parse_file("o.xlsx", b.shopee_file(records)).lines
    assert sum(line.net_amount for line in lines) == 300000


def test_shopee_returned_quantity_is_subtracted():
    data = b.shopee_file([b.shopee_line("X1", "A", 4, returned=1)])
    [line] = parse_file("o.xlsx", data).lines
    assert (line.qty, line.returned_qty, line.net_qty, line.status_class) == (4, 1, 3, "sale")


def test_shopee_cancelled_line_is_classified_cancelled():
    data = b.shopee_file([b.shopee_line("X1", "A", 2, status="Đã hủy")])
    assert parse_file("o.xlsx", data).lines[0].status_class == "cancelled"


def test_shopee_falls_back_to_deal_price_times_quantity():
    headers = [h for h in b.SHOPEE_HEADERS if h != "Tổng số tiền Người mua thanh toán"]
    record = b.shopee_line("X1", "A", 2, price=50000, order_total=777000)
    [line] = parse_file("o.xlsx", b.xlsx(headers, [record])).lines
    assert line.net_amount == 100000


def test_lazada_one_row_per_unit_with_item_id_keys():
    records = [b.lazada_item(str(900 + i), "340001", "VAI-2KG") for i in range(3)]
    records.append(b.lazada_item("904", "340002", "VAI-2KG", status="canceled"))
    result = parse_file("lazada.xlsx", b.lazada_file(records))
    assert result.platform == "lazada"
    assert [line.line_key for line in result.lines] == ["900", "901", "902", "904"]
    assert {line.qty for line in result.lines} == {1}
    assert result.lines[0].net_amount == 110000  # unitPrice + sellerDiscountTotal
    assert result.lines[3].status_class == "cancelled"


def test_lazada_returned_status_counts_the_unit_as_returned():
    records = [b.lazada_item("1", "2", "S", status="In Transit: Returning to seller")]
    [line] = parse_file("l.xlsx", b.lazada_file(records)).lines
    assert (line.status_class, line.returned_qty, line.net_qty) == ("returned", 1, 0)


def test_lazada_only_refund_initiator_is_returned():
    record = b.lazada_item("1", "2", "S", status="delivered")
    record["buyerFailedDeliveryReturnInitiator"] = "only_refund-buyer"
    [line] = parse_file("l.xlsx", b.lazada_file([record])).lines
    assert line.status_class == "returned"


def test_lazada_date_in_dd_mon_yyyy_is_vietnam_time():
    [line] = parse_file("l.xlsx", b.lazada_file([b.lazada_item("1", "2", "S")])).lines
    assert line.created_at == datetime(2023, 6, 20, 3, 15, tzinfo=UTC)


def test_lazada_old_csv_with_semicolons():
    records = [{
        "Order Item Id": "77", "Order Number": "55", "Seller SKU": "VAI-2KG",
        "Created at": "05/06/2023 10:15", "Unit Price": "1.250.000",
        "Seller Discount Total": "0", "Status": "delivered", "Shipping City": "Hà Nội",
    }]
    data = b.csv_text(b.LAZADA_OLD_CSV_HEADERS, records, sep=";")
    result = parse_file("orders.csv", data)
    assert (result.platform, result.variant) == ("lazada", "old-csv")
    line = result.lines[0]
    assert (line.line_key, line.net_amount, line.buyer_province) == ("77", 1250000, "Hà Nội")


def test_tiktok_csv_skips_description_row_and_keeps_18_digit_ids():
    data = b.tiktok_csv([b.tiktok_line("576461234567890123", "VAI-2KG", 2)])
    result = parse_file("tiktok.csv", data)
    assert result.platform == "tiktok"
    [line] = result.lines
    assert line.order_id == "576461234567890123"
    assert line.line_key == "576461234567890123:1729000000000000001"
    assert len(result.skipped) == 1


def test_tiktok_xlsx_numeric_id_cell_is_read_as_text():
    data = b.tiktok_xlsx([b.tiktok_line(424242, "VAI-2KG", 2)])
    data = b.with_big_number(data, 424242, "576461234567890123")
    [line] = parse_file("t.xlsx", data).lines
    assert line.order_id == "576461234567890123"


def test_tiktok_duplicate_sku_lines_get_distinct_keys():
    line = b.tiktok_line("576461234567890123", "VAI-2KG", 1)
    keys = [x.line_key for x in parse_file("t.csv", b.tiktok_csv([line, dict(line)])).lines]
    assert keys == ["576461234567890123:1729000000000000001",
                    "576461234567890123:1729000000000000001#2"]


def test_tiktok_return_quantity_and_statuses():
    records = [
        b.tiktok_line("576461234567890001", "A", 3, returned=1, return_type="Return/Refund"),
        b.tiktok_line("576461234567890002", "A", 1, status="Đã hủy"),
        b.tiktok_line("576461234567890003", "A", 1, status="Chờ thanh toán"),
        b.tiktok_line("576461234567890004", "A", 1, status="Đang giao"),
    ]
    lines = parse_file("t.xlsx", b.tiktok_xlsx(records)).lines
    assert [x.status_class for x in lines] == ["sale", "cancelled", "unpaid", "in_progress"]
    assert lines[0].net_qty == 2


def test_tiktok_time_with_seconds_is_converted_to_utc():
    [line] = parse_file("t.csv", b.tiktok_csv([b.tiktok_line("576461234567890123", "A", 1)])).lines
    assert line.created_at == datetime(2023, 6, 20, 14, 30, 5, tzinfo=UTC)


def test_unknown_status_is_in_progress_and_reported():
    data = b.tiktok_csv([b.tiktok_line("576461234567890123", "A", 1, status="Trạng thái lạ")])
    result = parse_file("t.csv", data)
    assert result.lines[0].status_class == "in_progress"
    assert result.unknown_statuses == {"Trạng thái lạ": 1}


def test_headers_match_case_insensitively_and_ignore_position():
    headers = ["orderitemid", "STATUS", "createtime", "sellersku", "ordernumber", "unitprice"]
    records = [{"orderitemid": "9", "STATUS": "Delivered", "createtime": "2023-06-20 10:00",
                "sellersku": "S", "ordernumber": "1", "unitprice": 50000}]
    [line] = parse_file("l.xlsx", b.xlsx(headers, records)).lines
    assert (line.line_key, line.status_class, line.net_amount) == ("9", "sale", 50000)


@pytest.mark.parametrize(("raw", "expected"), [
    ("1.250.000", 1250000), ("120,000.00", 120000), ("184.00", 184), (99500, 99500),
    (1250.4, 1250), ("-10,000.00", -10000), ("45.000 ₫", 45000), ("", 0), ("1.234,50", 1235),
])
def test_money_formats(raw, expected):
    assert parse_money(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "12a", "1.2.3,4.5"])
def test_bad_money_is_rejected(raw):
    with pytest.raises(ValueError):
        parse_money(raw)


@pytest.mark.parametrize(("raw", "expected"), [
    ("2023-06-20 09:15", datetime(2023, 6, 20, 2, 15, tzinfo=UTC)),
    ("20/06/2023 09:15", datetime(2023, 6, 20, 2, 15, tzinfo=UTC)),
    ("20/06/2023 09:15:30", datetime(2023, 6, 20, 2, 15, 30, tzinfo=UTC)),
    ("05 Jun 2023 10:15", datetime(2023, 6, 5, 3, 15, tzinfo=UTC)),
    (datetime(2023, 6, 20, 9, 15), datetime(2023, 6, 20, 2, 15, tzinfo=UTC)),
    (45097.5, datetime(2023, 6, 20, 5, 0, tzinfo=UTC)),
])
def test_date_formats_are_vietnam_time(raw, expected):
    assert parse_local_datetime(raw) == expected


@pytest.mark.parametrize(("platform", "raw", "expected"), [
    ("shopee", "Đã huỷ", "cancelled"), ("shopee", "Đã hủy", "cancelled"),
    ("shopee", "HOÀN THÀNH", "sale"),
    ("shopee", "Người mua xác nhận đã nhận được hàng", "sale"),
    ("lazada", "Package scrapped", "returned"), ("lazada", "delivered", "sale"),
    ("lazada", "unpaid", "unpaid"), ("tiktok", "Da hoan tat", "sale"),
    ("tiktok", "Delivered", "in_progress"),
])
def test_status_classes(platform, raw, expected):
    assert classify_status(platform, raw)[0] == expected


def test_excel_date_cells_are_read():
    record = b.shopee_line("X1", "A", 1, created=datetime(2023, 6, 20, 9, 15))
    [line] = parse_file("o.xlsx", b.shopee_file([record])).lines
    assert line.created_at == datetime(2023, 6, 20, 2, 15, tzinfo=UTC)


def test_unknown_file_is_rejected():
    with pytest.raises(ImportFileError, match="không nhận ra"):
        parse_file("x.csv", b"name,price\nrice,1000\n")


def test_empty_file_is_rejected():
    with pytest.raises(ImportFileError, match="trống"):
        parse_file("x.csv", b"")


def test_corrupt_xlsx_is_rejected():
    with pytest.raises(ImportFileError, match="hỏng"):
        parse_file("x.xlsx", b"PK\x03\x04 not really a zip")


def test_bad_quantity_names_row_and_column():
    data = b.shopee_file([b.shopee_line("X1", "A", 1), b.shopee_line("X2", "A", "hai")])
    with pytest.raises(ImportFileError, match="dòng 3.*Số lượng"):
        parse_file("o.xlsx", data)


def test_returned_statuses_of_every_platform_are_returns_not_cancellations():
    from marketplace.imports.parsers import classify_status

    for platform, raw in (("shopee", "Trả hàng/Hoàn tiền"), ("shopee", "Trả hàng / Hoàn tiền"),
                          ("tiktok", "Returned"), ("tiktok", "Đã hoàn tiền"),
                          ("lazada", "Returned"), ("shopee", "Return/Refund")):
        assert classify_status(platform, raw) == ("returned", True), (platform, raw)
    assert classify_status("shopee", "Đã hủy") == ("cancelled", True)
