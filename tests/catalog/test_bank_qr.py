"""A seller fills in the stall's bank account from the VietQR their banking app shows."""

from __future__ import annotations

import io
import re

from PIL import Image, ImageDraw

from marketplace.qr import qr_png
from tests.catalog.conftest import png_bytes
from tests.factories import make_seller, make_stall
from tests.payments.test_vietqr import CARD_STATIC, STATIC

# A bank's own receive-money QR with the holder's name in field 59 (built like MB's app does).
WITH_NAME = ("00020101021138540010A00000072701240006970422011003234567890208QRIBFTTA"
             "53037045802VN5913NGUYEN VAN AN6304")


def _with_crc(body: str) -> str:
    from marketplace.vietqr import crc16_ccitt_false

    return body + f"{crc16_ccitt_false(body.encode()):04X}"


def _screenshot(payload: str) -> bytes:
    """A phone screenshot: a tall white screen, a caption, and the QR in the middle."""
    screen = Image.new("RGB", (720, 1480), "white")
    ImageDraw.Draw(screen).text((40, 80), "Ma QR nhan tien - ACB", fill="black")
    with Image.open(io.BytesIO(qr_png(payload, box_size=8))) as qr:
        screen.paste(qr.convert("RGB"), ((720 - qr.width) // 2, 400))
    out = io.BytesIO()
    screen.save(out, "PNG")
    return out.getvalue()


def _selected_bank(html: str) -> str | None:
    match = re.search(r'<option selected value="(\d+)"|<option value="(\d+)" selected', html)
    return next((g for g in match.groups() if g), None) if match else None


def _read(client, **data):
    form = {"read_qr": "1", "name": "Tương Làng Trì", **data}
    return client.post("/seller/stall", data=form, content_type="multipart/form-data")


def test_a_screenshot_of_the_banks_qr_fills_bank_and_account_without_saving(client, auth, db):
    seller = make_seller()
    stall = make_stall(seller)
    auth.login(seller)
    response = _read(client, bank_qr_image=(io.BytesIO(_screenshot(STATIC)), "qr.png"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _selected_bank(html) == "970416"
    assert 'value="257678859"' in html
    assert "Đã đọc mã QR: ACB, tài khoản 257678859" in html
    db.session.refresh(stall)
    assert stall.bank_account_number is None  # filled in, not saved until "Lưu"


def test_pasted_text_fills_the_holders_name_too(client, auth):
    auth.login(make_stall(make_seller()).owner)
    html = _read(client, bank_qr_text=_with_crc(WITH_NAME)).get_data(as_text=True)
    assert _selected_bank(html) == "970422"
    assert 'value="0323456789"' in html and 'value="NGUYEN VAN AN"' in html


def test_a_card_qr_is_refused_with_a_reason(client, auth):
    auth.login(make_stall(make_seller()).owner)
    response = _read(client, bank_qr_text=CARD_STATIC)
    assert response.status_code == 400
    assert "mã chuyển tiền vào thẻ" in response.get_data(as_text=True)


def test_a_picture_without_a_qr_says_so(client, auth):
    auth.login(make_stall(make_seller()).owner)
    response = _read(client, bank_qr_image=(io.BytesIO(png_bytes(300, 300)), "anh.png"))
    assert response.status_code == 400
    assert "Không thấy mã QR trong ảnh" in response.get_data(as_text=True)


def test_a_qr_that_is_not_a_vietqr_says_so(client, auth):
    auth.login(make_stall(make_seller()).owner)
    response = _read(client, bank_qr_image=(io.BytesIO(_screenshot("https://example.vn")), "x.png"))
    assert response.status_code == 400
    assert "không phải mã VietQR" in response.get_data(as_text=True)


def test_reading_on_another_sellers_stall_is_not_found(client, auth):
    theirs = make_stall(make_seller())
    auth.login(make_stall(make_seller()).owner)
    response = client.post(f"/stalls/{theirs.slug}/manage", data={
        "read_qr": "1", "bank_qr_text": STATIC}, content_type="multipart/form-data")
    assert response.status_code in (403, 404)
