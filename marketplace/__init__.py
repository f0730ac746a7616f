"""Chợ 4.0: the platform that Vietnam's 4.0 market fairs run on."""

from __future__ import annotations

import functools
import importlib
from contextlib import closing
from pathlib import Path

from flask import Flask, g, has_request_context, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from marketplace import jobs, logs, security
from marketplace.catalog.categories import unit_label
from marketplace.config import engine_options_for, load_config
from marketplace.errors import register_error_handlers
from marketplace.extensions import babel, compress, csrf, db, limiter, login_manager, migrate
from marketplace.formatting import (
    format_date,
    format_datetime_local,
    format_number,
    format_vnd,
    format_weight,
)
from marketplace.sanitize import register_input_guards

BLUEPRINT_MODULES = (
    "main",
    "accounts",
    "catalog",
    "provenance",
    "fairs",
    "orders",
    "payments",
    "reports",
    "imports",
    "api",
    "messages",
    "helpers",
    "delivery",
)


class App(Flask):
    """Flask, remembering which views and hooks are plain functions.

    Flask asks inspect whether each of the ~15 hooks and the view of a request is a coroutine
    function, on every request; the answer never changes, so it is asked once per function.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync: dict = {}

    def ensure_sync(self, func):
        try:
            return self._sync[func]
        except KeyError:
            found = super().ensure_sync(func)
            if len(self._sync) < 1000:  # views and hooks are registered once: a few dozen
                self._sync[func] = found
            return found
        except TypeError:  # an unhashable callable: ask every time
            return super().ensure_sync(func)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, error handlers, commands."""
    app = App(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.update(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
        if "SQLALCHEMY_ENGINE_OPTIONS" not in test_config:
            uri = app.config["SQLALCHEMY_DATABASE_URI"]
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options_for(uri)
    # Bound parameters hold names, phones and addresses: never in an error message or log.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"], "hide_parameters": True
    }
    logs.install(app.logger)
    app.session_interface = CookieSessions()
    register_upload_limits(app)  # first: CSRF and the input guards read the form
    register_extensions(app)
    register_input_guards(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_error_handlers(app)
    security.install(app)
    register_commands(app)
    install_page_cache(app)
    jobs.init_app(app)
    install_proxy_fix(app)
    return app


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions; a request without the cookie (most label scans) gets an
    empty session without building the signer first, and an empty session that nobody changed
    is not saved (Flask would work out the cookie's settings, then do nothing)."""

    def open_session(self, app: Flask, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        if not session and not session.modified:  # nothing to set, nothing to delete
            return
        super().save_session(app, session, response)


def install_proxy_fix(app: Flask) -> None:
    """Trust X-Forwarded-* from the configured number of proxies (outermost, so all see it)."""
    counts = {
        name: app.config.get(f"PROXY_FIX_{name.upper()}", 0)
        for name in ("x_for", "x_proto", "x_host", "x_port", "x_prefix")
    }
    if any(counts.values()):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, **counts)


def install_page_cache(app: Flask) -> None:
    # In front of Flask: anonymous /p/<code> views from a seconds-old copy (scans still counted).
    from marketplace.provenance import fastpath

    fastpath.install(app)


def select_locale() -> str:
    """Pick the user's language: account setting, then session, then Vietnamese."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and background threads
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    lang = session.get("lang")
    return lang if lang in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


# Uploads that may be larger than MAX_CONTENT_LENGTH, by endpoint: the config key in MB.
LARGE_UPLOADS = {"imports.seller_upload": "IMPORT_MAX_MB"}  # a season's sales export


def register_upload_limits(app: Flask) -> None:
    @app.before_request
    def allow_large_upload():
        key = LARGE_UPLOADS.get(request.endpoint or "")
        if key is not None:
            request.max_content_length = int(app.config[key]) * 1024 * 1024


def register_extensions(app: Flask) -> None:
    import marketplace.models  # noqa: F401  (the whole schema, for Alembic)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True,
        compare_type=True,
    )
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.refresh_view = "accounts.login"
    csrf.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
    limiter.init_app(app)
    compress.init_app(app)

    @app.after_request  # runs before Flask-Compress's hook (hooks run last-registered first)
    def _read_static_file(response):
        # Flask-Compress streams a file response without closing the file; our CSS and JS are
        # a few KB, so hand it the bytes and close the file here.
        if (response.direct_passthrough and request.endpoint == "static"
                and response.status_code == 200):
            with closing(response.response):
                data = b"".join(response.response)
            response.direct_passthrough = False
            response.set_data(data)
        return response

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Vui lòng đăng nhập để tiếp tục.")

    from marketplace.accounts.models import User

    @login_manager.user_loader
    def load_user(alternative_id: str):
        # "<id>.<session version>": a cookie from before a password change or "log out
        # everywhere" (or from before versions existed) names an old version and is refused.
        user_id, _, version = alternative_id.partition(".")
        if not (user_id.isdigit() and version.isdigit()):
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.active or user.session_version != int(version):
            return None
        return user


def register_blueprints(app: Flask) -> None:
    for name in BLUEPRINT_MODULES:
        module = importlib.import_module(f"marketplace.{name}.views")
        app.register_blueprint(module.bp)


def register_template_helpers(app: Flask) -> None:
    from marketplace.channels import enabled as message_channels

    app.jinja_env.globals["message_channels"] = message_channels
    app.jinja_env.filters["vnd"] = format_vnd
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["weight"] = format_weight
    from marketplace.catalog.quantities import plain, step_of

    app.jinja_env.filters["qty"] = format_weight  # a quantity as exact as sold: 2, 1,5, 0,25
    app.jinja_env.filters["plain_qty"] = plain  # for form values: "1.5", "2"
    app.jinja_env.filters["qty_step"] = step_of  # a product's <input step>
    app.jinja_env.filters["unit"] = unit_label
    app.jinja_env.filters["local_dt"] = format_datetime_local
    app.jinja_env.filters["local_date"] = format_date
    app.jinja_env.add_extension("jinja2.ext.do")

    from flask_babel import get_locale, get_translations

    def translated() -> _Translated:
        # Templates call _() dozens of times a page and Flask-Babel finds the locale and the
        # catalog again on each call: find them once per request (g). The app never switches
        # locale within a request (no force_locale), so the first answer holds. (Not once per
        # render: an imported macro keeps the eval context of the request that imported it.)
        found = g.get("_translated")
        if found is None:
            found = g._translated = _translated(get_translations())
        return found

    @pass_eval_context
    def gettext(eval_ctx: EvalContext, string: str, **variables) -> str:
        # The global _(): macros imported without context (and renders outside a request)
        # reach this one; a page's own templates get the request's bound _() below.
        return translated().gettext(eval_ctx, string, **variables)

    app.jinja_env.globals["url_for"] = _memo_url_for(app)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translated().catalog.ugettext(s),
        ngettext=lambda s, p, n: translated().catalog.ungettext(s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(_=gettext, gettext=gettext)

    @app.before_request
    def vietnamese_form_messages():
        # WTForms ships no Vietnamese; Flask-WTF reads this request attribute first.
        if str(get_locale()) == "vi":
            request.wtforms_translations = _wtforms_vi()

    @app.url_defaults
    def version_static_files(endpoint: str, values: dict) -> None:
        # A content hash in /static URLs lets the proxy cache them for a year safely.
        if endpoint == "static" and "v" not in values and values.get("filename"):
            version = _static_version(app.static_folder, values["filename"])
            if version:
                values["v"] = version

    @app.context_processor
    def inject_globals():
        # _() bound to the request's language for this render: a page calls it ~40 times, and
        # a context variable is found without asking Flask-Babel or g each time.
        strings = translated()
        return {"current_locale": str(get_locale()), "request_path": request.path,
                "_": strings.gettext, "gettext": strings.gettext}


class _Translated(dict):
    """A language's template strings, looked up once: [msgid, False] is the translation,
    [msgid, True] the escaped text a template shows for _(msgid) without variables."""

    def __init__(self, catalog):
        super().__init__()
        self.catalog = catalog

        @pass_eval_context
        def gettext(eval_ctx: EvalContext, string: str, **variables) -> str:
            # What Jinja's newstyle gettext does (translate, escape, then always format),
            # without its two extra context calls, each string translated and escaped once.
            if variables:
                return (Markup(self[string, False]) if eval_ctx.autoescape
                        else self[string, False]) % variables
            return self[string, True] if eval_ctx.autoescape else self[string, False] % {}

        self.gettext = gettext

    def __missing__(self, key: tuple[str, bool]) -> str:
        string, escaped = key
        text = self.catalog.ugettext(string)
        value = (Markup(text) % {}) if escaped else text
        if len(self) < 20_000:  # templates translate literals; bound it all the same
            self[key] = value
        return value


def _translated(catalog) -> _Translated:
    """Return the remembered strings of a catalog (one per language, loaded once)."""
    try:
        return catalog.cho40_translated
    except AttributeError:
        catalog.cho40_translated = _Translated(catalog)
        return catalog.cho40_translated


def _memo_url_for(app: Flask):
    """Return the templates' url_for, remembering relative URLs already built.

    A page builds the same dozen links on every request (menu, stylesheet, forms) and Werkzeug
    builds each from the rules again; a URL depends only on the endpoint, its arguments and the
    script root here (no url_defaults, no subdomains), so it is built once.
    """
    built: dict[tuple, str] = {}

    def memo_url_for(endpoint: str, **values) -> str:
        try:
            key = (request.script_root, endpoint, *sorted(values.items()))
            found = built.get(key)
        except (TypeError, RuntimeError):  # unhashable arguments, or no request
            return url_for(endpoint, **values)
        if found is None:
            found = url_for(endpoint, **values)
            if len(built) < 20_000 and not any(k.startswith("_") for k in values):
                built[key] = found
        return found

    return memo_url_for


@functools.cache
def _static_version(folder: str, filename: str) -> str | None:
    """Return a short hash of a static file's bytes (None if it does not exist)."""
    import hashlib

    path = Path(folder) / filename
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


@functools.cache
def _wtforms_vi():
    from babel.support import Translations

    return Translations.load(
        str(Path(__file__).parent / "translations"), ["vi"], domain="wtforms"
    )


def register_commands(app: Flask) -> None:
    from marketplace.cli import register

    register(app)
