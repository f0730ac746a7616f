"""Build, parse and validate NAPAS VietQR payloads (the only module that knows the format).

VietQR is the EMVCo merchant-presented QR format with NAPAS's merchant account template:

    00 "01"                      payload format indicator
    01 "11" static | "12" dynamic (one payment; banks also issue these without an amount)
    38 { 00 "A000000727"         NAPAS GUID
         01 { 00 bank BIN, 01 account number (or card number) }
         02 "QRIBFTTA" | "QRIBFTTC" }  service: transfer to an account | to a card
    53 "704"                     currency VND
    54 amount                    optional, integer VND (this app always sets it on a dynamic code)
    58 "VN"
    62 { 08 purpose }            the transfer note, ASCII without accents
    63 CRC-16/CCITT-FALSE over everything up to and including "6304", 4 uppercase hex digits

Each field is TLV: a 2-digit tag, a 2-digit decimal length, then the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from marketplace.text import strip_accents

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"
SERVICE_TO_CARD = "QRIBFTTC"
CURRENCY_VND = "704"
COUNTRY_VN = "VN"
STATIC = "11"
DYNAMIC = "12"
NOTE_MAX = 25
AMOUNT_MAX_DIGITS = 13  # EMVCo's amount field holds at most 13 characters


class VietQRError(ValueError):
    """A payload or a field that breaks the VietQR format."""


def crc16_ccitt_false(data: bytes) -> int:
    """Return CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise VietQRError(f"field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def transfer_note(text: str) -> str:
    """Make a transfer note banks accept: ASCII letters, digits and spaces, at most 25 chars."""
    ascii_text = re.sub(r"[^A-Za-z0-9 ]+", " ", strip_accents(text))
    return re.sub(r"\s+", " ", ascii_text).strip()[:NOTE_MAX].strip()


def _check_account(bank_bin: str, account: str) -> None:
    if not re.fullmatch(r"\d{6}", bank_bin or ""):
        raise VietQRError("bank BIN must be 6 digits")
    if not re.fullmatch(r"[0-9A-Za-z]{1,19}", account or ""):
        raise VietQRError("account number must be 1-19 letters or digits")


def build_payload(
    bank_bin: str, account: str, amount: int | None = None, note: str | None = None
) -> str:
    """Return the VietQR text: dynamic when an amount is given, static otherwise."""
    _check_account(bank_bin, account)
    beneficiary = _tlv("00", bank_bin) + _tlv("01", account)
    merchant = _tlv("00", NAPAS_GUID) + _tlv("01", beneficiary) + _tlv("02", SERVICE_TO_ACCOUNT)
    parts = [_tlv("00", "01"), _tlv("01", STATIC if amount is None else DYNAMIC)]
    parts.append(_tlv("38", merchant))
    parts.append(_tlv("53", CURRENCY_VND))
    if amount is not None:
        if int(amount) <= 0 or len(str(int(amount))) > AMOUNT_MAX_DIGITS:
            raise VietQRError("amount must be a positive whole number of VND")
        parts.append(_tlv("54", str(int(amount))))
    parts.append(_tlv("58", COUNTRY_VN))
    if note:
        clean = transfer_note(note)
        if clean:
            parts.append(_tlv("62", _tlv("08", clean)))
    body = "".join(parts) + "6304"
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def _split_tlv(text: str) -> list[tuple[str, str]]:
    """Split a TLV string into (tag, value) pairs, checking every length."""
    fields, i = [], 0
    while i < len(text):
        head = text[i : i + 4]
        if len(head) < 4 or not head.isdigit():
            raise VietQRError(f"bad field header at position {i}")
        tag, length = head[:2], int(head[2:])
        value = text[i + 4 : i + 4 + length]
        if len(value) != length:
            raise VietQRError(f"field {tag} is shorter than its length {length}")
        fields.append((tag, value))
        i += 4 + length
    return fields


@dataclass(frozen=True)
class VietQR:
    """The fields of a parsed VietQR payload."""

    bank_bin: str
    account: str
    amount: int | None
    note: str | None
    dynamic: bool
    service: str = SERVICE_TO_ACCOUNT  # QRIBFTTC: `account` is a card number
    name: str | None = None  # 59, the beneficiary's name, when the bank put it in

    @property
    def to_card(self) -> bool:
        return self.service == SERVICE_TO_CARD


def parse_payload(payload: str) -> VietQR:
    """Parse and validate a VietQR payload (TLV lengths, CRC, NAPAS fields)."""
    if not payload or not payload.isascii():
        raise VietQRError("payload must be non-empty ASCII")
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise VietQRError("payload must end with the CRC field 6304xxxx")
    expected = f"{crc16_ccitt_false(payload[:-4].encode('ascii')):04X}"
    if payload[-4:].upper() != expected:
        raise VietQRError(f"CRC mismatch: payload says {payload[-4:]}, computed {expected}")
    fields = _split_tlv(payload)
    tags = [tag for tag, _ in fields]
    top = dict(fields)
    if len(set(tags)) != len(tags):
        raise VietQRError("a field appears twice")
    if tags[0] != "00" or top["00"] != "01":
        raise VietQRError("payload must start with format indicator 000201")
    if tags[-1] != "63":
        raise VietQRError("the CRC must be the last field")
    if top.get("01") not in (STATIC, DYNAMIC):
        raise VietQRError("point of initiation must be 11 (static) or 12 (dynamic)")
    if top.get("53") != CURRENCY_VND or top.get("58") != COUNTRY_VN:
        raise VietQRError("currency must be 704 and country VN")
    if "38" not in top:
        raise VietQRError("merchant account information (38) is missing")
    merchant = dict(_split_tlv(top["38"]))
    service = merchant.get("02")
    if merchant.get("00") != NAPAS_GUID or service not in (SERVICE_TO_ACCOUNT, SERVICE_TO_CARD):
        raise VietQRError("field 38 is not a NAPAS transfer template (to an account or a card)")
    beneficiary = dict(_split_tlv(merchant.get("01", "")))
    bank_bin, account = beneficiary.get("00", ""), beneficiary.get("01", "")
    _check_account(bank_bin, account)
    amount = None
    if "54" in top:
        if not re.fullmatch(r"\d+", top["54"]) or int(top["54"]) <= 0:
            raise VietQRError("amount must be a positive whole number of VND")
        amount = int(top["54"])
    note = dict(_split_tlv(top["62"])).get("08") if "62" in top else None
    return VietQR(bank_bin=bank_bin, account=account, amount=amount, note=note,
                  dynamic=top["01"] == DYNAMIC, service=service, name=top.get("59"))
