"""flask orders …: maintenance commands for orders (safe to run from cron)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

orders_cli = AppGroup("orders", help="Order maintenance.")


@orders_cli.command("expire")
def expire():
    """Cancel online orders left unpaid past ORDER_UNPAID_TTL_MINUTES and return their stock."""
    from flask import current_app

    from marketplace.orders.services import expire_unpaid_orders

    # Messages go through Flask-Babel, whose locale selector reads the request: give it one.
    with current_app.test_request_context():
        count = expire_unpaid_orders()
    click.echo(f"Expired {count} unpaid order(s).")


def register_cli(app: Flask) -> None:
    app.cli.add_command(orders_cli)
