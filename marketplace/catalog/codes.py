"""Short public codes printed under QR labels: Crockford base32, no I/L/O/U."""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 7
_CODE_RE = re.compile(rf"^[{ALPHABET}]{{6,8}}$")


def new_code(length: int = CODE_LENGTH) -> str:
    """Return a random code (7 characters: about 34 billion possibilities)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalize_code(typed: str) -> str | None:
    """Read a code typed by hand: any case, spaces/dashes ignored, I/L read as 1 and O as 0."""
    text = re.sub(r"[\s\-]", "", typed or "").upper()
    text = text.translate(str.maketrans({"I": "1", "L": "1", "O": "0"}))
    return text if _CODE_RE.match(text) else None
