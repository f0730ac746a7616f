"""What the catalog announces to the domains above it, which it does not know (blinker signals).

A domain above subscribes; the catalog only sends. Keep each signal's contract in its docstring.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

pages_changed = _signals.signal("catalog-pages-changed")
"""Sent (sender: the app) after a commit that changes what public product or stall pages show.

The page cache (provenance/versions.py) subscribes and bumps the shared page version.
"""


def announce_pages_changed() -> None:
    """Tell the subscribers that public product pages are out of date (call after commit)."""
    from flask import current_app

    pages_changed.send(current_app._get_current_object())
