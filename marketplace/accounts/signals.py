"""What accounts asks the domains above it, which it does not know (blinker signals).

A domain above subscribes and answers; accounts only sends. Keep each signal's contract here.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

organizer_reach = _signals.signal("accounts-organizer-reach")
"""Sent (sender: an organizer) to ask which sellers the organizer may help with a password.

Each receiver returns a SELECT of user ids (fairs: the owners of stalls in the organizer's
fairs). Without an answer, no seller is in reach.
"""
