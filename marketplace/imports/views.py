"""Upload marketplace exports, preview what counts, map SKUs, confirm."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.auth import role_required
from marketplace.errors import DomainError, ValidationError, populate_errors
from marketplace.forms import EmptyForm
from marketplace.imports import services
from marketplace.imports.forms import UploadForm
from marketplace.imports.parsers import PLATFORM_NAMES
from marketplace.once import services as once
from marketplace.once.forms import OnceForm

bp = Blueprint("imports", __name__)

# Only a stall's seller imports its marketplace sales; organizers have no import screens.
PREFIX = {"seller": "/seller/imports"}


def _upload(role: str):
    stalls = services.importable_stalls(current_user)
    form = UploadForm()
    form.stall.choices = [(s.id, s.name) for s in stalls]
    if form.validate_on_submit():
        stall = next(s for s in stalls if s.id == form.stall.data)
        files = [(f.filename or "export", f.read()) for f in request.files.getlist("files")
                 if f and f.filename]
        try:
            batch = services.stash_upload(stall, current_user, files)
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            return redirect(url_for(f"imports.{role}_preview", batch=batch))
    return render_template(
        "imports/upload.html", form=form, role=role, stalls=stalls,
        imports=services.recent_imports(stalls), platforms=PLATFORM_NAMES,
    )


def _overrides() -> dict:
    """Read the SKU choices of the preview form: fields named map:<platform>:<sku>."""
    overrides = {}
    for name, value in request.form.items():
        if name.startswith("map:"):
            _prefix, platform, sku = name.split(":", 2)
            overrides[(platform, sku)] = value
    return overrides


def _preview(role: str, batch: str):
    form = OnceForm()
    overrides = None
    shown_error = False
    # A confirmation is tried before the upload is looked up: a repeat of one already saved
    # (whose upload is gone) answers with what the first one saved.
    if request.method == "POST" and form.validate_on_submit():
        overrides = _overrides()
        if request.form.get("action") == "confirm":
            try:
                key = form.once(once.IMPORT)
            except ValidationError:  # a missing or malformed key: 400 for the owner, else 404
                if services.load_pending(batch, current_user) is None:
                    abort(404)
                raise
            try:
                outcome = services.confirm_pending(
                    batch, current_user, overrides, key,
                    accept_remap=request.form.get("remap_ok") == "1")
            except DomainError as exc:
                if services.load_pending(batch, current_user) is None:
                    abort(404)
                flash(exc.message, "error")
                shown_error = True
            else:
                flash(_("Đã lưu: %(new)s dòng mới, %(upd)s dòng cập nhật, %(same)s dòng không "
                        "đổi.", new=outcome.inserted, upd=outcome.updated,
                        same=outcome.unchanged), "success")
                return redirect(url_for(f"imports.{role}_upload"))
    pending = services.load_pending(batch, current_user)
    if pending is None:
        abort(404)
    stall, files = pending
    try:
        preview = services.build_preview(stall, files, overrides)
    except ValidationError as exc:
        if not shown_error:
            flash(exc.reason, "error")
        preview = services.build_preview(stall, files)
    return render_template("imports/preview.html", preview=preview, form=form, role=role,
                           batch=batch, platforms=PLATFORM_NAMES)


def _discard(role: str, batch: str):
    if services.load_pending(batch, current_user) is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        services.discard_pending(batch, current_user)
        flash(_("Đã hủy lần tải lên."), "info")
    return redirect(url_for(f"imports.{role}_upload"))


@bp.route("/seller/imports", methods=["GET", "POST"])
@role_required("seller")
def seller_upload():
    return _upload("seller")


@bp.route("/seller/imports/<batch>", methods=["GET", "POST"])
@role_required("seller")
def seller_preview(batch: str):
    return _preview("seller", batch)


@bp.route("/seller/imports/<batch>/discard", methods=["POST"])
@role_required("seller")
def seller_discard(batch: str):
    return _discard("seller", batch)
