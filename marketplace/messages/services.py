"""Who is told what, when: write each event's messages once, then send them in background jobs."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from marketplace import channels, jobs
from marketplace.accounts.models import User
from marketplace.catalog.models import Stall
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.fairs.models import Fair
from marketplace.formatting import (
    format_datetime_local,
    format_vnd,
    local_day_bounds,
    to_local,
)
from marketplace.messages.models import Message, MessageStatus
from marketplace.orders import signals as order_signals
from marketplace.orders.models import Checkout, Order, OrderStatus

log = logging.getLogger(__name__)

DELIVER = "marketplace.messages.services.deliver"


@dataclass(frozen=True)
class Recipient:
    """Where one person may be told things, in their language."""

    locale: str
    email: str | None = None
    phone: str | None = None  # for Zalo/SMS, only when the person opted in


def _locale(value: str | None) -> str:
    languages = current_app.config["LANGUAGES"]
    return value if value in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def shopper_of(order: Order) -> Recipient:
    """The shopper as the checkout recorded them (an account's own settings come first)."""
    checkout: Checkout | None = order.checkout
    user: User | None = order.customer
    email = (checkout.customer_email if checkout else None) or (user.email if user else None)
    opted_in = bool(checkout and checkout.notify_zalo) or bool(user and user.notify_zalo)
    locale = (user.locale if user else None) or (checkout.locale if checkout else None)
    return Recipient(_locale(locale), email or None,
                     order.customer_phone if opted_in and order.customer_phone else None)


def _user_recipient(user: User) -> Recipient:
    return Recipient(_locale(user.locale), user.email or None,
                     user.phone if user.notify_zalo and user.phone else None)


def _absolute(endpoint: str, **values) -> str:
    """A full link on the public site, also from a job or a command (no request there)."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context():
            path = url_for(endpoint, **values)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def payment_deadline(order: Order) -> datetime | None:
    """When an unpaid transfer/card order is cancelled (None: it does not expire, or is paid)."""
    from marketplace.orders.services import payment_deadline as deadline

    return deadline(order)


# --- writing an event's messages ---------------------------------------------------------------


@dataclass
class Draft:
    kind: str
    subject: str
    body: str
    data: dict


def _render(kind: str, recipient: Recipient, **context) -> Draft:
    """Render the event's subject, text and Zalo fields in the recipient's language."""
    with force_locale(recipient.locale):
        subject, data = SUBJECTS[kind](**context)
        # Straight from the Jinja environment: no page context (a job has no request).
        body = current_app.jinja_env.get_template(f"messages/{kind}.txt").render(**context)
    return Draft(kind, subject, body, data)


def _insert_ignoring_repeats(rows: list[dict]) -> list[int]:
    """Insert message rows; a row whose (event, channel, recipient) exists is skipped."""
    if not rows:
        return []
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    stmt = (dialect.insert(Message).values(rows).on_conflict_do_nothing()
            .returning(Message.id))
    return list(db.session.scalars(stmt))


def _write(event: str, order_id: int | None, recipient: Recipient, draft: Draft) -> list[dict]:
    on = channels.enabled()
    addresses = []
    if recipient.email and channels.EMAIL in on:
        addresses.append((channels.EMAIL, recipient.email))
    if recipient.phone:
        addresses += [(c, recipient.phone) for c in (channels.ZALO, channels.SMS) if c in on]
    return [{"event": event, "kind": draft.kind, "channel": channel, "recipient": address,
             "locale": recipient.locale, "subject": draft.subject, "body": draft.body,
             "data": json.dumps(draft.data, ensure_ascii=False), "order_id": order_id,
             "status": MessageStatus.PENDING.value, "attempts": 0, "last_error": "",
             "created_at": utcnow()}
            for channel, address in addresses]


def _send_new(rows: list[dict]) -> list[int]:
    """Store the messages (once per event) in their own commit, then queue their sending."""
    ids = _insert_ignoring_repeats(rows)
    db.session.commit()
    for message_id in ids:
        jobs.enqueue(DELIVER, message_id)
    return ids


def order_placed(order_ids: list[int]) -> list[int]:
    """Tell the shopper (link, payment QR, deadline) and each seller (a new order)."""
    if not channels.enabled():
        return []
    rows = []
    for order in db.session.scalars(sa.select(Order).where(Order.id.in_(order_ids))):
        shopper = shopper_of(order)
        context = _order_context(order)
        rows += _write(f"order_placed:{order.code}", order.id, shopper,
                       _render("order_placed", shopper, **context))
        owner = order.stall.owner
        if owner is not None and owner.notify_orders:
            seller = _user_recipient(owner)
            rows += _write(f"new_order:{order.code}", order.id, seller,
                           _render("new_order", seller, **context))
    return _send_new(rows)


def order_ready(order_id: int) -> list[int]:
    """Tell the shopper that the order waits at the pickup place, or is on its way."""
    order = db.session.get(Order, order_id)
    if order is None or not channels.enabled():
        return []
    shopper = shopper_of(order)
    rows = _write(f"order_ready:{order.code}", order.id, shopper,
                  _render("order_ready", shopper, **_order_context(order)))
    return _send_new(rows)


def _order_context(order: Order) -> dict:
    deadline = payment_deadline(order)
    context = {
        "order": order, "stall": order.stall, "total": format_vnd(order.total),
        "link": _absolute("orders.track", code=order.code, t=order.access_token),
        "deadline": format_datetime_local(deadline) if deadline else "",
        "pay_link": "", "seller_link": _absolute("orders.seller_order", code=order.code),
    }
    if deadline and order.payment_method == "vietqr":
        context["pay_link"] = _absolute("payments.order_vietqr", code=order.code,
                                        t=order.access_token)
    elif deadline:  # card: the order's page carries the pay-by-card button
        context["pay_link"] = context["link"]
    return context


def send_closing_summaries(now: datetime | None = None) -> list[int]:
    """After closing time, send each opted-in organizer the day's figures of their open fairs."""
    if not channels.enabled():
        return []
    local = to_local(now or utcnow())
    if local.hour < current_app.config["FAIR_CLOSING_HOUR"]:
        return []
    from marketplace.reports.figures import totals
    from marketplace.reports.scope import Scope

    start, end = local_day_bounds(local.date())
    fairs = db.session.scalars(
        sa.select(Fair).join(User, User.id == Fair.organizer_id)
        .where(Fair.starts_at < end, Fair.ends_at > start, User.notify_daily_summary)
        .order_by(Fair.id)
    )
    rows = []
    for fair in fairs:
        figures = totals(Scope(order_conds=[Order.fair_id == fair.id], period=(start, end)))
        organizer = _user_recipient(fair.organizer)
        context = {"fair": fair, "day": local.strftime("%d/%m/%Y"),
                   "orders": figures.orders, "sales": format_vnd(figures.sales_vnd),
                   "paid": format_vnd(figures.paid_vnd),
                   "link": _absolute("reports.fair", slug=fair.slug)}
        rows += _write(f"day_summary:{fair.id}:{local.date().isoformat()}", None, organizer,
                       _render("day_summary", organizer, **context))
    return _send_new(rows)


SUBJECTS = {
    "order_placed": lambda order, total, deadline, link, **_kw: (
        _("Đơn hàng %(code)s tại %(stall)s", code=order.code, stall=order.stall.name),
        {"order_code": order.code, "stall": order.stall.name, "amount": total,
         "deadline": deadline, "link": link},
    ),
    "new_order": lambda order, total, seller_link, **_kw: (
        _("Đơn mới %(code)s: %(total)s", code=order.code, total=total),
        {"order_code": order.code, "customer": order.customer_name, "amount": total,
         "link": seller_link},
    ),
    "order_ready": lambda order, link, **_kw: (
        _("Đơn %(code)s đã được gửi đi", code=order.code)
        if order.fulfilment == "delivery"
        else _("Đơn %(code)s đã sẵn sàng để nhận", code=order.code),
        {"order_code": order.code, "stall": order.stall.name, "link": link},
    ),
    "day_summary": lambda fair, day, orders, sales, link, **_kw: (
        _("%(fair)s: tổng kết ngày %(day)s", fair=fair.name, day=day),
        {"fair": fair.name, "day": day, "orders": str(orders), "sales": sales, "link": link},
    ),
}


# --- sending (the job) -------------------------------------------------------------------------


def max_attempts() -> int:
    return len(jobs.retry_intervals()) + 1


def deliver(message_id: int) -> str:
    """Send one stored message once; on failure retry (raise) until the last try, then report."""
    claimed = db.session.execute(
        sa.update(Message)
        .where(Message.id == message_id, Message.status == MessageStatus.PENDING.value)
        .values(status=MessageStatus.SENDING.value, attempts=Message.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    message = db.session.get(Message, message_id)
    if not claimed or message is None:
        return "skipped"  # sent already, or being sent by another worker
    try:
        channels.send(_outgoing(message))
    except channels.DeliveryError as exc:
        final = message.attempts >= max_attempts()
        message.status = (MessageStatus.FAILED if final else MessageStatus.PENDING).value
        message.last_error = str(exc)[:500]
        db.session.commit()
        if final:
            log.error("message %s (%s to %s) failed for good: %s", message.id, message.kind,
                      message.channel, exc)
            return "failed"
        raise
    message.status, message.sent_at = MessageStatus.SENT.value, utcnow()
    db.session.commit()
    return "sent"


def _outgoing(message: Message) -> channels.Outgoing:
    attachments = []
    if message.channel == channels.EMAIL and message.kind == "order_placed":
        attachments = _payment_qr(message.order_id)
    return channels.Outgoing(
        channel=message.channel, recipient=message.recipient, kind=message.kind,
        subject=message.subject, body=message.body, data=json.loads(message.data or "{}"),
        tracking_id=f"cho40-{message.id}", attachments=attachments,
    )


def _payment_qr(order_id: int | None) -> list[tuple[str, str, bytes]]:
    """The order's VietQR as a PNG, when it is still to be paid by transfer."""
    from marketplace.payments.services import order_vietqr
    from marketplace.qr import qr_png

    order = db.session.get(Order, order_id) if order_id else None
    if order is None or payment_deadline(order) is None or order.payment_method != "vietqr":
        return []
    stall: Stall = order.stall
    if not stall.has_bank_account:
        return []
    payload = order_vietqr(order).get("payload")
    return [(f"vietqr-{order.code}.png", "image/png", qr_png(payload))] if payload else []


def order_messages(order_id: int) -> list[Message]:
    """The messages sent (or tried) about an order, oldest first."""
    return list(db.session.scalars(
        sa.select(Message).where(Message.order_id == order_id).order_by(Message.id)))


def update_settings(user: User, *, orders: bool, zalo: bool, daily_summary: bool) -> None:
    """Save which messages the person wants; each role keeps only what applies to it."""
    user.notify_orders = bool(orders) if user.role == "seller" else user.notify_orders
    user.notify_zalo = bool(zalo) and bool(user.phone)
    user.notify_daily_summary = bool(daily_summary) and user.role == "organizer"
    db.session.commit()


# --- what orders tell (orders.signals): messages follow an order's life ------------------------


def _tell(send, *args) -> None:
    """Queue an event's messages; a failure there never undoes the order (it is committed)."""
    try:
        send(*args)
    except Exception:
        db.session.rollback()
        log.exception("could not queue messages %s%r", send.__name__, args)


@order_signals.orders_placed.connect
def _orders_placed(_sender, *, order_ids: list[int], **_kw) -> None:
    _tell(order_placed, order_ids)


@order_signals.status_changed.connect
def _order_ready(_sender, *, order: Order, **_kw) -> None:
    if order.status == OrderStatus.READY:
        _tell(order_ready, order.id)
