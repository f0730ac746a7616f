"""The VietQR payload against NAPAS's published vectors, the CRC and a real QR decoder."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from marketplace import vietqr
from marketplace.qr import qr_png

STATIC = ("00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA"
          "53037045802VN6304AE9F")
DYNAMIC = ("00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA"
           "53037045405100005802VN62150811Chuyen tien630453E6")


def test_crc_matches_the_ccitt_false_check_value():
    assert vietqr.crc16_ccitt_false(b"123456789") == 0x29B1


def test_static_payload_matches_published_vector():
    assert vietqr.build_payload("970416", "257678859") == STATIC


def test_dynamic_payload_matches_published_vector():
    assert vietqr.build_payload("970416", "257678859", 10000, "Chuyển tiền") == DYNAMIC


def test_parse_reads_the_dynamic_vector():
    parsed = vietqr.parse_payload(DYNAMIC)
    assert (parsed.bank_bin, parsed.account, parsed.amount, parsed.note, parsed.dynamic) == (
        "970416", "257678859", 10000, "Chuyen tien", True)


def test_parse_reads_the_static_vector():
    parsed = vietqr.parse_payload(STATIC)
    assert parsed.amount is None and parsed.note is None and not parsed.dynamic


def test_parse_rejects_a_wrong_crc():
    with pytest.raises(vietqr.VietQRError, match="CRC"):
        vietqr.parse_payload(STATIC[:-4] + "0000")


def test_parse_rejects_a_field_length_that_overruns():
    body = "000201010212" + "3899" + "0010A000000727" + "6304"
    payload = body + f"{vietqr.crc16_ccitt_false(body.encode()):04X}"
    with pytest.raises(vietqr.VietQRError, match="shorter than its length"):
        vietqr.parse_payload(payload)


def test_parse_rejects_a_non_napas_merchant_field():
    body = DYNAMIC[:-4].replace("A000000727", "A000000999")
    payload = body + f"{vietqr.crc16_ccitt_false(body.encode()):04X}"
    with pytest.raises(vietqr.VietQRError, match="NAPAS"):
        vietqr.parse_payload(payload)


def test_transfer_note_strips_vietnamese_diacritics_and_caps_length():
    note = vietqr.transfer_note("Đặt hàng ĐƠN K7P2QX9 của bà Nguyễn Thị Ánh")
    assert note == "Dat hang DON K7P2QX9 cua"
    assert note.isascii() and len(note) <= 25


def test_build_rejects_a_bin_that_is_not_six_digits():
    with pytest.raises(vietqr.VietQRError):
        vietqr.build_payload("9704", "257678859", 10000)


def test_png_decodes_back_to_the_payload():
    payload = vietqr.build_payload("970416", "257678859", 135000, "K7P2QX9")
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(payload))))
    assert [r.text for r in results] == [payload]
    assert vietqr.parse_payload(results[0].text).amount == 135000


# Published examples: NAPAS's VietQR specification (v1.5.2) for transfers to a card, static
# and dynamic; a bank's (MB) dynamic code with no amount, as its sandbox API returns it.
CARD_STATIC = ("00020101021138600010A00000072701300006970403011697040311012345670208QRIBFTTC"
               "53037045802VN63044F52")
CARD_DYNAMIC = ("00020101021238600010A00000072701300006970403011697040311012345670208QRIBFTTC"
                "530370454061800005802VN62340107NPS68690819thanh toan don hang6304A203")
DYNAMIC_NO_AMOUNT = ("00020101021238540010A000000727012400069704220110NEO00030440208QRIBFTTA"
                     "53037045802VN5911ACC SBX 00162200816NEO17000152380576304FA4E")


def test_parse_reads_napas_static_card_vector():
    parsed = vietqr.parse_payload(CARD_STATIC)
    assert (parsed.bank_bin, parsed.account, parsed.to_card, parsed.dynamic) == (
        "970403", "9704031101234567", True, False)


def test_parse_reads_napas_dynamic_card_vector():
    parsed = vietqr.parse_payload(CARD_DYNAMIC)
    assert (parsed.account, parsed.amount, parsed.dynamic, parsed.to_card) == (
        "9704031101234567", 180000, True, True)
    assert parsed.note == "thanh toan don hang"


def test_parse_reads_a_dynamic_code_without_an_amount():
    parsed = vietqr.parse_payload(DYNAMIC_NO_AMOUNT)
    assert (parsed.bank_bin, parsed.account, parsed.amount, parsed.dynamic, parsed.to_card) == (
        "970422", "NEO0003044", None, True, False)
    assert parsed.note == "NEO1700015238057"


def test_parse_still_rejects_an_unknown_service():
    body = CARD_STATIC[:-4].replace("QRIBFTTC", "QRCASHXX")
    payload = body + f"{vietqr.crc16_ccitt_false(body.encode()):04X}"
    with pytest.raises(vietqr.VietQRError, match="NAPAS transfer template"):
        vietqr.parse_payload(payload)
