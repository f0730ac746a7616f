"""Cart, checkout, tracking, my orders; the seller's inbox, packing lists, booth sale, entry."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError

from marketplace.auth import role_required, safe_next
from marketplace.catalog.owners import owned_stalls
from marketplace.delivery import pages as delivery
from marketplace.errors import DomainError, OutOfStock, ValidationError, populate_errors
from marketplace.extensions import csrf, limiter
from marketplace.fairs.services import current_booth
from marketplace.fairs.visits import remember_fair_visit, visited_fair_id
from marketplace.formatting import format_vnd, format_weight
from marketplace.forms import EmptyForm
from marketplace.once import services as once
from marketplace.once.forms import request_once
from marketplace.orders import booth as cash_desk
from marketplace.orders import labels
from marketplace.orders import services as svc
from marketplace.orders.access import booth_people, booth_stall, chosen_stall
from marketplace.orders.forms import (
    CancelForm,
    FindOrderForm,
    checkout_form_for,
    manual_form_for,
    sale_form_for,
)
from marketplace.qr import qr_png
from marketplace.sanitize import MAX_PAGE, int_arg, parse_day

bp = Blueprint("orders", __name__)
bp.add_app_template_global(once.new_key, "once_key")

RECENT_CHECKOUTS = 10  # checkout codes a guest's session may reopen
CART_KEY = "checkout_once"  # [cart fingerprint, one-time key] of the checkout form shown


@bp.app_template_filter("order_status")
def _status_filter(value):
    return labels.label(labels.STATUS, value)


@bp.app_template_filter("order_channel")
def _channel_filter(value):
    return labels.label(labels.CHANNEL, value)


@bp.app_template_filter("order_fulfilment")
def _fulfilment_filter(value):
    return labels.label(labels.FULFILMENT, value)


@bp.app_template_filter("payment_method")
def _payment_filter(value):
    return labels.label(labels.PAYMENT, value)


@bp.app_template_global("order_tracking_url")
def order_tracking_url(order) -> str:
    """The secret tracking link of an order, on the public site address."""
    path = url_for("orders.track", code=order.code, t=order.access_token)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _cart() -> dict:
    cart = session.get("cart")
    return cart if isinstance(cart, dict) else {}


def _save_cart(cart: dict) -> None:
    session["cart"] = cart


def _back(default: str):
    return redirect(safe_next(request.form.get("next"), default), code=303)


# --- shopper ----------------------------------------------------------------------------------


@bp.get("/cart")
def cart():
    view = svc.review_cart(_cart())
    for notice in view.notices:
        flash(notice, "warning")
    if view.notices:
        _save_cart(view.cart)
    fees = delivery.cart_fees(view.groups, province=delivery.remembered_province())
    return render_template("orders/cart.html", view=view, form=EmptyForm(), fees=fees)


def _from_this_site() -> None:
    """Refuse a POST that another site's page sent (Origin, else Referer), or lacks a token.

    The add-to-cart form on the provenance page carries no token, so that page is the same for
    every visitor; SameSite=Lax keeps the session cookie off cross-site POSTs besides.
    """
    sent_from = request.headers.get("Origin") or request.referrer
    if not sent_from:
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()  # no header to judge by: a token must do
        return
    ours = {request.host, urlsplit(current_app.config["PUBLIC_BASE_URL"]).netloc}
    if urlsplit(sent_from).netloc not in ours:
        raise CSRFError("The request came from another site.")  # shown as the CSRF message


@bp.post("/cart/add")
@csrf.exempt
def cart_add():
    _from_this_site()
    try:
        new_cart, product, qty = svc.add_to_cart(
            _cart(), request.form.get("product_id"), request.form.get("quantity", "1")
        )
    except DomainError as exc:
        flash(exc.message, "error")
        return _back(url_for("orders.cart"))
    via = request.form.get("via_fair", "")
    booth = current_booth(product.stall_id) if via.isdigit() else None
    if booth is not None and booth.fair_id == int(via):
        remember_fair_visit(booth.fair_id)  # added from the page of a label scanned at its booth
    _save_cart(new_cart)
    flash(_("Đã thêm %(n)s × %(name)s vào giỏ.", n=format_weight(qty), name=product.name),
          "success")
    return _back(url_for("orders.cart"))


@bp.post("/cart/update")
def cart_update():
    quantities = {k[4:]: v for k, v in request.form.items() if k.startswith("qty_")}
    try:
        _save_cart(svc.update_cart(_cart(), quantities))
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Đã cập nhật giỏ hàng."), "success")
    return redirect(url_for("orders.cart"), code=303)


@bp.post("/cart/remove")
def cart_remove():
    try:
        _save_cart(svc.remove_from_cart(_cart(), request.form.get("product_id")))
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("orders.cart"), code=303)


@bp.route("/checkout", methods=["GET", "POST"])
def checkout():
    view = svc.review_cart(_cart())
    if view.notices and request.method == "GET":
        for notice in view.notices:
            flash(notice, "warning")
        _save_cart(view.cart)
    # A posted form goes on even with an empty cart: it may repeat a checkout already placed.
    if not view.groups and request.method == "GET":
        return _empty_cart()
    form = checkout_form_for(view.groups)
    if request.method == "GET":
        form.once_key.data = _cart_key(view.cart)
    if request.method == "GET" and current_user.is_authenticated:
        form.customer_name.data = form.customer_name.data or current_user.name
        form.customer_phone.data = form.customer_phone.data or current_user.phone
    if request.method == "GET":
        form.delivery_province.data = delivery.remembered_province()
    status = 200
    if form.validate_on_submit() and "quote" not in request.form:  # "quote": fees only
        details = svc.CustomerDetails(
            form.customer_name.data, form.customer_phone.data, form.delivery_address.data,
            form.note.data, email=form.customer_email.data,
            notify_zalo=form.notify_zalo.data, locale=str(get_locale()),
            province=form.delivery_province.data, commune=form.delivery_commune.data)
        choices = {g.stall.id: (form[f"fulfilment_{g.stall.id}"].data,
                                form[f"payment_{g.stall.id}"].data) for g in view.groups}
        try:
            placed = svc.place_checkout(
                _cart(), details, choices, view=view, via_fair_id=visited_fair_id(),
                customer_id=current_user.id if current_user.is_authenticated else None,
                once=form.once(once.CHECKOUT),
            )
        except svc.StaleCart as exc:
            _save_cart(exc.cart)
            for notice in exc.notices:
                flash(notice, "warning")
            flash(_("Giỏ hàng vừa thay đổi, vui lòng kiểm tra lại trước khi đặt."), "warning")
            return redirect(url_for("orders.cart"), code=303)
        except ValidationError as exc:
            if not view.groups:
                return _empty_cart()
            populate_errors(form, exc)
            status = 400
        except OutOfStock as exc:
            form.form_errors.append(exc.message)
            status = 409
        else:
            session.pop("cart", None)
            session.pop(CART_KEY, None)
            # The done page is the confirmation; "added to cart" notes never shown are stale.
            get_flashed_messages()
            session["checkouts"] = [placed.checkout_code, *session.get("checkouts", [])][
                :RECENT_CHECKOUTS]
            return redirect(url_for("orders.checkout_done", code=placed.checkout_code), code=303)
    elif form.is_submitted() and "quote" not in request.form:
        status = 400
    return render_template("orders/checkout.html", view=view, form=form,
                           fees=delivery.form_fees(view.groups, form)), status


def _cart_key(cart: dict) -> str:
    """The checkout form's one-time key, the same for every tab showing this cart.

    Two tabs open on one cart are one purchase: sent from both, it is placed once. A changed
    cart, or a checkout placed, gets a new key.
    """
    seen = hashlib.sha256(json.dumps(cart, sort_keys=True).encode()).hexdigest()[:16]
    saved = session.get(CART_KEY)
    if isinstance(saved, list) and len(saved) == 2 and saved[0] == seen and once.is_key(saved[1]):
        return saved[1]
    key = once.new_key()
    session[CART_KEY] = [seen, key]
    return key


def _empty_cart():
    flash(_("Giỏ hàng đang trống."), "info")
    return redirect(url_for("orders.cart"), code=303)


@bp.get("/checkout/<code>")
def checkout_done(code: str):
    orders = svc.checkout_orders(code.upper())
    mine = current_user.is_authenticated and orders and orders[0].customer_id == current_user.id
    if not orders or not (code.upper() in session.get("checkouts", []) or mine):
        abort(404)
    return render_template("orders/checkout_done.html", orders=orders, code=code.upper())


@bp.get("/orders/<code>")
def track(code: str):
    order = svc.tracked_order(code, request.args.get("t"))
    if order is None:
        abort(404)
    return render_template("orders/track.html", order=order, booth=svc.booth_fairs_of(order))


@bp.route("/orders/find", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def find_order():
    """A guest who lost the link finds the order by its code and their phone number."""
    form = FindOrderForm()
    if form.validate_on_submit():
        order = svc.find_order(form.code.data, form.phone.data)
        if order is not None:
            return redirect(url_for("orders.track", code=order.code, t=order.access_token),
                            code=303)
        form.form_errors.append(_("Không tìm thấy đơn với mã và số điện thoại này. Mã đơn có "
                                  "7 ký tự, in trong tin nhắn và trên trang đặt hàng."))
    return render_template("orders/find.html", form=form), 400 if form.form_errors else 200


@bp.get("/my/orders")
@login_required
def my_orders():
    return render_template("orders/my_orders.html", orders=svc.customer_orders(current_user.id))


# --- seller -----------------------------------------------------------------------------------


def _seller_stall():
    """The seller's stall chosen by ?stall= (default: their first), or None if they have none."""
    return chosen_stall(owned_stalls(current_user.id))


def _no_stall():
    return render_template("orders/no_stall.html"), 200


def _parse_day(raw: str | None) -> date | None:
    return parse_day(raw)


@bp.get("/seller/orders")
@role_required("seller")
def seller_inbox():
    flt = svc.InboxFilter(
        status=request.args.get("status") if request.args.get("status") in labels.STATUS
        else None,
        fair_id=int_arg(request.args.get("fair")),
        day_from=_parse_day(request.args.get("from")),
        day_to=_parse_day(request.args.get("to")),
        page=int_arg(request.args.get("page"), default=1, low=1, high=MAX_PAGE),
    )
    orders, more = svc.seller_inbox(current_user.id, flt)
    return render_template("orders/seller_inbox.html", orders=orders, more=more, flt=flt,
                           fairs=svc.seller_fairs(current_user.id))


@bp.get("/seller/orders/<code>")
@role_required("seller")
def seller_order(code: str):
    order = svc.seller_order(code, current_user.id) or abort(404)
    return render_template("orders/seller_order.html", order=order, form=EmptyForm(),
                           cancel_form=CancelForm(), booth=svc.booth_fairs_of(order))


@bp.post("/seller/orders/<code>/status")
@role_required("seller")
def seller_order_status(code: str):
    order = svc.seller_order(code, current_user.id) or abort(404)
    new_status = request.form.get("status", "")
    if new_status not in svc.SELLER_STEPS:
        abort(400)
    try:
        svc.change_status(order, new_status, by_id=current_user.id,
                          unpaid_ok=request.form.get("unpaid_ok") == "1")
    except svc.PaymentOutstanding as exc:
        # Asked on a page of its own, so it works without JavaScript.
        return render_template("orders/confirm_handover.html", order=order, owed=exc.owed,
                               form=EmptyForm())
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Đơn %(code)s: %(status)s.", code=order.code,
                status=labels.label(labels.STATUS, new_status)), "success")
    return redirect(url_for("orders.seller_order", code=order.code), code=303)


@bp.post("/seller/orders/<code>/cancel")
@role_required("seller")
def seller_order_cancel(code: str):
    order = svc.seller_order(code, current_user.id) or abort(404)
    form = CancelForm()
    key = form.once(once.CANCEL)  # a missing key is refused (400) before anything happens
    try:
        svc.change_status(order, "cancelled", by_id=current_user.id, reason=form.reason.data,
                          once=key)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Đã hủy đơn %(code)s, hàng đã được trả lại kho.", code=order.code), "success")
    return redirect(url_for("orders.seller_order", code=order.code), code=303)


@bp.get("/seller/orders/packing")
@role_required("seller")
def packing():
    fairs = svc.seller_fairs(current_user.id)
    fair_id = int_arg(request.args.get("fair")) or (fairs[0].id if fairs else None)
    plist = svc.packing_list(current_user.id, fair_id) if fair_id else None
    if fair_id and plist is None:
        abort(404)
    return render_template("orders/packing.html", plist=plist, fairs=fairs)


def _quantities() -> dict[int, str]:
    return {int(k[4:]): v for k, v in request.form.items()
            if k.startswith("qty_") and int_arg(k[4:]) is not None}


@bp.get("/seller/pos")
@booth_people
def pos():
    stall, stalls = booth_stall()
    if stall is None:
        return _no_stall()
    query = (request.args.get("q") or "")[:80]
    # The sale just made (?sold=<code>), shown with its receipt QR: this stall's only.
    sold = cash_desk.stall_sale(stall.id, request.args.get("sold"))
    return render_template("orders/pos.html", stall=stall, stalls=stalls,
                           products=svc.sellable_products(stall, query), quantities={},
                           form=EmptyForm(), booth=current_booth(stall.id), query=query,
                           sold=sold)


def _pos_again(stall, stalls, message: str, code: int):
    flash(message, "error")
    return render_template("orders/pos.html", stall=stall, stalls=stalls,
                           products=svc.sellable_products(stall), quantities=_quantities(),
                           form=EmptyForm(), booth=current_booth(stall.id), query="",
                           sold=None), code


def _confirm_again(stall, quote, message: str):
    form = sale_form_for(svc.sale_payment_options(stall))
    form.cash_given.errors = [message]
    return render_template("orders/pos_confirm.html", stall=stall, quote=quote, form=form,
                           quick=cash_desk.quick_amounts(quote.total)), 400


@bp.post("/seller/pos/confirm")
@booth_people
def pos_confirm():
    stall, stalls = booth_stall()
    if stall is None:
        return _no_stall()
    try:
        quote = svc.quote_sale(stall, _quantities())
    except DomainError as exc:
        return _pos_again(stall, stalls, exc.message, exc.status_code)
    form = sale_form_for(svc.sale_payment_options(stall))
    return render_template("orders/pos_confirm.html", stall=stall, quote=quote, form=form,
                           quick=cash_desk.quick_amounts(quote.total))


@bp.post("/seller/pos/sell")
@booth_people
def pos_sell():
    stall, stalls = booth_stall()
    if stall is None:
        return _no_stall()
    # A quick-amount button posts its note as "given" (a cash sale by definition); otherwise
    # the typed amount, if any.
    given = request.form.get("given") or request.form.get("cash_given")
    method = "cash" if request.form.get("given") else request.form.get("method", "cash")
    try:
        placed = svc.record_booth_sale(
            stall, _quantities(), method, seller_id=current_user.id,
            once=request_once(request.form.get("once_key"), once.BOOTH_SALE),
            cash_given=given)
    except ValidationError as exc:
        if exc.field == "cash_given":  # short or mistyped: back to the confirm step
            try:
                return _confirm_again(stall, svc.quote_sale(stall, _quantities()), exc.reason)
            except DomainError as again:
                return _pos_again(stall, stalls, again.message, again.status_code)
        return _pos_again(stall, stalls, exc.message, exc.status_code)
    except DomainError as exc:
        return _pos_again(stall, stalls, exc.message, exc.status_code)
    if placed.payment_method == svc.VIETQR:
        return redirect(url_for("payments.order_vietqr", code=placed.code,
                                t=placed.access_token), code=303)
    flash(_("Đã bán, thu tiền mặt %(total)s (đơn %(code)s).", total=format_vnd(placed.total),
            code=placed.code), "success")
    return redirect(url_for("orders.pos", stall=stall.id, sold=placed.code), code=303)


@bp.get("/r/<token>")
def receipt(token: str):
    """A sale's receipt for the buyer: public and read-only, found by its random token only."""
    order = cash_desk.receipt_order(token) or abort(404)
    url = url_for("orders.receipt", token=token, _external=True)
    return render_template("orders/receipt.html", order=order, url=url,
                           share=cash_desk.share_links(url, order.stall.name, order.total))


@bp.get("/r/<token>/qr.png")
def receipt_qr(token: str):
    cash_desk.receipt_order(token) or abort(404)
    png = qr_png(url_for("orders.receipt", token=token, _external=True), box_size=6)
    return current_app.response_class(png, mimetype="image/png")


@bp.route("/seller/orders/new", methods=["GET", "POST"])
@role_required("seller")
def manual_new():
    stall, stalls = _seller_stall()
    if stall is None:
        return _no_stall()
    form = manual_form_for(svc.manual_fulfilment_options(stall), svc.sale_payment_options(stall))
    status = 200
    if form.validate_on_submit():
        details = svc.CustomerDetails(form.customer_name.data, form.customer_phone.data,
                                      form.delivery_address.data, form.note.data)
        try:
            placed = svc.create_manual_order(
                stall, _quantities(), details, channel=form.channel.data,
                fulfilment=form.fulfilment.data, method=form.method.data,
                paid=bool(form.paid.data), seller_id=current_user.id,
                once=form.once(once.MANUAL_ORDER),
            )
        except ValidationError as exc:
            populate_errors(form, exc)
            status = 400
        except DomainError as exc:
            form.form_errors.append(exc.message)
            status = exc.status_code
        else:
            flash(_("Đã ghi đơn %(code)s (%(total)s).", code=placed.code,
                    total=format_vnd(placed.total)), "success")
            return redirect(url_for("orders.seller_order", code=placed.code), code=303)
    return render_template("orders/manual_new.html", form=form, stall=stall, stalls=stalls,
                           products=svc.sellable_products(stall),
                           quantities=_quantities()), status


from marketplace.orders import booth_views  # noqa: E402,F401  (routes on this blueprint)
