"""Command-line tools: flask create-user, flask seed-demo (marketplace/demo), and each domain's
commands."""

from __future__ import annotations

import importlib

import click
from flask import Flask
from flask.cli import with_appcontext

from marketplace import demo
from marketplace.accounts import services as accounts
from marketplace.errors import ValidationError

# Domains with their own command groups (a register_cli(app) in <domain>/cli.py).
CLI_DOMAINS = ("provenance", "orders", "imports", "api", "jobs")


@click.command("create-user")
@click.option("--role", type=click.Choice(["shopper", "seller", "organizer"]), required=True)
@click.option("--email", default=None)
@click.option("--phone", default=None)
@click.option("--name", default=None, help="Full name (defaults to the email or phone).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def create_user(role, email, phone, name, password):
    """Create an account (organizers are made this way)."""
    try:
        user = accounts.register_user(
            name=name or email or phone or "", email=email, phone=phone, password=password,
            role=role,
        )
    except ValidationError as exc:
        raise click.ClickException(exc.reason) from None
    click.echo(f"Created {user.role} #{user.id}: {user.email or user.phone}")


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Load the demo fair's people, stalls, products, orders and campaign (idempotent)."""
    ctx = demo.seed()
    click.echo(f"Demo logins (password for all: {ctx.get('password', '?')}):")
    for role, login, label in ctx["logins"]:
        click.echo(f"  {role:<10} {login:<28} {label}")


def register(app: Flask) -> None:
    app.cli.add_command(create_user)
    app.cli.add_command(seed_demo)
    for name in CLI_DOMAINS:
        module = importlib.import_module(f"marketplace.{name}.cli")
        module.register_cli(app)
