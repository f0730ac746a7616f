"""The yardstick: a minimal one-query Flask + SQLAlchemy + Jinja page on the same database.

Run by bench.provenance_page under the same gunicorn settings as the real app. It does what a
bare product page must do and nothing more: one SELECT, one compiled Jinja template, no
session, no extensions. (render_template_string would recompile the template on every request
and flatter the comparison, so the template is loaded once from a DictLoader and cached.)
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask, abort, render_template
from jinja2 import DictLoader

from marketplace.config import engine_options_for

app = Flask(__name__)
url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
engine = sa.create_engine(url, **engine_options_for(url))
QUERY = sa.text("SELECT name, price, unit FROM product WHERE code = :code")
PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{{ p.name }}</title>
</head><body><h1>{{ p.name }}</h1><p>{{ p.price }} ₫ / {{ p.unit }}</p></body></html>"""
app.jinja_loader = DictLoader({"page.html": PAGE})


@app.route("/healthz")
def healthz():
    return "ok"


@app.route("/p/<code>")
def product(code: str):
    with engine.connect() as conn:
        row = conn.execute(QUERY, {"code": code}).first()
    if row is None:
        abort(404)
    return render_template("page.html", p=row)
