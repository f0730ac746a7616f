"""Payments views: VietQR screens, the seller's ledger, reconciliation, Stripe card checkout."""

from __future__ import annotations

import base64

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.auth import role_required, safe_next
from marketplace.catalog.models import Stall
from marketplace.catalog.owners import owned_stalls
from marketplace.errors import DomainError, ValidationError, populate_errors
from marketplace.extensions import csrf, db
from marketplace.formatting import format_vnd
from marketplace.forms import EmptyForm
from marketplace.jobs import progress as job_progress
from marketplace.once import services as once
from marketplace.once.forms import OnceForm
from marketplace.orders.models import Order
from marketplace.orders.services import payment_deadline, unpaid_siblings
from marketplace.payments import card as cards
from marketplace.payments import gateway, reconcile, services
from marketplace.payments.forms import (
    CardForm,
    CashForm,
    ConfirmStatementForm,
    CorrectionForm,
    RefundForm,
    StatementForm,
    new_cash_form,
)
from marketplace.qr import qr_png, qr_svg
from marketplace.sanitize import secret_matches

bp = Blueprint("payments", __name__)


@bp.app_template_global()
def order_money(order):
    """What an order's page shows of its money (paid, owed, owed back), for any domain's page."""
    return services.money_summary(order)


@bp.app_template_global()
def order_cash_form(owed: int):
    """The 'cash received' form, filled with what is owed, for the seller's order page."""
    return new_cash_form(owed)


@bp.app_context_processor
def inject_card_flag():
    return {"card_payments_enabled": gateway.is_configured}


def qr_data_uri(payload: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(payload).encode()).decode()


def _order_or_404(code: str) -> Order:
    order = db.session.scalar(sa.select(Order).where(Order.code == (code or "").upper()))
    if order is None:
        abort(404)
    return order


def _is_stall_seller(order: Order) -> bool:
    return current_user.is_authenticated and order.stall.owner_id == current_user.id


def _seller_order(code: str) -> Order:
    """Load an order of one of the current seller's stalls (404 for anyone else's)."""
    order = _order_or_404(code)
    if not _is_stall_seller(order):
        abort(404)
    return order


# --- VietQR -----------------------------------------------------------------------------------


def _vietqr_order(code: str) -> tuple[Order, str, bool]:
    """The order whose VietQR is asked for, if the asker may see it: its seller, its customer
    or whoever holds its secret link."""
    order = _order_or_404(code)
    token = request.args.get("t", "")
    seller = _is_stall_seller(order)
    customer = current_user.is_authenticated and order.customer_id == current_user.id
    if not (seller or customer or secret_matches(token, order.access_token)):
        abort(404)
    return order, token, seller


@bp.get("/pay/<code>/vietqr")
def order_vietqr(code: str):
    order, token, seller = _vietqr_order(code)
    qr = services.order_vietqr(order) if order.stall.has_bank_account else None
    return render_template(
        "payments/order_vietqr.html", order=order, qr=qr, seller=seller, token=token,
        qr_image=qr_data_uri(qr["payload"]) if qr and qr["payload"] else None, form=EmptyForm(),
        big=request.args.get("big") == "1",
        deadline=payment_deadline(order), next_orders=unpaid_siblings(order),
    )


@bp.get("/pay/<code>/vietqr.png")
def order_vietqr_png(code: str):
    """The QR as a picture to save, so a shopper can pay from a banking app on the same phone."""
    order, _token, _seller = _vietqr_order(code)
    qr = services.order_vietqr(order) if order.stall.has_bank_account else None
    if not qr or not qr["payload"] or order.is_paid or order.status == "cancelled":
        abort(404)
    response = make_response(qr_png(qr["payload"]))
    response.headers["Content-Type"] = "image/png"
    response.headers["Content-Disposition"] = f'attachment; filename="vietqr-{order.code}.png"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _back_to(default: str):
    """Redirect to the page the action was taken from (a same-site path), else the default."""
    return redirect(safe_next(request.form.get("next"), default), code=303)


@bp.post("/pay/<code>/vietqr/received")
@role_required("seller")
def mark_received(code: str):
    order = _seller_order(code)
    form = OnceForm()
    if not form.validate_on_submit():
        abort(400)
    payment = services.mark_transfer_received(order, current_user.id, form.once(once.TRANSFER))
    if payment is None:
        flash(_("Đơn %(code)s đã được thanh toán trước đó.", code=order.code), "warning")
    elif order.status == "fulfilled" and order.is_booth_sale:
        flash(_("Đã nhận chuyển khoản, đơn %(code)s đã giao xong.", code=order.code))
    else:
        flash(_("Đã ghi nhận chuyển khoản cho đơn %(code)s.", code=order.code))
    return _back_to(url_for("payments.order_vietqr", code=order.code))


@bp.get("/seller/vietqr-sign")
@role_required("seller")
def vietqr_sign():
    signs = []
    for stall in owned_stalls(current_user.id):
        sign = services.stall_sign(stall) if stall.has_bank_account else None
        signs.append((stall, sign, qr_data_uri(sign["payload"]) if sign else None))
    return render_template("payments/vietqr_sign.html", signs=signs)


@bp.get("/seller/vietqr-sign/<int:stall_id>.png")
@role_required("seller")
def vietqr_sign_png(stall_id: int):
    stall = db.get_or_404(Stall, stall_id)
    if stall.owner_id != current_user.id:
        abort(404)
    sign = services.stall_sign(stall)
    return Response(qr_png(sign["payload"]), mimetype="image/png",
                    headers={"Content-Disposition": f"inline; filename=vietqr-{stall.slug}.png"})


# --- The seller's ledger of an order ----------------------------------------------------------


def _ledger_page(order: Order, form: CashForm | None = None, status: int = 200):
    if form is None:
        form = new_cash_form(services.outstanding(order))
    rows = services.ledger(order)
    return render_template(
        "payments/order_payments.html", order=order, rows=rows,
        recorders=services.recorder_names(rows), undone=services.undone_ids(order),
        owed=services.outstanding(order), money=services.money_summary(order), form=form,
        button=EmptyForm(),
    ), status


@bp.get("/seller/orders/<code>/payments")
@role_required("seller")
def order_payments(code: str):
    return _ledger_page(_seller_order(code))


@bp.post("/seller/orders/<code>/payments/cash")
@role_required("seller")
def record_cash(code: str):
    order = _seller_order(code)
    form = CashForm()
    if not form.validate_on_submit():
        return _ledger_page(order, form, 400)
    try:
        services.record_cash(order, form.amount.data, current_user.id, form.once(once.CASH))
    except ValidationError as exc:
        populate_errors(form, exc)
        return _ledger_page(order, form, 400)
    flash(_("Đã ghi nhận tiền mặt cho đơn %(code)s.", code=order.code))
    return _back_to(url_for("payments.order_payments", code=order.code))


def _undo(code: str, payment_id: int, kind: str):
    """Show the confirmation of a correction or refund (GET), or make it (POST)."""
    order = _seller_order(code)
    row = services.find_row(order, payment_id)
    if row is None:
        abort(404)
    form = CorrectionForm() if kind == "correction" else RefundForm()
    status = 200
    if form.validate_on_submit():
        try:
            if kind == "correction":
                services.correct_payment(order, row.id, current_user.id, form.reason.data,
                                         form.once(once.CORRECTION))
                flash(_("Đã sửa khoản ghi nhầm; khoản này không còn tính vào số liệu."))
            else:
                services.refund_payment(order, row.id, current_user.id, form.reason.data,
                                        once=form.once(once.REFUND))
                flash(_("Đã hoàn tiền cho khách."))
        except ValidationError as exc:
            populate_errors(form, exc)
            status = 400
        else:
            return redirect(url_for("payments.order_payments", code=order.code))
    elif request.method == "POST":
        status = 400
    return render_template(
        "payments/undo_payment.html", order=order, row=row, form=form, kind=kind,
        recorders=services.recorder_names([row]), done=services.undone_ids(order).get(row.id),
    ), status


@bp.route("/seller/orders/<code>/payments/<int:payment_id>/correct", methods=["GET", "POST"])
@role_required("seller")
def correct(code: str, payment_id: int):
    return _undo(code, payment_id, "correction")


@bp.route("/seller/orders/<code>/payments/<int:payment_id>/refund", methods=["GET", "POST"])
@role_required("seller")
def refund(code: str, payment_id: int):
    return _undo(code, payment_id, "refund")


@bp.get("/seller/orders/<code>/payments/return")
@role_required("seller")
def confirm_return(code: str):
    order = _seller_order(code)
    money = services.money_summary(order)
    if money.owed_back == 0:
        flash(_("Đơn %(code)s không còn tiền phải trả lại khách.", code=order.code), "info")
        return redirect(url_for("orders.seller_order", code=order.code), code=303)
    return render_template("payments/confirm_return.html", order=order, money=money,
                           form=OnceForm())


@bp.post("/seller/orders/<code>/payments/return")
@role_required("seller")
def record_return(code: str):
    order = _seller_order(code)
    form = OnceForm()
    if not form.validate_on_submit():
        abort(400)
    key = form.once(once.REFUND)  # a missing key is refused (400) before anything happens
    try:
        payment = services.record_return(order, request.form.get("method", ""), current_user.id,
                                         key)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Đã ghi nhận trả lại khách %(amount)s.", amount=format_vnd(-payment.amount)))
    return redirect(url_for("orders.seller_order", code=order.code), code=303)


# --- Bank statement reconciliation ------------------------------------------------------------


@bp.route("/payments/reconcile", methods=["GET", "POST"])
@role_required("seller", "organizer")
def reconcile_upload():
    form = StatementForm()
    if form.validate_on_submit():
        upload = form.statement.data
        try:
            stored = reconcile.store(upload.read(), upload.filename or "", current_user)
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            return redirect(url_for("payments.reconcile_statement", statement_id=stored.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "payments/reconcile.html", form=form, statement=None,
        recent=reconcile.recent_statements(current_user), columns=reconcile.COLUMNS,
    ), status


def _my_statement(statement_id: int):
    stored = reconcile.stored_statement(statement_id, current_user)
    if stored is None:
        abort(404)
    return stored


def _statement_page(stored, status: int = 200):
    return render_template(
        "payments/reconcile.html", form=StatementForm(formdata=None),
        statement=reconcile.match_stored(stored, current_user), stored=stored,
        recent=reconcile.recent_statements(current_user),
        confirm_form=ConfirmStatementForm(formdata=None), columns=reconcile.COLUMNS,
    ), status


@bp.get("/payments/reconcile/<int:statement_id>")
@role_required("seller", "organizer")
def reconcile_statement(statement_id: int):
    return _statement_page(_my_statement(statement_id))


@bp.post("/payments/reconcile/<int:statement_id>/confirm")
@role_required("seller", "organizer")
def reconcile_confirm(statement_id: int):
    stored = _my_statement(statement_id)
    form = ConfirmStatementForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        run_id = reconcile.start_confirm(stored, request.form.getlist("line", type=int),
                                         current_user, form.once(once.RECONCILE))
    except DomainError as exc:
        flash(exc.message, "error")
        return _statement_page(stored, exc.status_code)
    # Recording runs as a background job: its page shows the progress, then the result.
    return redirect(url_for("payments.reconcile_job", run_id=run_id))


def _my_run(run_id: int):
    run = job_progress.owned(run_id, current_user, "reconcile")
    if run is None:
        abort(404)
    return run


@bp.get("/payments/reconcile/jobs/<int:run_id>")
@role_required("seller", "organizer")
def reconcile_job(run_id: int):
    run = _my_run(run_id)
    statement_id = job_progress.params(run).get("statement_id")
    return render_template(
        "jobs/progress.html", run=run, result=job_progress.result(run),
        title=_("Ghi nhận chuyển khoản từ sao kê"),
        status_url=url_for("payments.reconcile_job_status", run_id=run.id),
        back_url=url_for("payments.reconcile_statement", statement_id=statement_id),
        back_label=_("Về sao kê"))


@bp.get("/payments/reconcile/jobs/<int:run_id>.json")
@role_required("seller", "organizer")
def reconcile_job_status(run_id: int):
    return jsonify(job_progress.as_json(_my_run(run_id)))


# --- Card through Stripe Checkout -------------------------------------------------------------


@bp.post("/pay/<code>/card")
def card_checkout(code: str):
    form = CardForm()
    orders = cards.orders_for_code(code)
    token = form.t.data or request.args.get("t")
    if not cards.may_pay(orders, token, current_user):
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    checkout = cards.start_card_checkout(code.upper(), orders)
    return redirect(checkout.url, code=303)


@bp.get("/pay/card/success")
def card_success():
    card = cards.card_checkout_by_session(request.args.get("session_id", ""))
    if card is None:
        abort(404)
    try:
        card = cards.confirm_from_success_page(card)
    except gateway.GatewayError:
        flash(_("Chưa xác nhận được với cổng thanh toán, vui lòng tải lại trang sau ít phút."),
              "warning")
    orders = cards.orders_of(card)
    return render_template("payments/card_success.html", card=card, orders=orders,
                           money={o.id: services.money_summary(o) for o in orders})


@bp.get("/pay/<code>/card/cancel")
def card_cancel(code: str):
    return render_template("payments/card_cancel.html", code=code.upper())


@bp.post("/payments/stripe/webhook")
def stripe_webhook():
    try:
        event = gateway.verify_webhook(request.get_data(), request.headers.get("Stripe-Signature"))
    except gateway.InvalidWebhook as exc:
        return jsonify(error={"code": 400, "message": str(exc)}), 400
    return jsonify(received=True, outcome=cards.handle_event(event))


csrf.exempt(stripe_webhook)
