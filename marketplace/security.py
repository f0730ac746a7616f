"""Security headers on every response: CSP (no inline code but hashed data), framing, caching."""

from __future__ import annotations

import base64
import hashlib
from functools import wraps

from flask import Flask, g, request, session
from markupsafe import Markup, escape

# Paths whose pages hold personal data or a secret (order links, reset links, seller and
# organizer screens): never stored by a browser or a proxy. Logged-in pages are added below.
PRIVATE_PREFIXES = (
    "/me", "/my/", "/login", "/register", "/password/", "/cart", "/checkout", "/orders/",
    "/pay/", "/payments/", "/seller/", "/organizer", "/stalls/",
)
EMBEDDABLE = "_cho40_embeddable"


def inline_script(content: str, type_: str = "application/ld+json") -> Markup:
    """Render an inline <script> and allow exactly its content in this response's CSP."""
    text = str(content)
    if "</" in text:
        raise ValueError("inline script content must not close its element")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    hashes = g.setdefault("csp_script_hashes", [])
    if f"'sha256-{digest}'" not in hashes:
        hashes.append(f"'sha256-{digest}'")
    return Markup(f'<script type="{escape(type_)}">{text}</script>')


def embeddable(view):
    """Let other sites show this page in a frame (public, read-only pages such as boards)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        g.embeddable = True
        return view(*args, **kwargs)

    setattr(wrapped, EMBEDDABLE, True)
    return wrapped


def content_security_policy(script_hashes: list[str], frame_ancestors: str) -> str:
    """Build the policy: own files only, no inline script but the hashed data blocks."""
    scripts = " ".join(["'self'", *script_hashes])
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        f"frame-ancestors {frame_ancestors}",
    ])


def _is_private(response) -> bool:
    """A page with no Cache-Control of its own view's choosing (public images, QR codes)."""
    return "_user_id" in session or request.path.startswith(PRIVATE_PREFIXES)


def install(app: Flask) -> None:
    """Add the security headers to every response and inline_script() to templates."""
    app.jinja_env.globals["inline_script"] = inline_script

    @app.after_request
    def security_headers(response):
        headers = response.headers
        present = {name.lower() for name in headers.keys()}  # a view's own choice stands
        embed = g.get("embeddable", False)
        wanted = [("Content-Security-Policy", content_security_policy(
                      g.get("csp_script_hashes", []), "*" if embed else "'none'")),
                  ("X-Content-Type-Options", "nosniff"),
                  ("Referrer-Policy", "same-origin")]
        if not embed:
            wanted.append(("X-Frame-Options", "DENY"))
        hsts = app.config.get("HSTS_SECONDS", 0)
        if hsts and request.is_secure:
            wanted.append(("Strict-Transport-Security", f"max-age={int(hsts)}"))
        # One pass over the headers (each setdefault would scan them all again).
        headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
        if "cache-control" not in present and _is_private(response):
            headers["Cache-Control"] = "no-store"
        return response
