"""Copies of the anonymous provenance page, served and counted in front of Flask.

/p/<code> is the same bytes for every anonymous visitor (no token, no session write), so the
view offers each page it renders for one to this cache, keyed by (code, lot, language), with its
ETag and public Cache-Control. A GET with no Cookie and no Authorization header is anonymous, so
this WSGI middleware answers it from the copy (200, or 304 when If-None-Match matches) with the
headers Flask's whole pipeline gave the page, and counts the scan; any other request goes
through Flask, where the view serves anonymous visitors from the same copies.

A copy is served only while its version is the current one (provenance/versions.py: writers
bump it, every process sees it within 1 s). Copies also expire after
PROVENANCE_PAGE_CACHE_SECONDS (0 turns the cache off) and when the booth's fair closes.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from flask import Flask, current_app
from werkzeug.http import parse_etags
from werkzeug.wrappers import Request

from marketplace.catalog.codes import normalize_code
from marketplace.provenance import scans
from marketplace.provenance.versions import PageVersion

ENVIRON_KEY = "cho40.page_copy"  # the view puts what its page is into this dict
NOT_STORED = frozenset({"set-cookie", "content-length", "date"})


@dataclass(frozen=True)
class Copy:
    """One rendered page and the scan each serving of it counts."""

    body: bytes
    headers: tuple[tuple[str, str], ...]
    etag: str
    scan: tuple[int, int | None, int | None]  # product, labelled batch, fair
    version: int
    expires: float  # time.time()


class PageCache:
    """WSGI middleware and store of the copies of one app."""

    def __init__(self, app: Flask, wsgi_app):
        cfg = app.config
        self.app, self.wsgi_app = app, wsgi_app
        self.seconds = float(cfg.get("PROVENANCE_PAGE_CACHE_SECONDS") or 0)
        self.size = int(cfg.get("PROVENANCE_PAGE_CACHE_SIZE", 2000))
        self.locale = cfg["BABEL_DEFAULT_LOCALE"]  # what a request without cookies reads
        self.version = PageVersion.of(app).current
        self.copies: OrderedDict[tuple, Copy] = OrderedDict()
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.copies)

    # --- the copies -------------------------------------------------------------------------

    def get(self, key: tuple) -> Copy | None:
        copy = self.copies.get(key) if self.seconds > 0 else None
        if copy is not None and (copy.expires > time.time() and copy.version == self.version()):
            return copy
        return None

    def put(self, key: tuple, copy: Copy) -> None:
        with self.lock:
            self.copies[key] = copy
            while len(self.copies) > self.size:
                self.copies.popitem(last=False)

    def count(self, copy: Copy, environ: dict, qr: bool) -> None:
        """Count the scan a serving of the copy stands for."""
        scans.recorder(self.app).record(*copy.scan, qr=qr, visitor=scans.visitor_of(environ))

    # --- WSGI -------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        if self.seconds <= 0 or environ.get("REQUEST_METHOD") != "GET" or not environ.get(
                "PATH_INFO", "").startswith("/p/"):
            return self.wsgi_app(environ, start_response)
        code = environ["PATH_INFO"][3:]
        if "HTTP_COOKIE" not in environ and "HTTP_AUTHORIZATION" not in environ and \
                normalize_code(code) == code:
            args = Request(environ).args
            copy = self.get((code, args.get("lot") or None, self.locale))
            if copy is not None:
                self.count(copy, environ, args.get("s") == "1")
                return respond(copy, environ, start_response)
        offered: dict = {}
        environ[ENVIRON_KEY] = offered
        seen: list = []

        def capture(status, headers, exc_info=None):
            seen[:] = [status, headers]
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, capture)
        if not offered or not seen or not seen[0].startswith("200") or any(
                name.lower() == "set-cookie" for name, _ in seen[1]):
            return result
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        kept = tuple((n, v) for n, v in seen[1] if n.lower() not in NOT_STORED)
        etag = dict((n.lower(), v) for n, v in kept).get("etag", "")
        self.put(offered["key"], Copy(body, kept, etag, offered["scan"], offered["version"],
                                      min(time.time() + self.seconds, offered["until"])))
        return [body]


def respond(copy: Copy, environ: dict, start_response):
    """Answer with the copy: 304 when the visitor's copy is current, else the page."""
    match = environ.get("HTTP_IF_NONE_MATCH")
    if match and copy.etag and parse_etags(match).contains_raw(copy.etag):
        start_response("304 Not Modified", [(n, v) for n, v in copy.headers if n.lower() in (
            "etag", "cache-control", "vary")])
        return []
    start_response("200 OK", [*copy.headers, ("Content-Length", str(len(copy.body)))])
    return [copy.body]


def cache(app: Flask | None = None) -> PageCache | None:
    """Return the app's page cache (None when it is not installed or turned off)."""
    found = (app or current_app).extensions.get("page_cache")
    return found if found is not None and found.seconds > 0 else None


def install(app: Flask) -> None:
    """Put the provenance page cache in front of the app."""
    app.wsgi_app = app.extensions["page_cache"] = PageCache(app, app.wsgi_app)
