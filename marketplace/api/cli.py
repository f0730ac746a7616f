"""`flask api-token create --email E [--name N]`: print a new API token once."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from marketplace.accounts.models import User
from marketplace.api import services
from marketplace.errors import ValidationError
from marketplace.extensions import db

api_token = AppGroup("api-token", help="Read API tokens for organizers.")


@api_token.command("create")
@click.option("--email", required=True, help="Email of the organizer who owns the token.")
@click.option("--name", default="Dòng lệnh", show_default=True, help="A name to recognise it.")
def create(email: str, name: str):
    """Create a token for an organizer and print it (only its hash is stored)."""
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.lower()))
    if user is None:
        raise click.ClickException(f"No user with email {email}.")
    try:
        token, raw = services.create_token(user, name)
    except ValidationError as exc:
        raise click.ClickException(exc.reason) from None
    click.echo(f"Token #{token.id} ({token.name}) for {user.email} — shown once, keep it safe:")
    click.echo(raw)


def register_cli(app: Flask) -> None:
    app.cli.add_command(api_token)
