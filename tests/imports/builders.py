"""Build marketplace export files in memory from the documented header lists."""

from __future__ import annotations

import io
import unicodedata

import openpyxl

SHOPEE_HEADERS = [
    "Mã đơn hàng", "Mã Kiện Hàng", "Ngày đặt hàng", "Trạng Thái Đơn Hàng", "Sản Phẩm Bán Chạy",
    "Lý do hủy", "Nhận xét từ Người mua", "Mã vận đơn", "Đơn Vị Vận Chuyển",
    "Phương thức giao hàng", "Loại đơn hàng", "Ngày giao hàng dự kiến", "Ngày gửi hàng",
    "Thời gian giao hàng", "Trạng thái Trả hàng/Hoàn tiền", "SKU sản phẩm", "Tên sản phẩm",
    "Cân nặng sản phẩm", "Tổng cân nặng", "SKU phân loại hàng", "Tên phân loại hàng", "Giá gốc",
    "Người bán trợ giá", "Được Shopee trợ giá", "Tổng số tiền được người bán trợ giá",
    "Giá ưu đãi", "Số lượng", "Số lượng sản phẩm được hoàn trả",
    "Tổng số tiền Người mua thanh toán", "Tổng giá trị đơn hàng (VND)", "Mã giảm giá của Shop",
    "Hoàn Xu", "Mã giảm giá của Shopee", "Chỉ tiêu Combo Khuyến Mãi", "Giảm giá từ combo Shopee",
    "Giảm giá từ Combo của Shop", "Shopee Xu được hoàn",
    "Số tiền được giảm khi thanh toán bằng thẻ Ghi nợ", "Trade-in Discount", "Trade-in Bonus",
    "Phí vận chuyển (dự kiến)", "Trade-in Bonus by Seller", "Phí vận chuyển mà người mua trả",
    "Phí vận chuyển tài trợ bởi Shopee (dự kiến)",
    "Phí vận chuyển trả hàng (đơn Trả hàng/hoàn tiền)", "Tổng số tiền người mua thanh toán",
    "Thời gian hoàn thành đơn hàng", "Thời gian đơn hàng được thanh toán",
    "Phương thức thanh toán", "Phí cố định", "Phí Dịch Vụ", "Phí xử lý giao dịch", "Tiền ký quỹ",
    "Người Mua", "Tên Người nhận", "Số điện thoại", "Tỉnh/Thành phố", "TP / Quận / Huyện",
    "Quận", "Địa chỉ nhận hàng", "Quốc gia", "Ghi chú",
]

LAZADA_HEADERS = (
    "orderItemId, orderType, Guarantee, deliveryType, lazadaId, sellerSku, lazadaSku, wareHouse, "
    "createTime, updateTime, rtsSla, ttsSla, orderNumber, invoiceRequired, invoiceNumber, "
    "deliveredDate, customerName, customerEmail, nationalRegistrationNumber, shippingName, "
    "shippingAddress, shippingAddress2, shippingAddress3, shippingAddress4, shippingAddress5, "
    "shippingPhone, shippingPhone2, shippingCity, shippingPostCode, shippingCountry, "
    "shippingRegion, billingName, billingAddr, billingAddr2, billingAddr3, billingAddr4, "
    "billingAddr5, billingPhone, billingPhone2, billingCity, billingPostCode, billingCountry, "
    "taxCode, branchNumber, taxInvoiceRequested, payMethod, paidPrice, unitPrice, "
    "sellerDiscountTotal, shippingFee, walletCredit, itemName, variation, cdShippingProvider, "
    "shippingProvider, shipmentTypeName, shippingProviderType, cdTrackingCode, trackingCode, "
    "trackingUrl, shippingProviderFM, trackingCodeFM, trackingUrlFM, promisedShippingTime, "
    "premium, status, buyerFailedDeliveryReturnInitiator, buyerFailedDeliveryReason, "
    "buyerFailedDeliveryDetail, buyerFailedDeliveryUserName, bundleId, semiManaged, "
    "flexibleDeliveryTime, bundleDiscount, refundAmount, sellerNote, platformDiscountTotal"
).split(", ")

LAZADA_OLD_CSV_HEADERS = [
    "Order Item Id", "Order Type", "Seller SKU", "Lazada SKU", "Created at", "Updated at",
    "Order Number", "Customer Name", "Shipping City", "Shipping Region", "Paid Price",
    "Unit Price", "Seller Discount Total", "Item Name", "Variation", "Status",
]

TIKTOK_HEADERS = [
    "Order ID", "Order Status", "Order Substatus", "Cancelation/Return Type",
    "Normal or Pre-order", "SKU ID", "Seller SKU", "Product Name", "Variation", "Quantity",
    "Sku Quantity of return", "SKU Unit Original Price", "SKU Subtotal Before Discount",
    "SKU Platform Discount", "SKU Seller Discount", "SKU Subtotal After Discount",
    "Shipping Fee After Discount", "Original Shipping Fee", "Shipping Fee Seller Discount",
    "Shipping Fee Platform Discount", "Payment platform discount", "Taxes", "Order Amount",
    "Order Refund Amount", "Created Time", "Paid Time", "RTS Time", "Shipped Time",
    "Delivered Time", "Cancelled Time", "Cancel By", "Cancel Reason", "Fulfillment Type",
    "Warehouse Name", "Tracking ID", "Delivery Option", "Shipping Provider Name",
    "Buyer Message", "Buyer Username", "Recipient", "Phone #", "Country", "Province",
    "District", "Commune", "Detail Address", "Additional address information",
    "Payment Method", "Weight(kg)", "Product Category", "Package ID", "Seller Note",
    "Checked Status", "Checked Marked by",
]
TIKTOK_DESCRIPTION = "Platform unique order ID."


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def rows_for(headers: list[str], records: list[dict]) -> list[list]:
    """Lay records out under headers (missing columns stay empty)."""
    return [[record.get(h, "") for h in headers] for record in records]


def xlsx(headers: list[str], records: list[dict], *, sheet: str = "Sheet1",
         extra_rows: list[list] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = sheet
    ws.append(headers)
    for row in extra_rows or []:
        ws.append(row)
    for row in rows_for(headers, records):
        ws.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_text(headers: list[str], records: list[dict], *, sep: str = ",", bom: bool = False,
             extra_rows: list[list] | None = None) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerow(headers)
    for row in extra_rows or []:
        writer.writerow(row)
    for row in rows_for(headers, records):
        writer.writerow(row)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def shopee_line(order_id: str, sku: str, qty: int, *, status: str = "Hoàn thành",
                price: int = 120000, returned: int = 0, created: str = "2023-06-20 09:15",
                order_total: int | None = None, name: str = "Vải thiều Lục Ngạn",
                province: str = "Hà Nội") -> dict:
    return {
        "Mã đơn hàng": order_id, "Ngày đặt hàng": created, "Trạng Thái Đơn Hàng": status,
        "SKU sản phẩm": "VAI", "Tên sản phẩm": name, "SKU phân loại hàng": sku,
        "Tên phân loại hàng": "Hộp", "Giá gốc": price, "Giá ưu đãi": price, "Số lượng": qty,
        "Số lượng sản phẩm được hoàn trả": returned,
        "Tổng số tiền Người mua thanh toán": price * qty,
        "Tổng giá trị đơn hàng (VND)": order_total or price * qty,
        "Tổng số tiền người mua thanh toán": order_total or price * qty,
        "Thời gian đơn hàng được thanh toán": created, "Tỉnh/Thành phố": province,
    }


def shopee_file(records: list[dict], *, nfd_headers: bool = False) -> bytes:
    headers = list(SHOPEE_HEADERS)
    if nfd_headers:
        # A real file shipped 9 of its headers in NFD; do the same to the ones we read.
        for i, h in enumerate(headers):
            if h in ("Mã đơn hàng", "Trạng Thái Đơn Hàng", "Số lượng", "Ngày đặt hàng",
                     "SKU phân loại hàng", "Tên sản phẩm", "Tỉnh/Thành phố",
                     "Số lượng sản phẩm được hoàn trả", "Tổng số tiền Người mua thanh toán"):
                headers[i] = nfd(h)
        records = [{nfd(k) if nfd(k) in headers else k: v for k, v in r.items()}
                   for r in records]
    return xlsx(headers, records, sheet="orders")


def lazada_item(item_id: str, order_no: str, sku: str, *, status: str = "delivered",
                unit_price: str = "120,000.00", discount: str = "-10,000.00",
                created: str = "20 Jun 2023 10:15", province: str = "Hà Nội",
                name: str = "Vải thiều Lục Ngạn") -> dict:
    return {
        "orderItemId": item_id, "orderNumber": order_no, "sellerSku": sku, "createTime": created,
        "unitPrice": unit_price, "sellerDiscountTotal": discount, "paidPrice": "110,000.00",
        "itemName": name, "variation": "Hộp 2kg", "status": status,
        "shippingAddress3": province, "shippingCity": "Quận Ba Đình", "shippingRegion": "Bắc",
    }


def lazada_file(records: list[dict]) -> bytes:
    return xlsx(LAZADA_HEADERS, records, sheet="sheet1")


def tiktok_line(order_id: str, sku: str, qty: int, *, sku_id: str = "1729000000000000001",
                status: str = "Đã hoàn tất", net: str = "240000", returned: int = 0,
                created: str = "20/06/2023 21:30:05", return_type: str = "",
                province: str = "Hồ Chí Minh") -> dict:
    return {
        "Order ID": order_id, "Order Status": status, "Order Substatus": status,
        "Cancelation/Return Type": return_type, "SKU ID": sku_id, "Seller SKU": sku,
        "Product Name": "Vải thiều Lục Ngạn", "Variation": "Hộp 2kg", "Quantity": qty,
        "Sku Quantity of return": returned, "SKU Unit Original Price": "130000",
        "SKU Subtotal After Discount": net, "Order Amount": "999999",
        "Created Time": created, "Paid Time": created, "Province": province,
    }


def tiktok_description_row() -> list[str]:
    return [TIKTOK_DESCRIPTION] + ["Mô tả cột"] * (len(TIKTOK_HEADERS) - 1)


def tiktok_csv(records: list[dict], *, tab_headers: bool = True, bom: bool = True) -> bytes:
    headers = [h + "\t" for h in TIKTOK_HEADERS] if tab_headers else TIKTOK_HEADERS
    keyed = [{(k + "\t" if tab_headers else k): v for k, v in r.items()} for r in records]
    return csv_text(headers, keyed, bom=bom, extra_rows=[tiktok_description_row()])


def tiktok_xlsx(records: list[dict]) -> bytes:
    return xlsx(TIKTOK_HEADERS, records, sheet="OrderSKUList",
                extra_rows=[tiktok_description_row()])


def with_big_number(data: bytes, placeholder: int, digits: str) -> bytes:
    """Rewrite a numeric cell to hold more digits than a float keeps (as real exports do)."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                content = content.replace(f"<v>{placeholder}</v>".encode(),
                                          f"<v>{digits}</v>".encode())
            target.writestr(item, content)
    return out.getvalue()
