"""Vietnamese text helpers: strip diacritics for slugs, search and bank account names."""

from __future__ import annotations

import re
import unicodedata

_D = str.maketrans({"đ": "d", "Đ": "D"})


def strip_accents(text: str) -> str:
    """Remove Vietnamese diacritics: 'Vải thiều Đức' -> 'Vai thieu Duc'."""
    decomposed = unicodedata.normalize("NFD", (text or "").translate(_D))
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def search_key(text: str) -> str:
    """Fold text for matching: no accents, lower case, single spaces."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", strip_accents(text).lower()).split())


def slugify(text: str, max_length: int = 80) -> str:
    """Make a URL slug: 'Tương làng Trí Yên' -> 'tuong-lang-tri-yen'."""
    slug = re.sub(r"[^a-z0-9]+", "-", strip_accents(text).lower()).strip("-")
    return slug[:max_length].rstrip("-")


def account_holder_name(text: str) -> str:
    """Write a bank account holder as banks print it: ASCII upper case without accents."""
    return " ".join(re.sub(r"[^A-Z0-9 ]+", " ", strip_accents(text).upper()).split())
