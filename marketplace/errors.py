"""Domain errors raised by services, and the HTTP error pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A rule of the domain was broken; the message is shown to the user."""

    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """Input broke a rule; field names the form field it belongs to (or None)."""

    def __init__(self, field: str | None, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


class ValidationErrors(ValidationError):
    """Several fields broke their rules at once; each message goes next to its own field."""

    def __init__(self, errors: list[ValidationError]):
        super().__init__(errors[0].field, errors[0].reason)
        self.message = " ".join(e.reason for e in errors)
        self.errors = errors


class Checks:
    """Run independent field checks and report every failure at once, not only the first.

        checks = Checks()
        with checks.field():
            out["price"] = parse_price(data["price"])
        ...
        checks.done()  # raises ValidationError (one) or ValidationErrors (several)
    """

    def __init__(self) -> None:
        self.errors: list[ValidationError] = []

    @contextmanager
    def field(self) -> Iterator[None]:
        try:
            yield
        except ValidationError as exc:
            self.errors.extend(getattr(exc, "errors", [exc]))

    def failed(self, *fields: str) -> bool:
        """Tell whether any of these fields already has an error (skip checks built on them)."""
        return any(e.field in fields for e in self.errors)

    def done(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise ValidationErrors(self.errors)


class OutOfStock(DomainError):
    """Not enough stock for a product."""

    status_code = 409

    def __init__(self, product_name: str, available):
        from marketplace.formatting import format_weight

        super().__init__(_("Không đủ hàng: %(name)s chỉ còn %(n)s.", name=product_name,
                           n=format_weight(available)))
        self.product_name = product_name
        self.available = available


class Conflict(DomainError):
    """The action clashes with the current state (already done, taken, …)."""

    status_code = 409


def populate_errors(form, error: ValidationError) -> None:
    """Attach a service ValidationError (or each of ValidationErrors) to its form field."""
    for each in getattr(error, "errors", [error]):
        field = getattr(form, each.field, None) if each.field else None
        if field is not None:
            field.errors = [*field.errors, each.reason] if field.errors else [each.reason]
        else:
            form.form_errors.append(each.reason)


def wants_json() -> bool:
    """Answer in JSON for API paths and clients that prefer JSON."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes[
        "text/html"
    ]


_TITLES = {
    400: _l("Yêu cầu không hợp lệ"),
    403: _l("Bạn không có quyền xem trang này"),
    404: _l("Không tìm thấy trang"),
    405: _l("Thao tác không được phép"),
    409: _l("Không thực hiện được"),
    410: _l("Sản phẩm không còn bán"),
    413: _l("Tệp quá lớn"),
    429: _l("Bạn thao tác quá nhanh"),
    500: _l("Máy chủ gặp sự cố"),
    503: _l("Dịch vụ tạm thời gián đoạn"),
}


def _error_response(code: int, message: str | None = None, fields: list | None = None):
    title = str(_TITLES.get(code) or _("Có lỗi xảy ra"))
    if wants_json():
        body = {"code": code, "title": title, "message": message or title}
        if fields:
            body["fields"] = fields
        return jsonify(error=body), code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def register_error_handlers(app: Flask) -> None:
    """Render friendly pages (or JSON under /api/) for HTTP and domain errors."""

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        message = None
        if exc.code == 429:
            message = _("Vui lòng đợi một phút rồi thử lại.")
        elif exc.code == 400 and getattr(exc, "description", None):
            # CSRF and bad requests explain themselves in the user's language.
            from flask_wtf.csrf import CSRFError

            if isinstance(exc, CSRFError):
                message = _("Phiên làm việc đã hết hạn. Vui lòng tải lại trang và thử lại.")
        elif exc.code == 413:
            message = _("Tệp tải lên quá lớn.")
        return _error_response(exc.code or 500, message)

    @app.errorhandler(DomainError)
    def handle_domain(exc: DomainError):
        fields = [{"field": e.field, "message": e.reason}
                  for e in getattr(exc, "errors", [])]
        return _error_response(exc.status_code, exc.message, fields)

    @app.errorhandler(500)
    def handle_500(exc):
        # A failed transaction must not stop the page (navigation loads the user) rendering.
        from marketplace.extensions import db

        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the page matters more than a broken connection
            app.logger.warning("rollback before the error page failed", exc_info=True)
        return _error_response(500)
