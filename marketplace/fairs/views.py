"""Fairs views."""

from flask import Blueprint

bp = Blueprint("fairs", __name__)
