"""Read API under /api/v1 (bearer tokens), and the organizer's token pages."""

from __future__ import annotations

import hashlib
import math
from functools import wraps

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from marketplace.api import services
from marketplace.api.forms import TokenForm
from marketplace.api.models import ApiToken
from marketplace.api.openapi import openapi_document
from marketplace.auth import get_owned_or_404, role_required
from marketplace.catalog.categories import CATEGORY_KEYS
from marketplace.catalog.codes import normalize_code
from marketplace.catalog.models import Product
from marketplace.errors import ValidationError, populate_errors
from marketplace.extensions import csrf, db, limiter
from marketplace.fairs.access import own_campaign, own_fair
from marketplace.forms import EmptyForm

bp = Blueprint("api", __name__)

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20


# ---------------------------------------------------------------- plumbing


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _token():
    """The live token of this request, looked up once (None when missing or invalid)."""
    if "api_token_checked" not in g:
        g.api_token_checked = True
        g.api_token = services.authenticate(_bearer())
    return g.api_token


def _rate_key() -> str:
    """Count requests per valid token; missing and invalid tokens share one bucket per address.

    A bucket per presented token would let anyone guess tokens without limit by sending a new
    one each time.
    """
    token = _token()
    if token is not None:
        return "api-token:" + hashlib.sha256(token.token_hash.encode()).hexdigest()[:32]
    return "api-anon:" + (get_remote_address() or "")


def _rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", "120 per minute")


def api_error(status: int, message: str, **headers):
    response = jsonify(error={"code": status, "message": message})
    response.status_code = status
    response.headers.update(headers)
    return response


class BadParam(Exception):
    """A query parameter is malformed (answered 400)."""


def api_view(view):
    """Authenticate the bearer token, exempt from CSRF, rate-limited per token."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        token = _token()
        if token is None:
            return api_error(
                401, _("Thiếu khoá API hoặc khoá không hợp lệ / đã bị thu hồi."),
                **{"WWW-Authenticate": 'Bearer realm="cho40", error="invalid_token"'},
            )
        g.api_user = token.user
        try:
            return view(*args, **kwargs)
        except BadParam as exc:
            return api_error(400, str(exc))

    limited = limiter.shared_limit(_rate_limit, scope="api-v1", key_func=_rate_key)(wrapped)
    return csrf.exempt(limited)


def _int_param(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise BadParam(_("Tham số %(name)s phải là số nguyên từ %(low)s đến %(high)s.",
                         name=name, low=low, high=high))
    return int(raw)


def paginate(stmt: sa.Select, serialize, endpoint: str, **filters):
    """Return one page of stmt as {items, page, per_page, total, pages, next, prev}."""
    page = _int_param("page", 1, 1, 10**6)
    per_page = _int_param("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None)
                                                                     .subquery()))
    rows = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    pages = max(math.ceil(total / per_page), 1)
    args = {k: v for k, v in filters.items() if v}

    def link(n: int) -> str:
        return url_for(endpoint, page=n, per_page=per_page, _external=True, **args)

    return jsonify(
        items=serialize(rows), page=page, per_page=per_page, total=total, pages=pages,
        next=link(page + 1) if page < pages else None,
        prev=link(page - 1) if page > 1 else None,
    )


def _not_found(what: str):
    return api_error(404, _("Không tìm thấy %(what)s.", what=what))


# ---------------------------------------------------------------- API endpoints


@bp.route("/api/v1/openapi.json")
@csrf.exempt
def openapi():
    return jsonify(openapi_document())


@bp.route("/api/v1/fairs")
@api_view
def fairs():
    return paginate(services.organizer_fairs(g.api_user),
                    lambda rows: [_with_links(services.fair_json(f), "fair", f.slug)
                                  for f in rows], "api.fairs")


@bp.route("/api/v1/fairs/<slug>")
@api_view
def fair(slug: str):
    found = own_fair(g.api_user.id, slug)
    if found is None:
        return _not_found(_("phiên chợ"))
    return jsonify(_with_links(services.fair_json(found, detail=True), "fair", found.slug))


@bp.route("/api/v1/fairs/<slug>/report")
@api_view
def fair_report(slug: str):
    found = own_fair(g.api_user.id, slug)
    if found is None:
        return _not_found(_("phiên chợ"))
    return jsonify(fair=services.fair_json(found), report=services.fair_report_json(found))


@bp.route("/api/v1/campaigns")
@api_view
def campaigns():
    return paginate(services.organizer_campaigns(g.api_user),
                    lambda rows: [_with_links(services.campaign_json(c), "campaign", c.slug)
                                  for c in rows], "api.campaigns")


@bp.route("/api/v1/campaigns/<slug>")
@api_view
def campaign(slug: str):
    found = own_campaign(g.api_user.id, slug)
    if found is None:
        return _not_found(_("chiến dịch"))
    return jsonify(_with_links(services.campaign_json(found, detail=True), "campaign",
                               found.slug))


@bp.route("/api/v1/campaigns/<slug>/report")
@api_view
def campaign_report(slug: str):
    found = own_campaign(g.api_user.id, slug)
    if found is None:
        return _not_found(_("chiến dịch"))
    return jsonify(campaign=services.campaign_json(found),
                   report=services.campaign_report_json(found))


@bp.route("/api/v1/products")
@api_view
def products():
    stall = request.args.get("stall", "").strip() or None
    category = request.args.get("category", "").strip() or None
    if category is not None and category not in CATEGORY_KEYS:
        raise BadParam(_("Danh mục “%(c)s” không tồn tại.", c=category[:40]))
    return paginate(services.products_query(stall, category),
                    lambda rows: [_product_links(p) for p in services.products_json(rows)],
                    "api.products", stall=stall, category=category)


@bp.route("/api/v1/products/<code>")
@api_view
def product(code: str):
    normalized = normalize_code(code)
    found = db.session.scalar(sa.select(Product).where(
        Product.code == normalized, Product.active.is_(True))) if normalized else None
    if found is None:
        return _not_found(_("sản phẩm"))
    return jsonify(_product_links(services.products_json([found], detail=True)[0]))


def _with_links(data: dict, kind: str, slug: str) -> dict:
    data["links"] = {
        "self": url_for(f"api.{kind}", slug=slug, _external=True),
        "report": url_for(f"api.{kind}_report", slug=slug, _external=True),
    }
    return data


def _product_links(data: dict) -> dict:
    data["links"] = {
        "self": url_for("api.product", code=data["code"], _external=True),
        "page": f"{current_app.config['PUBLIC_BASE_URL']}/p/{data['code']}",
    }
    return data


# ---------------------------------------------------------------- organizer token pages


@bp.route("/organizer/api-tokens", methods=["GET", "POST"])
@role_required("organizer")
def tokens():
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        try:
            token, created = services.create_token(current_user, form.name.data)
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            flash(_("Đã tạo khoá “%(name)s”. Hãy sao chép ngay: khoá chỉ hiện một lần.",
                    name=token.name), "success")
            form = TokenForm(formdata=None)
    return render_template("api/tokens.html", form=form, created=created,
                           tokens=services.list_tokens(current_user), revoke_form=EmptyForm())


@bp.route("/organizer/api-tokens/<int:token_id>/revoke", methods=["POST"])
@role_required("organizer")
def revoke(token_id: int):
    token = get_owned_or_404(ApiToken, token_id, owner_id_of=lambda t: t.user_id)
    if EmptyForm().validate_on_submit():
        services.revoke_token(token)
        flash(_("Đã thu hồi khoá “%(name)s”.", name=token.name), "info")
    return redirect(url_for("api.tokens"))
