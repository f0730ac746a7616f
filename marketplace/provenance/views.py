"""Provenance views."""

from flask import Blueprint

bp = Blueprint("provenance", __name__)
