"""One-time form keys in tests: a fresh one, or the ones a rendered page carries."""

from __future__ import annotations

import re
import uuid

_KEY = re.compile(r'name="once_key"[^>]*?value="([^"]+)"')


def new_key() -> str:
    """A fresh one-time key, as a freshly rendered form carries."""
    return uuid.uuid4().hex


def page_keys(html: str) -> list[str]:
    """The one-time keys of the forms on a page, in page order."""
    return _KEY.findall(html)
