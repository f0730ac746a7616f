"""The account's message settings page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.messages import services
from marketplace.messages.forms import NotificationsForm

bp = Blueprint("messages", __name__)
bp.add_app_template_global(services.order_messages, "order_messages_of")


@bp.route("/me/notifications", methods=["GET", "POST"])
@login_required
def settings():
    # On POST an unticked box sends nothing: read the form alone, never the stored values.
    form = NotificationsForm(obj=current_user if request.method == "GET" else None)
    if form.validate_on_submit():
        services.update_settings(current_user, orders=form.notify_orders.data,
                                 zalo=form.notify_zalo.data,
                                 daily_summary=form.notify_daily_summary.data)
        flash(_("Đã lưu cài đặt thông báo."), "success")
        return redirect(url_for("messages.settings"), code=303)
    return render_template("messages/settings.html", form=form), 400 if form.errors else 200
