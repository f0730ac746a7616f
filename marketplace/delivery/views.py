"""Delivery views: a stall's zones and fees, managed by its owner."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.auth import role_required
from marketplace.catalog.access import get_managed_stall_or_404
from marketplace.catalog.services import stall_of
from marketplace.delivery import pages, units
from marketplace.delivery import services as svc
from marketplace.delivery.forms import zone_form
from marketplace.errors import ValidationError, populate_errors
from marketplace.forms import EmptyForm

bp = Blueprint("delivery", __name__)

MANAGERS = ("seller", "organizer")


@bp.app_template_global()
def zone_label(zone) -> str:
    return svc.zone_label(zone)


@bp.app_template_global()
def delivery_province_names() -> list[str]:
    return pages.province_names()


@bp.app_template_global()
def delivery_ward_names(fees) -> list[str]:
    return pages.ward_names(fees)


@bp.get("/seller/delivery")
@role_required("seller")
def my_zones():
    stall = stall_of(current_user)
    if stall is None:
        flash(_("Hãy tạo gian hàng trước."), "info")
        return redirect(url_for("catalog.my_stall"))
    return redirect(url_for("delivery.zones", slug=stall.slug))


@bp.route("/stalls/<slug>/manage/delivery", methods=["GET", "POST"])
@role_required(*MANAGERS)
def zones(slug: str):
    stall = get_managed_stall_or_404(slug)
    form = zone_form()
    status = 200
    if form.validate_on_submit():
        try:
            svc.save_zone(stall, request.form)
        except ValidationError as exc:
            populate_errors(form, exc)
            status = 400
        else:
            flash(_("Đã thêm vùng giao hàng."), "success")
            return redirect(url_for("delivery.zones", slug=stall.slug), code=303)
    elif form.is_submitted():
        status = 400
    return render_template("delivery/zones.html", stall=stall, zones=svc.zones_of(stall.id),
                           form=form, button=EmptyForm()), status


@bp.route("/stalls/<slug>/manage/delivery/<int:zone_id>", methods=["GET", "POST"])
@role_required(*MANAGERS)
def edit_zone(slug: str, zone_id: int):
    stall = get_managed_stall_or_404(slug)
    zone = svc.zone_of(stall, zone_id) or abort(404)
    form = zone_form(data={"province": str(zone.province_code),
                           "communes": svc.ward_names(zone), "fee": str(zone.fee),
                           "free_from": "" if zone.free_from is None else str(zone.free_from)})
    status = 200
    if form.validate_on_submit():
        try:
            svc.save_zone(stall, request.form, zone)
        except ValidationError as exc:
            populate_errors(form, exc)
            status = 400
        else:
            flash(_("Đã lưu vùng giao hàng."), "success")
            return redirect(url_for("delivery.zones", slug=stall.slug), code=303)
    elif form.is_submitted():
        status = 400
    wards = units.wards(zone.province_code)
    return render_template("delivery/zone_form.html", stall=stall, zone=zone, form=form,
                           wards=wards), status


@bp.post("/stalls/<slug>/manage/delivery/<int:zone_id>/delete")
@role_required(*MANAGERS)
def delete_zone(slug: str, zone_id: int):
    stall = get_managed_stall_or_404(slug)
    zone = svc.zone_of(stall, zone_id) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    svc.delete_zone(zone)
    flash(_("Đã xoá vùng giao hàng."), "success")
    return redirect(url_for("delivery.zones", slug=stall.slug), code=303)
