"""Serve /p/<code> to anonymous visitors from a short-lived in-process copy of the page.

A label is scanned far more often than its product changes, and Flask's request pipeline alone
costs about what a whole minimal page does. This WSGI middleware sits in front of the Flask app
and answers GET /p/<canonical code>[?lot=…] for visitors who are not logged in from a copy of
the page the normal view rendered less than PROVENANCE_PAGE_CACHE_SECONDS ago (10; 0 turns it
off), keyed by (code, lot, language). On such a hit it still does what the view does:
  - counts the scan through the scans buffer (same product, labelled batch and fair);
  - remembers the fair visit in the session when the stall's fair is open;
  - fills the visitor's own CSRF token into the page's forms, creating the session exactly as
    Flask and Flask-WTF do (their serializers, salts and cookie settings).
Everything else goes to Flask: other paths and methods, hand-typed spellings (301), unknown or
withdrawn codes, any session holding more than a shopper's cart, language, CSRF token and fair
visit (a logged-in user, flashed messages …), a remember-me cookie or an Authorization header.
A commit that touches catalog, provenance or fair rows empties this process's copies; other
processes see the change within the TTL. Memory is bounded (LRU, PROVENANCE_PAGE_CACHE_SIZE).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import parse_qsl

import sqlalchemy as sa
import werkzeug.urls  # noqa: F401  (registers the "werkzeug.url_quote" codec error handler)
from flask import Flask
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.http import dump_cookie, parse_cookie

from marketplace.catalog.codes import normalize_code
from marketplace.fairs.services import remember_fair_visit

ENVIRON_KEY = "cho40.provenance_page"  # the view describes a cacheable page here
DEFAULT_SECONDS = 10.0
DEFAULT_SIZE = 2000
# Session keys that do not change what the page shows (or are refreshed by the hit itself).
ANONYMOUS_KEYS = frozenset(
    {"csrf_token", "lang", "fair_visit", "cart", "checkouts", "_fresh", "_permanent"}
)
# Commits touching rows of these packages may change a provenance page.
WATCHED_MODULES = (
    "marketplace.catalog.",
    "marketplace.provenance.",
    "marketplace.fairs.",
    "marketplace.storage",
)
_caches: weakref.WeakSet[ProvenancePageCache] = weakref.WeakSet()


@dataclass(frozen=True)
class Entry:
    """One rendered page, with what a hit needs to count the scan like the view does."""

    body: bytes  # the page, with PLACEHOLDER where the visitor's CSRF token goes
    headers: tuple[tuple[str, str], ...]
    has_token: bool
    product_id: int
    batch_id: int | None
    fair_id: int | None
    expires: float  # time.time() after which the copy is stale


def describe(environ: dict, **meta) -> None:
    """Let the view tell the middleware what the page it rendered counts (only on a miss)."""
    capture = environ.get(ENVIRON_KEY)
    if capture is not None:
        capture.update(meta)


def clear_all() -> None:
    """Forget every cached page in this process (after an edit)."""
    for cache in list(_caches):
        cache.clear()


class ProvenancePageCache:
    """WSGI middleware: the anonymous provenance page from memory, scans still counted."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.placeholder = b"__cho40_csrf_" + secrets.token_hex(12).encode() + b"__"
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._ready = False
        _caches.add(self)

    # --- settings, read once the app is configured ------------------------------------------

    def _setup(self) -> None:
        app, cfg = self.app, self.app.config
        self.seconds = float(cfg.get("PROVENANCE_PAGE_CACHE_SECONDS", DEFAULT_SECONDS) or 0)
        self.size = int(cfg.get("PROVENANCE_PAGE_CACHE_SIZE", DEFAULT_SIZE))
        interface = app.session_interface
        if not isinstance(interface, SecureCookieSessionInterface) or not app.secret_key:
            self.seconds = 0  # only Flask's signed-cookie sessions are understood here
        if self.seconds > 0:
            self.interface = interface
            self.session_serializer = interface.get_signing_serializer(app)
            self.max_age = int(app.permanent_session_lifetime.total_seconds())
            self.cookie_name = interface.get_cookie_name(app)
            self.cookie_args = {
                "domain": interface.get_cookie_domain(app),
                "path": interface.get_cookie_path(app),
                "secure": interface.get_cookie_secure(app),
                "partitioned": interface.get_cookie_partitioned(app),
                "samesite": interface.get_cookie_samesite(app),
                "httponly": interface.get_cookie_httponly(app),
            }
            self.remember_cookie = cfg.get("REMEMBER_COOKIE_NAME", "remember_token")
            self.languages = tuple(cfg["LANGUAGES"])
            self.default_locale = cfg["BABEL_DEFAULT_LOCALE"]
            self.csrf_field = cfg.get("WTF_CSRF_FIELD_NAME", "csrf_token")
            self.csrf_serializer = URLSafeTimedSerializer(
                cfg.get("WTF_CSRF_SECRET_KEY") or app.secret_key, salt="wtf-csrf-token"
            )
            self.refresh_each_request = cfg["SESSION_REFRESH_EACH_REQUEST"]
            self.max_cookie_size = cfg.get("MAX_COOKIE_SIZE", 4093)
            from marketplace.provenance.scans import recorder

            self.recorder = recorder(app)
        self._ready = True

    # --- the cache ---------------------------------------------------------------------------

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _get(self, key: tuple, now: float) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= now:
            with self._lock:
                if self._entries.get(key) is entry:
                    del self._entries[key]
            return None
        try:
            self._entries.move_to_end(key)
        except KeyError:  # evicted meanwhile by another thread
            pass
        return entry

    def _put(self, key: tuple, entry: Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    # --- WSGI --------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        if not self._ready:
            self._setup()
        path = environ.get("PATH_INFO", "")
        if (
            self.seconds <= 0
            or not path.startswith("/p/")
            or environ.get("REQUEST_METHOD") != "GET"
            or "HTTP_AUTHORIZATION" in environ
        ):
            return self.wsgi_app(environ, start_response)
        code = path[3:]
        if normalize_code(code) != code:  # hand-typed spelling, QR image, unknown shape
            return self.wsgi_app(environ, start_response)
        visitor = self._anonymous_session(environ)
        lot = _lot(environ.get("QUERY_STRING", ""))
        if visitor is None or lot is False:
            return self.wsgi_app(environ, start_response)
        lang = visitor.get("lang")
        locale = lang if lang in self.languages else self.default_locale
        key = (environ.get("SCRIPT_NAME", ""), code, lot, locale)
        now = time.time()
        entry = self._get(key, now)
        if entry is None:
            return self._miss(environ, start_response, key, now)
        return self._hit(entry, visitor, start_response, now)

    def _anonymous_session(self, environ) -> dict | None:
        """Return the visitor's session data, or None if the page may differ for them."""
        header = environ.get("HTTP_COOKIE")
        if not header:
            return {}
        cookies = parse_cookie(header)
        if self.remember_cookie in cookies:  # Flask-Login would log them in from it
            return None
        raw = cookies.get(self.cookie_name)
        if not raw:
            return {}
        try:
            data = self.session_serializer.loads(raw, max_age=self.max_age)
        except BadData:
            return None  # let Flask start a new session as it sees fit
        if not isinstance(data, dict) or not ANONYMOUS_KEYS.issuperset(data):
            return None
        return data

    def _miss(self, environ, start_response, key: tuple, now: float):
        capture: dict = {}
        environ[ENVIRON_KEY] = capture
        seen: dict = {}

        def capturing_start_response(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, capturing_start_response)
        if not capture or not seen.get("status", "").startswith("200"):
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        self._store(key, capture, seen["headers"], body, now)
        return [body]

    def _store(self, key: tuple, capture: dict, headers, body: bytes, now: float) -> None:
        _script, code, lot, locale = key
        if capture.get("code") != code or capture.get("lot") != lot:
            return
        if capture.get("locale") != locale:
            return
        token = capture.get("csrf_token")
        if token:
            body = body.replace(token.encode("ascii"), self.placeholder)
        expires = now + self.seconds
        if capture.get("fair_ends_at") is not None:
            expires = min(expires, capture["fair_ends_at"])  # the booth leaves the page then
        kept = tuple(
            (name, value)
            for name, value in headers
            if name.lower() not in ("set-cookie", "content-length", "vary")
        )
        self._put(
            key,
            Entry(
                body=body,
                headers=kept,
                has_token=bool(token),
                product_id=capture["product_id"],
                batch_id=capture.get("batch_id"),
                fair_id=capture.get("fair_id"),
                expires=expires,
            ),
        )

    def _hit(self, entry: Entry, session: dict, start_response, now: float):
        self.recorder.record(entry.product_id, entry.batch_id, entry.fair_id)
        modified = False
        if entry.fair_id is not None:
            remember_fair_visit(entry.fair_id, into=session)
            modified = True
        body = entry.body
        if entry.has_token:
            raw = session.get(self.csrf_field)
            if not isinstance(raw, str):  # as flask_wtf.csrf.generate_csrf does
                raw = session[self.csrf_field] = hashlib.sha1(os.urandom(64)).hexdigest()
                modified = True
            token = self.csrf_serializer.dumps(raw)
            body = body.replace(self.placeholder, token.encode("ascii"))
        headers = list(entry.headers)
        headers.append(("Content-Length", str(len(body))))
        headers.append(("Vary", "Cookie"))
        if session and (modified or (session.get("_permanent") and self.refresh_each_request)):
            headers.append(("Set-Cookie", self._session_cookie(session)))
        start_response("200 OK", headers)
        return [body]

    def _session_cookie(self, data: dict) -> str:
        """Build the Set-Cookie value Flask's SecureCookieSessionInterface would send."""
        expires = self.interface.get_expiration_time(self.app, SecureCookieSession(data))
        return dump_cookie(
            self.cookie_name,
            self.session_serializer.dumps(dict(data)),
            expires=expires,
            max_size=self.max_cookie_size,
            **self.cookie_args,
        )


def _lot(query_string: str) -> str | None | bool:
    """Read ?lot= exactly as request.args.get("lot") does; False when it cannot be read."""
    if not query_string:
        return None
    try:
        text = query_string.encode("latin-1").decode()
        for name, value in parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote"):
            if name == "lot":
                return value or None
    except (UnicodeError, ValueError):
        return False
    return None


def install(app: Flask) -> None:
    """Put the provenance page cache in front of the app."""
    app.wsgi_app = ProvenancePageCache(app, app.wsgi_app)
    _listen_for_edits()


_listening = False


def _listen_for_edits() -> None:
    global _listening
    if _listening:
        return
    _listening = True
    sa.event.listen(sa.orm.Session, "after_flush", _after_flush)
    sa.event.listen(sa.orm.Session, "after_commit", _after_commit)


def _touches_pages(session: sa.orm.Session) -> bool:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if type(obj).__module__.startswith(WATCHED_MODULES):
            return True
    return False


def _after_flush(session, _flush_context) -> None:
    if _touches_pages(session):
        session.info["cho40_pages_stale"] = True
        clear_all()  # and again at commit, in case a page was cached in between


def _after_commit(session) -> None:
    if session.info.pop("cho40_pages_stale", False):
        clear_all()
