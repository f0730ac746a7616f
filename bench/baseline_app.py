"""The yardstick: a minimal one-query Flask + SQLAlchemy + Jinja page on the same database."""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask, abort, render_template_string

from marketplace.config import engine_options_for

app = Flask(__name__)
url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
engine = sa.create_engine(url, **engine_options_for(url))
QUERY = sa.text("SELECT name, price, unit FROM product WHERE code = :code")
PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{{ p.name }}</title>
</head><body><h1>{{ p.name }}</h1><p>{{ p.price }} ₫ / {{ p.unit }}</p></body></html>"""


@app.route("/healthz")
def healthz():
    return "ok"


@app.route("/p/<code>")
def product(code: str):
    with engine.connect() as conn:
        row = conn.execute(QUERY, {"code": code}).first()
    if row is None:
        abort(404)
    return render_template_string(PAGE, p=row)
