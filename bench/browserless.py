"""A cookie-keeping HTTP client that fills in the app's forms as a browser would (no JS).

Used by bench/fairday.py and tests/deploy: it reads every hidden field a form carries (CSRF
token, one-time keys), so the load goes through the same forms people submit.
"""

from __future__ import annotations

import gzip
import http.client
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)  # select/radio choices


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("radio", "checkbox"):
                form.options.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a or (kind == "radio" and name not in form.fields):
                    form.fields[name] = a.get("value", "on")
            elif kind not in ("submit", "button", "file", "image", "reset"):
                form.fields[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            value = a.get("value", "")
            form.options.setdefault(self._select, []).append(value)
            if "selected" in a or self._select not in form.fields:
                form.fields[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            form.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data


def parse(html: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(html)
    return parser


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    def forms(self) -> list[Form]:
        return parse(self.text).forms

    def form(self, action_part: str = "", field: str | None = None) -> Form:
        """The first form whose action contains action_part (and that has `field`)."""
        for f in self.forms():
            if action_part in f.action and (field is None or field in f.fields):
                return f
        raise LookupError(f"no form with action containing {action_part!r} "
                          f"and field {field!r} on {self.url}")


class Client:
    """One visitor: a keep-alive connection to the site and the cookies it was given."""

    def __init__(self, base: str, *, timeout: float = 30, headers: dict | None = None,
                 source_address: str | None = None):
        self.base = base.rstrip("/")
        parts = urlsplit(self.base)
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout = timeout
        self.source = (source_address, 0) if source_address else None
        self.cookies: dict[str, str] = {}
        self.extra = dict(headers or {})
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout,
                                                    source_address=self.source)
        return self._conn

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> Response:
        """Send one request (no redirects followed); raise OSError on a broken connection."""
        hdrs = {"Accept-Encoding": "gzip", **self.extra, **(headers or {})}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = self._connection()
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        for key, value in resp.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                val = rest.split(";", 1)[0]
                if "expires=Thu, 01 Jan 1970" in value or "Max-Age=0" in value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = val
        headers_out = {k.lower(): v for k, v in resp.getheaders()}
        if headers_out.get("content-encoding") == "gzip":
            data = gzip.decompress(data)
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        return Response(resp.status, headers_out, data, path)

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def submit(self, form: Form, overrides: dict | None = None, page: str = "/") -> Response:
        """Submit a form with its current values (hidden fields included) plus overrides."""
        values = {**form.fields, **(overrides or {})}
        values = {k: v for k, v in values.items() if v is not None}
        action = urljoin(page, form.action or page)
        if form.method == "post":
            # A browser names the page's origin on every form POST.
            return self.request("POST", action, urlencode(values).encode(),
                                {"Content-Type": "application/x-www-form-urlencoded",
                                 "Origin": self.base})
        return self.get(action + ("&" if "?" in action else "?") + urlencode(values))
