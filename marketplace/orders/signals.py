"""What orders tell the domains above them (payments, messages), without importing them.

Orders sit below payments and messages: they send these blinker signals and the domains above
subscribe (payments.services, messages.services), so money and messages follow an order's life
while the import arrows keep pointing down.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Inside the order writer's transaction: orders written paid. kwargs: conn, paid (a list of
# (order id, writer.Paid, amount, paid at)). payments writes their ledger rows.
orders_paid = _signals.signal("orders-paid")

# Inside a status change's transaction, before its commit: the money that moves with it.
# kwargs: order (its status already the new one), by_id. payments refunds a cancelled order
# and records the cash of a cash order handed over unpaid.
status_changing = _signals.signal("order-status-changing")

# After a status change is committed. kwargs: order, by_id. payments closes a cancelled
# order's open card sessions; messages tells the shopper an order is ready.
status_changed = _signals.signal("order-status-changed")

# After a shopper's checkout is committed. kwargs: order_ids. messages tells shopper and sellers.
orders_placed = _signals.signal("orders-placed")


def require_receivers(signal) -> None:
    """Refuse to go on when no domain listens (its module was never imported): money would be
    lost silently."""
    if not signal.receivers:
        raise RuntimeError(f"nothing subscribes to the {signal.name!r} signal")
