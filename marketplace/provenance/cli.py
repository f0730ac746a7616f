"""Provenance commands: flask scans flush."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from marketplace.provenance.scans import flush_scans, recorder

scans_cli = AppGroup("scans", help="Label scan counting.")


@scans_cli.command("flush")
@with_appcontext
def flush_command():
    """Insert the buffered scans now (this process's memory and the Redis queue)."""
    saved = flush_scans()
    click.echo(f"Saved {saved} scan(s).")
    left = recorder().pending
    if left:
        raise click.ClickException(f"{left} scan(s) could not be saved; see the log.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(scans_cli)
