"""Register, log in and out, change password, the personal page."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace.accounts import services
from marketplace.accounts.forms import ChangePasswordForm, LoginForm, RegisterForm
from marketplace.auth import safe_next
from marketplace.errors import ValidationError, populate_errors
from marketplace.extensions import limiter
from marketplace.forms import EmptyForm

bp = Blueprint("accounts", __name__)


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.me"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_user(
                name=form.name.data,
                email=form.email.data,
                phone=form.phone.data,
                password=form.password.data,
                role=form.role.data,
            )
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            login_user(user)
            flash(_("Chào mừng %(name)s! Tài khoản đã được tạo.", name=user.name), "success")
            return redirect(url_for("accounts.me"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/register.html", form=form), status


def _login_failed(response) -> bool:
    """Count only failed login attempts towards the rate limit."""
    return getattr(g, "login_failed", False)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"], deduct_when=_login_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.me"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.login.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            flash(_("Xin chào %(name)s!", name=user.name), "success")
            return redirect(safe_next(request.args.get("next"), url_for("accounts.me")))
        g.login_failed = True
        form.form_errors.append(_("Sai email/số điện thoại hoặc mật khẩu."))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("main.index"))


@bp.route("/me")
@login_required
def me():
    return render_template("accounts/me.html")


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            flash(_("Đã đổi mật khẩu."), "success")
            return redirect(url_for("accounts.me"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/password.html", form=form), status
