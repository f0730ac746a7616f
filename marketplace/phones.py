"""Vietnamese phone numbers: the one rule for reading them, everywhere in the app.

Mobile numbers have 10 digits and start 03, 05, 07, 08 or 09 (since the 2018 renumbering);
landlines have 11 digits and start 02 (area code + subscriber). Accounts, stalls and shoppers
all give numbers that can take a call, an SMS or a Zalo message, so mobiles are the rule;
`landline_ok` lets a checkout take a shop's fixed line for the delivery call.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

from marketplace.errors import ValidationError

MOBILE_RE = re.compile(r"0[35789]\d{8}")
LANDLINE_RE = re.compile(r"02\d{9}")
_SEPARATORS = re.compile(r"[\s.\-()]")


def normalize_phone(raw: str | None, *, field: str = "phone",
                    landline_ok: bool = False) -> str | None:
    """Read a number written with spaces, dots, dashes or +84 as 0xxxxxxxxx.

    Empty input gives None (the caller decides whether the number is required); a malformed
    number raises ValidationError on `field`.
    """
    text = _SEPARATORS.sub("", raw or "")
    if not text:
        return None
    if text.startswith("+84"):
        text = "0" + text[3:]
    elif text.startswith("84") and len(text) in (11, 12):
        text = "0" + text[2:]
    if MOBILE_RE.fullmatch(text) or (landline_ok and LANDLINE_RE.fullmatch(text)):
        return text
    raise ValidationError(field, _("Số điện thoại không hợp lệ (ví dụ: 0912 345 678)."))
