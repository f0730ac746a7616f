"""Home page, language switch, health check and stored images."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from marketplace.accounts import services as accounts
from marketplace.auth import safe_next
from marketplace.extensions import db
from marketplace.forms import EmptyForm
from marketplace.storage import StoredImage

bp = Blueprint("main", __name__)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says: answer with the same mark."""
    response = current_app.send_static_file("favicon.ico")
    response.cache_control.max_age = 7 * 24 * 3600
    response.cache_control.public = True
    return response


@bp.route("/")
def index():
    return render_template("main/index.html")


@bp.post("/lang/<code>")
def set_language(code: str):
    form = EmptyForm()
    if form.validate_on_submit() and code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            accounts.set_locale(current_user, code)
    return _back(request.form.get("next"))


@bp.get("/lang/<code>")
def switch_language(code: str):
    """Switch a visitor's language from a plain link (no form, so pages need no session)."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return _back(request.args.get("next"))


def _back(target: str | None):
    """Return to the page the language was switched on (only a page of this site)."""
    return redirect(safe_next(target, url_for("main.index")))


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/img/<int:image_id>.jpg")
def image(image_id: int):
    stored = db.get_or_404(StoredImage, image_id)
    response = current_app.response_class(stored.data, mimetype=stored.content_type)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.set_etag(stored.sha256)
    return response.make_conditional(request)
