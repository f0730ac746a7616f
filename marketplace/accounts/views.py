"""Register, log in and out, change or reset a password, the personal page."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from marketplace.accounts import services
from marketplace.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    IssueResetCodeForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    ResetWithCodeForm,
)
from marketplace.auth import role_required, safe_next
from marketplace.errors import ValidationError, populate_errors
from marketplace.extensions import limiter
from marketplace.forms import EmptyForm

bp = Blueprint("accounts", __name__)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT"], methods=["POST"],
               deduct_when=lambda response: response.status_code == 400)
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
    """Count only failed login attempts towards the rate limits."""
    return getattr(g, "login_failed", False)


def _login_account() -> str:
    """Key the per-account limit by the login typed, spelled one way (any client address)."""
    return "account:" + services.login_key(request.form.get("login"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_IP_LIMIT"], methods=["POST"],
               deduct_when=_login_failed)
@limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_LIMIT"], methods=["POST"],
               key_func=_login_account, deduct_when=_login_failed)
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
        logout_user()  # also deletes the remember-me cookie
        flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("main.index"))


@bp.post("/me/logout-everywhere")
@login_required
def logout_everywhere():
    form = EmptyForm()
    if form.validate_on_submit():
        services.end_all_sessions(current_user)
        logout_user()
        flash(_("Bạn đã đăng xuất trên mọi thiết bị."), "info")
        return redirect(url_for("accounts.login"))
    flash(_("Phiên làm việc đã hết hạn. Vui lòng tải lại trang và thử lại."), "error")
    return redirect(url_for("accounts.me"))


@bp.route("/me")
@login_required
def me():
    return render_template("accounts/me.html", form=EmptyForm())


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
            # Other devices are signed out; this one stays, with a fresh cookie.
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            login_user(current_user._get_current_object(), remember=remembered in request.cookies)
            flash(_("Đã đổi mật khẩu. Các thiết bị khác đã được đăng xuất."), "success")
            return redirect(url_for("accounts.me"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/password.html", form=form), status


# --- Forgotten password ------------------------------------------------------------------------


def _reset_email_key() -> str:
    return "reset:" + services.login_key(request.form.get("email"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_LIMIT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_LIMIT"], methods=["POST"],
               key_func=_reset_email_key)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        # The same answer whether or not the address has an account.
        return render_template("accounts/forgot_sent.html")
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/forgot.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = services.user_for_reset_token(token)
    if user is None:
        return render_template("accounts/reset_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.password.data)
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            logout_user()
            flash(_("Đã đặt mật khẩu mới. Vui lòng đăng nhập."), "success")
            return redirect(url_for("accounts.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/reset.html", form=form, user=user), status


def _reset_code_phone_key() -> str:
    return "reset-code:" + services.login_key(request.form.get("phone"))


@bp.route("/password/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_IP_LIMIT"], methods=["POST"],
               deduct_when=_login_failed)
@limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_LIMIT"], methods=["POST"],
               key_func=_reset_code_phone_key, deduct_when=_login_failed)
def reset_with_code():
    form = ResetWithCodeForm()
    if form.validate_on_submit():
        try:
            services.reset_password_with_code(form.phone.data, form.code.data,
                                              form.password.data)
        except ValidationError as exc:
            g.login_failed = exc.field == "code"
            populate_errors(form, exc)
        else:
            logout_user()
            flash(_("Đã đặt mật khẩu mới. Vui lòng đăng nhập."), "success")
            return redirect(url_for("accounts.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/reset_code.html", form=form), status


@bp.route("/organizer/password-codes", methods=["GET", "POST"])
@role_required("organizer")
def issue_reset_code():
    form = IssueResetCodeForm()
    if form.validate_on_submit():
        try:
            issued = services.issue_reset_code(current_user, form.phone.data)
        except ValidationError as exc:
            populate_errors(form, exc)
        else:
            # The code is shown on this response only, never stored in clear or flashed.
            return render_template("accounts/code_issued.html", issued=issued,
                                   hours=current_app.config["RESET_CODE_HOURS"])
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/issue_code.html", form=form), status
