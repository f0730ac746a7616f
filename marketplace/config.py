"""Load configuration from the environment."""

from __future__ import annotations

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path


def _instance_secret_key(instance_path: Path) -> str:
    """Return the embedded default's secret key, generating it once (owner-only).

    The key is written whole under another name and then linked into place: processes that
    start at once (gunicorn workers, test workers) all take the first key linked, and none
    reads a half-written one.
    """
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        fd, draft = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
            try:
                os.link(draft, key_file)
            except FileExistsError:  # another process linked its key first: use that one
                pass
        finally:
            os.unlink(draft)
    return key_file.read_text().strip()


def engine_options_for(database_url: str) -> dict:
    """Pre-ping PostgreSQL (survive a restart), wait on SQLite locks, keep values out of errors."""
    if database_url.startswith("sqlite"):
        return {"connect_args": {"timeout": 15}, "hide_parameters": True}
    return {"pool_pre_ping": True, "hide_parameters": True}


class ConfigError(RuntimeError):
    """Raised when the environment does not describe a runnable app."""


def load_config(instance_path: str, env: dict[str, str] | None = None) -> dict:
    """Build the Flask config mapping from environment variables."""
    env = dict(os.environ if env is None else env)
    instance = Path(instance_path)
    database_url = env.get("DATABASE_URL", "").strip()
    embedded = not database_url
    if embedded:
        instance.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{instance / 'cho40.sqlite3'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

    secret_key = env.get("SECRET_KEY", "").strip()
    if not secret_key:
        if not embedded:
            raise ConfigError("SECRET_KEY must be set when DATABASE_URL is set")
        secret_key = _instance_secret_key(instance)

    if env.get("CARD_GATEWAY", "stripe") not in ("stripe", "demo"):
        raise ConfigError("CARD_GATEWAY must be 'stripe' or 'demo'")
    redis_url = env.get("REDIS_URL", "").strip() or None
    secure_cookies = env.get("SESSION_COOKIE_SECURE", "0") == "1"
    zalo_templates = dict(
        item.split("=", 1) for item in env.get("ZALO_TEMPLATE_IDS", "").split(",") if "=" in item
    )

    return {
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options_for(database_url),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", "cho40"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY") or None,
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET") or None,
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE", "https://api.stripe.com").rstrip("/"),
        # "demo": a stand-in card gateway for the demo that reaches no one (refunds agree).
        "CARD_GATEWAY": env.get("CARD_GATEWAY", "stripe"),
        "API_RATE_LIMIT": env.get("API_RATE_LIMIT", "120 per minute"),
        "ORDER_UNPAID_TTL_MINUTES": int(env.get("ORDER_UNPAID_TTL_MINUTES", "60")),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_UPLOAD_MB", "16")) * 1024 * 1024,
        # Marketplace sales exports only (imports/views.py): a season's CSV is tens of MB.
        "IMPORT_MAX_MB": int(env.get("IMPORT_MAX_MB", "64")),
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": ("vi", "en"),
        # Compress HTML, CSS, JS and JSON (brotli or gzip) unless a proxy in front does it.
        "COMPRESS_REGISTER": env.get("HTTP_COMPRESSION", "1") != "0",
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_ALGORITHM_STREAMING": ["br", "deflate"],
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "SESSION_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_DURATION": timedelta(days=int(env.get("REMEMBER_COOKIE_DAYS", "30"))),
        # Login throttles: per client address and per account (the login typed, normalised).
        "LOGIN_IP_LIMIT": env.get("LOGIN_IP_LIMIT", "10 per minute"),
        "LOGIN_ACCOUNT_LIMIT": env.get("LOGIN_ACCOUNT_LIMIT", "5 per minute"),
        "REGISTER_LIMIT": env.get("REGISTER_LIMIT", "20 per hour"),
        "PASSWORD_RESET_LIMIT": env.get("PASSWORD_RESET_LIMIT", "5 per hour"),
        "PASSWORD_RESET_MAX_AGE": int(env.get("PASSWORD_RESET_MAX_AGE", "3600")),
        "RESET_CODE_HOURS": int(env.get("RESET_CODE_HOURS", "24")),
        # Behind a reverse proxy: how many proxies set each X-Forwarded-* header (0: trust none).
        "PROXY_FIX_X_FOR": int(env.get("PROXY_FIX_X_FOR", "0")),
        "PROXY_FIX_X_PROTO": int(env.get("PROXY_FIX_X_PROTO", "0")),
        "PROXY_FIX_X_HOST": int(env.get("PROXY_FIX_X_HOST", "0")),
        "PROXY_FIX_X_PORT": int(env.get("PROXY_FIX_X_PORT", "0")),
        "PROXY_FIX_X_PREFIX": int(env.get("PROXY_FIX_X_PREFIX", "0")),
        # Strict-Transport-Security max-age in seconds (0: header not sent; set it behind HTTPS).
        "HSTS_SECONDS": int(env.get("HSTS_SECONDS", "0")),
        "WTF_CSRF_TIME_LIMIT": None,
        # Background jobs: RQ on Redis when there is one, else a thread in the web process.
        "JOBS_MODE": env.get("JOBS_MODE") or ("rq" if redis_url else "thread"),
        "JOBS_RETRY_INTERVALS": [
            int(s) for s in env.get("JOBS_RETRY_INTERVALS", "10,60,300,900").split(",") if s],
        "JOBS_QUEUE": env.get("JOBS_QUEUE", "cho40"),
        "JOBS_TIMEOUT_SECONDS": int(env.get("JOBS_TIMEOUT_SECONDS", "900")),
        # Messages: each channel is on when it is configured.
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": env.get("MAIL_USE_TLS", "0") == "1",
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_FROM": env.get("MAIL_FROM", "Chợ 4.0 <no-reply@cho40.local>"),
        "ZALO_API_BASE": env.get("ZALO_API_BASE", "https://business.openapi.zalo.me"),
        "ZALO_ACCESS_TOKEN": env.get("ZALO_ACCESS_TOKEN") or None,
        "ZALO_TEMPLATE_IDS": zalo_templates,
        "SMS_GATEWAY_URL": env.get("SMS_GATEWAY_URL") or None,
        "SMS_GATEWAY_TOKEN": env.get("SMS_GATEWAY_TOKEN") or None,
        "FAIR_CLOSING_HOUR": int(env.get("FAIR_CLOSING_HOUR", "18")),  # Vietnam time
        # Anonymous /p/<code> views served from a copy at most this old (0: off); edits show
        # within 1 s anyway (provenance/fastpath.py), the age only bounds time-driven changes.
        "PROVENANCE_PAGE_CACHE_SECONDS": float(env.get("PROVENANCE_PAGE_CACHE_SECONDS", "60")),
        # How long a shared proxy may serve the anonymous page without asking (0: it revalidates
        # every time, so every scan is still counted).
        "PROVENANCE_PROXY_SECONDS": int(env.get("PROVENANCE_PROXY_SECONDS", "0")),
        "SCAN_REPEAT_SECONDS": int(env.get("SCAN_REPEAT_SECONDS", "1800")),
    }
