"""The owner's helpers page, the helper's sign-up with a code, and today's booth sales."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from marketplace.auth import role_required
from marketplace.catalog.owners import owned_stalls
from marketplace.errors import ValidationError, populate_errors
from marketplace.extensions import limiter
from marketplace.forms import EmptyForm
from marketplace.helpers import services as svc
from marketplace.helpers.forms import AddHelperForm, JoinForm
from marketplace.orders.access import booth_people, booth_stall
from marketplace.sanitize import int_arg

bp = Blueprint("helpers", __name__)
bp.add_app_template_global(svc.sales_by_person, "sales_by_person")


def _owned_stall():
    stalls = owned_stalls(current_user.id)
    wanted = int_arg(request.values.get("stall"))
    if wanted is not None:
        chosen = next((s for s in stalls if s.id == wanted), None)
        return chosen or abort(404), stalls
    return (stalls[0] if stalls else None), stalls


def _page(stall, stalls, form, invite=None, status: int = 200):
    return render_template("helpers/manage.html", stall=stall, stalls=stalls, form=form,
                           helpers=svc.helpers_of(stall) if stall else [], invite=invite,
                           button=EmptyForm()), status


@bp.route("/seller/helpers", methods=["GET", "POST"])
@role_required("seller")
def manage():
    stall, stalls = _owned_stall()
    form = AddHelperForm()
    if stall is None:
        return _page(stall, stalls, form)
    if form.validate_on_submit():
        try:
            user = svc.add_helper(stall, name=form.name.data, phone=form.phone.data,
                                  password=form.password.data, by_id=current_user.id)
        except ValidationError as exc:
            populate_errors(form, exc)
            return _page(stall, stalls, form, status=400)
        flash(_("Đã thêm người phụ bán %(name)s.", name=user.name), "success")
        return redirect(url_for("helpers.manage", stall=stall.id), code=303)
    return _page(stall, stalls, form, status=400 if form.is_submitted() else 200)


@bp.post("/seller/helpers/invite")
@role_required("seller")
def invite():
    stall, stalls = _owned_stall()
    if stall is None or not EmptyForm().validate_on_submit():
        abort(400)
    issued = svc.issue_invite(stall, current_user.id)
    return _page(stall, stalls, AddHelperForm(formdata=None), invite=issued)


@bp.post("/seller/helpers/<int:helper_id>/remove")
@role_required("seller")
def remove(helper_id: int):
    stall, _stalls = _owned_stall()
    if stall is None or not svc.remove_helper(stall, helper_id):
        abort(404)
    flash(_("Người này không còn bán tại gian hàng."), "success")
    return redirect(url_for("helpers.manage", stall=stall.id), code=303)


@bp.route("/helpers/join", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def join():
    """A helper signs up with the invitation code the stall owner gave them."""
    form = JoinForm()
    if form.validate_on_submit():
        try:
            user = svc.join_with_invite(form.code.data, name=form.name.data,
                                        phone=form.phone.data, password=form.password.data)
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            login_user(user)
            flash(_("Chào %(name)s, bạn đã là người phụ bán của gian hàng.", name=user.name),
                  "success")
            return redirect(url_for("orders.pos"), code=303)
    return render_template("helpers/join.html", form=form), 400 if form.is_submitted() else 200


@bp.get("/seller/pos/today")
@booth_people
def today():
    """Today's booth sales of the stall, with who made each (helpers see them too)."""
    stall, stalls = booth_stall()
    if stall is None:
        abort(404)
    orders = svc.todays_sales(stall)
    return render_template("helpers/today.html", stall=stall, stalls=stalls, orders=orders,
                           names=svc.seller_names(o.created_by_id for o in orders))
