"""The one module that talks to an SMTP server, Zalo's Notification Service and an SMS gateway."""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

EMAIL, ZALO, SMS = "email", "zalo", "sms"


class DeliveryError(Exception):
    """The channel refused or could not take the message (worth a retry)."""


@dataclass
class Outgoing:
    """What a channel needs to send one message."""

    channel: str
    recipient: str
    kind: str
    subject: str
    body: str
    data: dict = field(default_factory=dict)
    tracking_id: str = ""
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # name, mime, data


def enabled() -> set[str]:
    """The channels this deployment is set up for."""
    cfg = current_app.config
    on = set()
    if cfg.get("MAIL_SERVER"):
        on.add(EMAIL)
    if cfg.get("ZALO_ACCESS_TOKEN") and cfg.get("ZALO_TEMPLATE_IDS"):
        on.add(ZALO)
    if cfg.get("SMS_GATEWAY_URL"):
        on.add(SMS)
    return on


def send(message: Outgoing) -> None:
    """Hand the message to its channel; raise DeliveryError when it was not accepted."""
    {EMAIL: _email, ZALO: _zalo, SMS: _sms}[message.channel](message)


def _email(message: Outgoing) -> None:
    cfg = current_app.config
    mail = EmailMessage()
    mail["From"] = cfg["MAIL_FROM"]
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Message-ID"] = make_msgid(idstring=message.tracking_id or None, domain="cho40")
    mail.set_content(message.body)
    for name, mime, data in message.attachments:
        maintype, _, subtype = mime.partition("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    try:
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=15) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
            smtp.send_message(mail)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {exc}") from exc


def international(phone: str) -> str:
    """0987654321 -> 84987654321, the form Zalo and SMS gateways take."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return "84" + digits[1:] if digits.startswith("0") else digits


def _post_json(url: str, body: dict, headers: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 (configured URL)
            raw = response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"{url}: {exc}") from exc
    try:
        return json.loads(raw or b"{}")
    except ValueError as exc:
        raise DeliveryError(f"{url}: not JSON") from exc


def _zalo(message: Outgoing) -> None:
    """Send a ZNS template message (POST /message/template with the OA's access_token)."""
    cfg = current_app.config
    template_id = cfg["ZALO_TEMPLATE_IDS"].get(message.kind)
    if not template_id:
        raise DeliveryError(f"Zalo: no template for {message.kind}")
    answer = _post_json(
        cfg["ZALO_API_BASE"].rstrip("/") + "/message/template",
        {"phone": international(message.recipient), "template_id": template_id,
         "template_data": message.data, "tracking_id": message.tracking_id},
        {"access_token": cfg["ZALO_ACCESS_TOKEN"]},
    )
    if answer.get("error") != 0:
        raise DeliveryError(f"Zalo {answer.get('error')}: {answer.get('message', '')}")


def _sms(message: Outgoing) -> None:
    """Send a text through a generic HTTP gateway: POST {to, text, reference} with a bearer."""
    cfg = current_app.config
    headers = {}
    if cfg.get("SMS_GATEWAY_TOKEN"):
        headers["Authorization"] = f"Bearer {cfg['SMS_GATEWAY_TOKEN']}"
    answer = _post_json(cfg["SMS_GATEWAY_URL"], {
        "to": "+" + international(message.recipient), "text": message.body,
        "reference": message.tracking_id,
    }, headers)
    if answer.get("error"):
        raise DeliveryError(f"SMS: {answer.get('error')}")
