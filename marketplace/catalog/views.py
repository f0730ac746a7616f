"""Catalog views: a seller's stall and products, organizers' stalls, public stall and browse."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.auth import role_required
from marketplace.catalog import services
from marketplace.catalog.access import get_managed_product_or_404, get_managed_stall_or_404
from marketplace.catalog.banks import bank_by_bin
from marketplace.catalog.categories import (
    CATEGORIES,
    UNITS,
    category_label,
    producer_kind_label,
)
from marketplace.catalog.forms import HandoverForm, ImportForm, ProductForm, StallForm
from marketplace.catalog.quantities import plain
from marketplace.errors import ValidationError, populate_errors
from marketplace.forms import EmptyForm
from marketplace.sanitize import MAX_PAGE, int_arg

bp = Blueprint("catalog", __name__)

SELLER = ("seller",)
MANAGERS = ("seller", "organizer")


@bp.app_template_global()
def product_url(product) -> str:
    """Link to a product's provenance page (the printed /p/<code> path)."""
    return url_for("provenance.product_page", code=product.code)


@bp.context_processor
def inject_helpers():
    return {"murl": murl, "category_label": category_label,
            "producer_kind_label": producer_kind_label, "bank_by_bin": bank_by_bin}


def murl(name: str, **values) -> str:
    """URL of a management screen, the way this request came: /seller/… (a seller's own
    stall, no slug in the URL) or /stalls/<slug>/manage/…."""
    slug = (request.view_args or {}).get("slug")
    if slug is None:
        return url_for(f"catalog.my_{name}", **values)
    return url_for(f"catalog.manage_{name}", slug=slug, **values)


def _managed_stall(slug: str | None):
    """Resolve the stall a management screen works on (a seller's own when slug is None)."""
    if slug is None:
        stall = services.stall_of(current_user)
        if stall is None:
            flash(_("Hãy tạo gian hàng trước."), "info")
            abort(redirect(url_for("catalog.my_stall")))
    else:
        stall = get_managed_stall_or_404(slug)
    return stall


def _route(path: str, name: str, methods=("GET",)):
    """Register a screen at /seller<path> (sellers) and /stalls/<slug>/manage<path> (owners)."""

    def decorator(view):
        bp.add_url_rule("/seller" + path, f"my_{name}", role_required(*SELLER)(view),
                        defaults={"slug": None}, methods=list(methods))
        bp.add_url_rule("/stalls/<slug>/manage" + path, f"manage_{name}",
                        role_required(*MANAGERS)(view), methods=list(methods))
        return view

    return decorator


def _uploads(name: str) -> list[bytes]:
    return [f.read() for f in request.files.getlist(name) if f and f.filename][:10]


# --- Stall ---------------------------------------------------------------------------------


@bp.route("/seller/stall", methods=["GET", "POST"], endpoint="my_stall")
@role_required(*SELLER)
def my_stall():
    stall = services.stall_of(current_user)
    if stall is not None:
        return _edit_stall(stall, via_seller=True)
    form = StallForm()
    if form.validate_on_submit() and "read_qr" in request.form:
        return _read_bank_qr(form, stall=None)
    if form.validate_on_submit():
        try:
            stall = services.create_stall(current_user, form.data, logo=_first_upload("logo"))
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            flash(_("Đã tạo gian hàng %(name)s.", name=stall.name), "success")
            return redirect(url_for("catalog.my_products"))
    status = 400 if form.is_submitted() else 200
    return render_template("catalog/stall_form.html", form=form, stall=None), status


@bp.route("/stalls/<slug>/manage", methods=["GET", "POST"], endpoint="manage_stall")
@role_required(*MANAGERS)
def manage_stall(slug: str):
    return _edit_stall(get_managed_stall_or_404(slug), via_seller=False)


def _first_upload(name: str) -> bytes | None:
    files = _uploads(name)
    return files[0] if files else None


def _edit_stall(stall, via_seller: bool):
    form = StallForm(obj=stall)
    if form.validate_on_submit() and "read_qr" in request.form:
        return _read_bank_qr(form, stall=stall)
    if form.validate_on_submit():
        try:
            services.update_stall(stall, form.data, logo=_first_upload("logo"))
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            flash(_("Đã lưu thông tin gian hàng."), "success")
            # The slug may just have changed: name the stall by its new one.
            return redirect(url_for("catalog.my_stall") if via_seller
                            else url_for("catalog.manage_stall", slug=stall.slug))
    status = 400 if form.is_submitted() else 200
    return render_template("catalog/stall_form.html", form=form, stall=stall), status


def _read_bank_qr(form: StallForm, stall):
    """Fill the bank fields from the account's QR; nothing is saved until "Lưu"."""
    try:
        found = services.bank_from_qr(_first_upload("bank_qr_image"), form.bank_qr_text.data)
    except ValidationError as exc:
        populate_errors(form, exc)
        return render_template("catalog/stall_form.html", form=form, stall=stall), 400
    form.bank_bin.data, form.bank_account_number.data = found.bank_bin, found.account_number
    if found.holder:
        form.bank_account_name.data = found.holder
    form.bank_qr_text.data = ""
    flash(_("Đã đọc mã QR: %(bank)s, tài khoản %(number)s. Kiểm tra lại rồi bấm “Lưu”.",
            bank=found.bank_name, number=found.account_number), "success")
    return render_template("catalog/stall_form.html", form=form, stall=stall)


# --- Products ------------------------------------------------------------------------------


@_route("/products", "products")
def products(slug: str | None):
    stall = _managed_stall(slug)
    return render_template("catalog/products.html", stall=stall,
                           products=services.products_of(stall), button=EmptyForm())


@_route("/products/new", "product_new", methods=("GET", "POST"))
def product_new(slug: str | None):
    stall = _managed_stall(slug)
    form = ProductForm()
    if form.validate_on_submit():
        try:
            product = services.create_product(stall, _product_data(form), _uploads("photos"))
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            flash(_("Đã thêm sản phẩm %(name)s (mã %(code)s). Tiếp theo: nguồn gốc, lô hàng "
                    "và tem QR.", name=product.name, code=product.code), "success")
            return redirect(murl("product_edit", product_id=product.id))
    status = 400 if form.is_submitted() else 200
    return render_template("catalog/product_form.html", form=form, stall=stall,
                           product=None), status


@_route("/products/<int:product_id>/edit", "product_edit", methods=("GET", "POST"))
def product_edit(slug: str | None, product_id: int):
    stall = _managed_stall(slug)
    product = get_managed_product_or_404(stall, product_id)
    form = ProductForm(obj=product)
    if not form.is_submitted():
        form.net_weight_kg.data = services.format_weight(product.net_weight_kg)
        # "100", "12.5": never "100.000", which the whole-number rule would read as 100 000.
        form.stock.data = plain(product.stock)
        form.quantity_step.data = plain(product.quantity_step)
    if form.validate_on_submit():
        try:
            services.update_product(product, _product_data(form), _uploads("photos"))
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            flash(_("Đã lưu sản phẩm %(name)s.", name=product.name), "success")
            return redirect(murl("product_edit", product_id=product.id))
    status = 400 if form.is_submitted() else 200
    return render_template("catalog/product_form.html", form=form, stall=stall,
                           product=product, button=EmptyForm()), status


@_route("/products/<int:product_id>/active", "product_active", methods=("POST",))
def product_active(slug: str | None, product_id: int):
    stall = _managed_stall(slug)
    product = get_managed_product_or_404(stall, product_id)
    if EmptyForm().validate_on_submit():
        active = request.form.get("active") == "1"
        services.set_product_active(product, active)
        flash(_("Đã mở bán %(name)s.", name=product.name) if active
              else _("Đã ngừng bán %(name)s.", name=product.name), "success")
    return redirect(murl("products"))


@_route("/products/<int:product_id>/photos/<int:photo_id>/delete", "photo_delete",
        methods=("POST",))
def photo_delete(slug: str | None, product_id: int, photo_id: int):
    stall = _managed_stall(slug)
    product = get_managed_product_or_404(stall, product_id)
    if EmptyForm().validate_on_submit():
        try:
            services.remove_product_photo(product, photo_id)
        except ValidationError as exc:
            flash(exc.reason, "error")
        else:
            flash(_("Đã xoá ảnh."), "success")
    return redirect(murl("product_edit", product_id=product.id))


def _product_data(form: ProductForm) -> dict:
    return {name: getattr(form, name).data
            for name in (*services.PRODUCT_FIELDS, "quantity_step")}


# --- CSV -----------------------------------------------------------------------------------


@_route("/products/export.csv", "export")
def export_csv(slug: str | None):
    stall = _managed_stall(slug)
    response = make_response(services.export_products_csv(stall))
    response.mimetype = "text/csv"
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="san-pham-{stall.slug}.csv"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@_route("/products/import", "import", methods=("GET", "POST"))
def import_csv(slug: str | None):
    stall = _managed_stall(slug)
    form = ImportForm()
    errors = []
    if form.validate_on_submit():
        try:
            result = services.import_products_csv(stall, _first_upload("file") or b"")
        except services.ImportRejected as exc:
            errors = exc.errors
        else:
            flash(_("Đã nhập %(c)s sản phẩm mới và cập nhật %(u)s sản phẩm.",
                    c=result.created, u=result.updated), "success")
            return redirect(murl("products"))
    status = 400 if form.is_submitted() else 200
    return render_template("catalog/import.html", form=form, stall=stall, errors=errors,
                           categories=CATEGORIES, units=UNITS), status


# --- Organizers: stalls set up for sellers --------------------------------------------------


@bp.route("/organizer/stalls")
@role_required("organizer")
def organizer_stalls():
    return render_template("catalog/organizer_stalls.html",
                           stalls=services.stalls_owned_by(current_user))


@bp.route("/organizer/stalls/new", methods=["GET", "POST"])
@role_required("organizer")
def organizer_stall_new():
    form = StallForm()
    if form.validate_on_submit():
        try:
            stall = services.create_stall(current_user, form.data, logo=_first_upload("logo"))
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            flash(_("Đã tạo gian hàng %(name)s. Thêm sản phẩm rồi bàn giao cho người bán.",
                    name=stall.name), "success")
            return redirect(url_for("catalog.manage_products", slug=stall.slug))
    status = 400 if form.is_submitted() else 200
    return render_template("catalog/stall_form.html", form=form, stall=None), status


@bp.route("/stalls/<slug>/manage/handover", methods=["GET", "POST"])
@role_required("organizer")
def handover(slug: str):
    stall = get_managed_stall_or_404(slug)
    form = HandoverForm()
    if form.validate_on_submit():
        try:
            result = services.hand_over_stall(stall, current_user, phone=form.phone.data,
                                              name=form.name.data)
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            # The one-time password is shown on this response only, never stored or flashed.
            response = make_response(render_template(
                "catalog/handover_done.html", stall=stall, seller=result.seller,
                password=result.password,
            ))
            response.headers["Cache-Control"] = "no-store"
            return response
    status = 400 if form.is_submitted() else 200
    return render_template("catalog/handover.html", form=form, stall=stall), status


# --- Public pages --------------------------------------------------------------------------


@bp.route("/s/<slug>")
def stall_page(slug: str):
    stall = services.public_stall(slug)
    if stall is None:
        abort(404)
    return render_template("catalog/stall_page.html", stall=stall,
                           products=services.on_sale(stall))


@bp.route("/products")
def browse():
    filters = services.BrowseFilters.from_args(request.args)
    page = int_arg(request.args.get("page"), default=1, low=1, high=MAX_PAGE)
    pagination = services.browse_products(filters, page)
    return render_template("catalog/browse.html", filters=filters, pagination=pagination,
                           categories=CATEGORIES, **services.browse_choices())
