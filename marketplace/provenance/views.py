"""Provenance views: the public product page, QR labels, GS1 links and the seller's records.

A batch's label reads /p/<code>?lot=<batch code> (a query string, so any lot spelling fits and
/p/<code> stays the one page of the product); GS1 links /01/<gtin>/10/<lot> answer 303 to it.
"""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from marketplace import qr
from marketplace.auth import get_owned_or_404, role_required, safe_next
from marketplace.catalog.categories import producer_kind_label
from marketplace.catalog.codes import normalize_code
from marketplace.catalog.models import Product, Stall
from marketplace.catalog.owners import owned_stalls_query
from marketplace.errors import ValidationError, populate_errors
from marketplace.extensions import db, limiter
from marketplace.formatting import vn_today
from marketplace.forms import EmptyForm
from marketplace.provenance import fastpath, gs1, labels, scans, services
from marketplace.provenance.forms import BatchForm, CertificateForm, StepForm
from marketplace.provenance.models import Batch, Certificate, TimelineStep

bp = Blueprint("provenance", __name__)

MANAGERS = ("seller", "organizer")
QR_CACHE = "public, max-age=86400"


# --- Public: the page a label opens -----------------------------------------------------------


def _not_found(code: str | None = None, status: int = 404):
    return render_template("provenance/not_found.html", code=code), status


@bp.get("/p")
def lookup():
    """Open the page of a code typed by hand (the form on the not-found page)."""
    typed = request.args.get("code", "")
    if not typed.strip():
        return render_template("provenance/not_found.html", code=None, searching=True)
    code = normalize_code(typed)
    if code is None or services.find_product(code) is None:
        return _not_found(typed.strip()[:20] or None)
    return redirect(services.product_path(code))


@limiter.request_filter
def _not_limited() -> bool:
    # The label page has no limit (a venue's crowd shares one IP address, there is nothing to
    # guess): a filter skips Flask-Limiter's resolving of limits that `exempt` still does.
    return request.endpoint == "provenance.product_page"


@bp.get("/p/<code>")
@limiter.exempt  # a venue's crowd shares one IP address; there is nothing to guess here
def product_page(code: str):
    canonical = normalize_code(code)
    lot = request.args.get("lot") or None
    qr_scan = request.args.get("s") == "1"  # printed on labels since the scan flag came in
    if canonical is None:
        return _not_found(code[:20])
    if canonical != code:
        # Hand-typed spelling (lower case, O for 0): one permanent redirect to the label's URL.
        return redirect(services.product_path(canonical, lot, scan=qr_scan), 301)
    # Anonymous visitors all get the same bytes (flashed messages aside), so a copy will do.
    shared = current_user.is_anonymous and not get_flashed_messages()
    key = (canonical, lot, str(get_locale()))
    page_cache = fastpath.cache()
    copy = page_cache.get(key) if shared and page_cache is not None else None
    if copy is not None:
        page_cache.count(copy, request.environ, qr_scan)
        response = current_app.response_class(copy.body, headers=list(copy.headers))
        return _conditional(response)
    version = page_cache.version() if shared and page_cache is not None else None
    with services.page_reads() as conn:
        product, photo_id = services.find_page_product(conn, canonical, lot)
        page = (services.product_page(conn, product, lot)
                if product is not None and services.is_for_sale(product) else None)
    if product is None:
        return _not_found(canonical)
    if page is None:
        return render_template("provenance/gone.html", product=product), 410
    fair_id = page.booth.fair_id if page.booth is not None else None
    scan = (product.id, page.batch.id if page.batch_is_labelled else None, fair_id)
    if not _staff_of(product):
        scans.record_scan(*scan, qr=qr_scan, visitor=scans.visitor_of(request.environ))
    response = current_app.response_class(_render_page(page, lot, photo_id))
    response.add_etag()
    response.headers["Vary"] = "Cookie"  # a new response: nothing to merge with yet
    if shared:
        proxy = int(current_app.config.get("PROVENANCE_PROXY_SECONDS", 0))
        response.headers["Cache-Control"] = (
            f"public, max-age=0, s-maxage={proxy}" if proxy else "public, no-cache")
        if version is not None and fastpath.ENVIRON_KEY in request.environ:
            until = page.booth.fair_ends_at.timestamp() if fair_id else float("inf")
            request.environ[fastpath.ENVIRON_KEY].update(
                key=key, scan=scan, version=version, until=until)
    else:
        response.headers["Cache-Control"] = "private, no-cache"
    return _conditional(response)


CONDITIONS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE",
              "HTTP_IF_UNMODIFIED_SINCE")


def _conditional(response):
    """A 304 when the visitor's copy is current; a first visit asks nothing, so skip the work."""
    if any(name in request.environ for name in CONDITIONS):
        return response.make_conditional(request)
    return response


def _staff_of(product: services.PageProduct) -> bool:
    """Tell whether the viewer is the stall's seller or an organizer (their views don't count)."""
    user = current_user
    return user.is_authenticated and (user.id == product.stall.owner_id or user.is_organizer)


def _render_page(page: services.ProductPage, lot: str | None, photo_id: int | None) -> str:
    product = page.product
    image_path = url_for("main.image", image_id=photo_id) if photo_id else None
    image_url = services.public_url(image_path) if image_path else None
    return render_template(
        "provenance/product_page.html",
        page=page,
        product=product,
        stall=page.stall,
        image_path=image_path,
        image_url=image_url,
        canonical_url=services.product_url(
            product.code, page.batch.code if page.batch_is_labelled else None
        ),
        json_ld=services.json_ld(page, image_url),
        producer_kind=producer_kind_label(product.provenance("producer_kind")),
        zalo=re.sub(r"\D", "", page.stall.zalo or ""),
        phone=re.sub(r"[^\d+]", "", page.stall.phone or ""),
        lang_next=services.product_path(product.code, lot),
    )


def _qr_response(code: str, ext: str):
    canonical = normalize_code(code)
    if canonical is None:
        return _not_found(code[:20])
    lot = request.args.get("lot") or None
    if canonical != code:
        target = url_for(f"provenance.qr_{ext}", code=canonical, **({"lot": lot} if lot else {}))
        return redirect(target, 301)
    if services.find_product(canonical) is None:
        return _not_found(canonical)
    data = services.product_url(canonical, lot, scan=True)  # whoever scans it, scans a QR
    if ext == "svg":
        response = current_app.response_class(qr.qr_svg(data), mimetype="image/svg+xml")
    else:
        response = current_app.response_class(qr.qr_png(data), mimetype="image/png")
    response.headers["Cache-Control"] = QR_CACHE
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/p/<code>/qr.svg")
def qr_svg(code: str):
    return _qr_response(code, "svg")


@bp.get("/p/<code>/qr.png")
def qr_png(code: str):
    return _qr_response(code, "png")


def _gs1_redirect(gtin: str, lot: str | None):
    try:
        product = gs1.find_product_by_gtin(gtin)
    except ValidationError as exc:
        return render_template("provenance/bad_gtin.html", gtin=gtin[:20], reason=exc.reason), 400
    if product is None:
        return _not_found()
    scan = request.args.get("s") == "1"
    return redirect(services.product_path(product.code, lot, scan=scan), 303)


@bp.get("/01/<gtin>")
def gs1_link(gtin: str):
    return _gs1_redirect(gtin, None)


@bp.get("/01/<gtin>/10/<path:lot>")
def gs1_lot_link(gtin: str, lot: str):
    return _gs1_redirect(gtin, lot)


# --- Sellers: batches, diary and certificates --------------------------------------------------


def _owned_product(product_id: int) -> Product:
    return get_owned_or_404(Product, product_id, owner_id_of=lambda p: p.stall.owner_id)


def _back(default: str) -> str:
    return safe_next(request.values.get("next"), default)


@bp.get("/seller/provenance")
@role_required(*MANAGERS)
def seller_index():
    stalls = db.session.scalars(
        owned_stalls_query(current_user.id)
        .options(selectinload(Stall.products))
        .order_by(None).order_by(Stall.name)
    ).all()
    return render_template("provenance/seller_index.html", stalls=stalls)


def _render_records(product: Product, status: int = 200, **forms):
    batches, steps, certificates = services.records_of(product)
    return render_template(
        "provenance/seller_product.html",
        product=product,
        batches=batches,
        steps=steps,
        certificates=certificates,
        today=vn_today(),
        batch_form=forms.get("batch_form") or BatchForm(prefix="batch", formdata=None),
        step_form=forms.get("step_form") or StepForm(prefix="step", formdata=None),
        cert_form=forms.get("cert_form") or CertificateForm(prefix="cert", formdata=None),
        delete_form=EmptyForm(),
    ), status


@bp.get("/seller/products/<int:product_id>/provenance")
@role_required(*MANAGERS)
def seller_product(product_id: int):
    return _render_records(_owned_product(product_id))


def _added(product: Product, message: str, anchor: str):
    flash(message, "success")
    return redirect(url_for("provenance.seller_product", product_id=product.id, _anchor=anchor))


@bp.post("/seller/products/<int:product_id>/batches")
@role_required(*MANAGERS)
def add_batch(product_id: int):
    product = _owned_product(product_id)
    form = BatchForm(prefix="batch")
    if form.validate_on_submit():
        try:
            batch = services.add_batch(product, form.data)
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            return _added(product, _("Đã thêm lô %(code)s.", code=batch.code), "batches")
    return _render_records(product, 400, batch_form=form)


@bp.post("/seller/products/<int:product_id>/steps")
@role_required(*MANAGERS)
def add_step(product_id: int):
    product = _owned_product(product_id)
    form = StepForm(prefix="step")
    if form.validate_on_submit():
        try:
            services.add_step(product, form.data, photo=_photo("step-photo"))
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            return _added(product, _("Đã thêm bước vào nhật ký."), "timeline")
    return _render_records(product, 400, step_form=form)


@bp.post("/seller/products/<int:product_id>/certificates")
@role_required(*MANAGERS)
def add_certificate(product_id: int):
    product = _owned_product(product_id)
    form = CertificateForm(prefix="cert")
    if form.validate_on_submit():
        try:
            services.add_certificate(product, form.data, for_stall=form.for_stall.data,
                                     photo=_photo("cert-photo"))
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            return _added(product, _("Đã thêm chứng nhận."), "certificates")
    return _render_records(product, 400, cert_form=form)


def _photo(name: str) -> bytes | None:
    upload = request.files.get(name)
    return upload.read() if upload and upload.filename else None


def _records_url(product: Product | None, anchor: str) -> str:
    if product is None:
        return url_for("provenance.seller_index")
    return url_for("provenance.seller_product", product_id=product.id, _anchor=anchor)


def _edit(obj, form_class, update, product: Product | None, title: str, anchor: str):
    form = form_class(obj=obj)
    back = _back(_records_url(product, anchor))
    if form.validate_on_submit():
        try:
            update(obj, form.data, **({"photo": _photo("photo")} if "photo" in form else {}))
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            flash(_("Đã lưu thay đổi."), "success")
            return redirect(back)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "provenance/edit.html", form=form, title=title, product=product, back=back
    ), status


def _owned_batch(batch_id: int) -> Batch:
    return get_owned_or_404(Batch, batch_id, owner_id_of=lambda b: b.product.stall.owner_id)


def _owned_step(step_id: int) -> TimelineStep:
    return get_owned_or_404(TimelineStep, step_id, owner_id_of=lambda s: s.product.stall.owner_id)


def _owned_certificate(cert_id: int) -> Certificate:
    return get_owned_or_404(Certificate, cert_id, owner_id_of=lambda c: c.holder_stall.owner_id)


@bp.route("/seller/batches/<int:batch_id>/edit", methods=["GET", "POST"])
@role_required(*MANAGERS)
def edit_batch(batch_id: int):
    batch = _owned_batch(batch_id)
    return _edit(batch, BatchForm, services.update_batch, batch.product,
                 _("Sửa lô %(code)s", code=batch.code), "batches")


@bp.route("/seller/steps/<int:step_id>/edit", methods=["GET", "POST"])
@role_required(*MANAGERS)
def edit_step(step_id: int):
    step = _owned_step(step_id)
    return _edit(step, StepForm, services.update_step, step.product, _("Sửa bước nhật ký"),
                 "timeline")


@bp.route("/seller/certificates/<int:cert_id>/edit", methods=["GET", "POST"])
@role_required(*MANAGERS)
def edit_certificate(cert_id: int):
    cert = _owned_certificate(cert_id)
    product = cert.product or _first_product(cert.stall)
    return _edit(cert, CertificateForm, services.update_certificate, product,
                 _("Sửa chứng nhận"), "certificates")


def _first_product(stall: Stall) -> Product | None:
    return stall.products[0] if stall.products else None


def _delete(obj, delete, product: Product | None, message: str, anchor: str):
    if EmptyForm().validate_on_submit():
        delete(obj)
        flash(message, "success")
    else:
        flash(_("Phiên làm việc đã hết hạn. Vui lòng tải lại trang và thử lại."), "error")
    return redirect(_back(_records_url(product, anchor)))


@bp.post("/seller/batches/<int:batch_id>/delete")
@role_required(*MANAGERS)
def delete_batch(batch_id: int):
    batch = _owned_batch(batch_id)
    return _delete(batch, services.delete_batch, batch.product, _("Đã xoá lô."), "batches")


@bp.post("/seller/steps/<int:step_id>/delete")
@role_required(*MANAGERS)
def delete_step(step_id: int):
    step = _owned_step(step_id)
    return _delete(step, services.delete_step, step.product, _("Đã xoá bước nhật ký."),
                   "timeline")


@bp.post("/seller/certificates/<int:cert_id>/delete")
@role_required(*MANAGERS)
def delete_certificate(cert_id: int):
    cert = _owned_certificate(cert_id)
    product = cert.product or _first_product(cert.stall)
    return _delete(cert, services.delete_certificate, product, _("Đã xoá chứng nhận."),
                   "certificates")


# --- Sellers: label sheets -------------------------------------------------------------------


@bp.route("/seller/stalls/<int:stall_id>/labels", methods=["GET", "POST"])
@role_required(*MANAGERS)
def label_sheet(stall_id: int):
    stall = get_owned_or_404(Stall, stall_id)
    form = EmptyForm()
    error = None
    if form.validate_on_submit():
        try:
            lines = labels.parse_selection(stall, request.form)
        except ValidationError as exc:
            error = exc.reason
        else:
            pdf = labels.build_sheet(stall, lines,
                                     digital_link=request.form.get("digital_link") == "1")
            response = current_app.response_class(pdf, mimetype="application/pdf")
            response.headers["Content-Disposition"] = f'inline; filename="tem-{stall.slug}.pdf"'
            return response
    batches = services.batches_by_product(stall)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "provenance/labels.html", stall=stall, batches=batches, form=form, error=error,
        values=request.form,
    ), status
