"""Send plain-text mail over SMTP (MAIL_SERVER, MAIL_PORT, …)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app


class MailNotSent(RuntimeError):
    """The mail could not be handed to the SMTP server (or none is configured)."""


def mail_configured() -> bool:
    """Tell whether an SMTP server is configured."""
    return bool(current_app.config.get("MAIL_SERVER"))


def send_mail(to: str, subject: str, body: str) -> None:
    """Hand one plain-text message to the configured SMTP server; raise MailNotSent if not."""
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        raise MailNotSent("MAIL_SERVER is not set")
    message = EmailMessage()
    message["From"] = cfg["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    host, port, timeout = cfg["MAIL_SERVER"], cfg["MAIL_PORT"], cfg["MAIL_TIMEOUT"]
    try:
        if cfg.get("MAIL_USE_SSL"):
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if cfg.get("MAIL_USE_TLS") and not cfg.get("MAIL_USE_SSL"):
                smtp.starttls(context=ssl.create_default_context())
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailNotSent(f"{type(exc).__name__}: {exc}") from exc
