"""The booth screen offline: its service worker, the data a phone keeps, the sync of sales."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from marketplace.catalog.owners import owned_stalls
from marketplace.errors import DomainError, ValidationError
from marketplace.extensions import db
from marketplace.orders import offline
from marketplace.orders.access import booth_people, booth_stall
from marketplace.orders.models import StockShortfall
from marketplace.orders.views import bp


@bp.get("/booth-sw.js")
def booth_service_worker():
    """The booth's service worker, served from the root so it may control /seller/ pages."""
    path = Path(current_app.static_folder) / "js" / "sw.js"
    response = current_app.response_class(path.read_bytes(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"  # a new version is seen on the next load
    response.headers["Service-Worker-Allowed"] = "/seller/"
    return response


@bp.get("/seller/pos/data")
@booth_people
def pos_data():
    """The stall's booth data as JSON, kept by the phone to sell without a network."""
    stall, _stalls = booth_stall()
    if stall is None:
        abort(404)
    data = offline.booth_data(stall)
    data["csrf_token"] = generate_csrf()
    data["user"] = current_user.id
    return jsonify(data)


@bp.post("/seller/pos/sync")
@booth_people
def pos_sync():
    """Record one sale a phone made offline, once by its id (JSON; CSRF token in a header)."""
    stall, _stalls = booth_stall()
    if stall is None:
        abort(404)
    sale = request.get_json(silent=True)
    try:
        synced = offline.sync_sale(stall, sale, user_id=current_user.id)
    except ValidationError as exc:
        return jsonify(rejected=True, error=exc.message, field=exc.field), 422
    except DomainError as exc:
        return jsonify(rejected=True, error=exc.message), exc.status_code
    return jsonify(synced.as_json()), 200


@bp.post("/seller/shortfalls/<int:shortfall_id>/clear")
@booth_people
def clear_shortfall(shortfall_id: int):
    """The owner counted the shelf again after an offline sale ran short."""
    shortfall = db.get_or_404(StockShortfall, shortfall_id)
    if shortfall.order.stall.owner_id != current_user.id:
        abort(404)
    offline.clear_shortfall(shortfall, current_user.id)
    flash(_("Đã đánh dấu đã kiểm lại kho."), "success")
    return redirect(url_for("orders.pos", stall=shortfall.stall_id), code=303)


@bp.app_template_global("owner_shortfalls")
def owner_shortfalls() -> list[StockShortfall]:
    """Offline sales that ran short of stock at any of the signed-in owner's stalls."""
    return offline.open_shortfalls([s.id for s in owned_stalls(current_user.id)])


@bp.app_template_global("booth_shortfalls")
def booth_shortfalls(stall) -> list[StockShortfall]:
    """Offline sales that ran short of stock at this stall, not yet counted again."""
    return offline.open_shortfalls([stall.id])
