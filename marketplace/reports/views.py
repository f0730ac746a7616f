"""Reports views."""

from flask import Blueprint

bp = Blueprint("reports", __name__)
