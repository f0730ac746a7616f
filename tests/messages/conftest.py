"""A local SMTP server (aiosmtpd) and apps whose messages go to it or to a local Zalo API."""

from __future__ import annotations

import email
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller

from deploy.stack import free_port
from tests.orders.conftest import Shop


class Inbox:
    """An SMTP handler that keeps what it receives; it can refuse the first few messages."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = 0  # answer 451 (try later) to this many messages first

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def mail_app(make_app, smtp):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, JOBS_RETRY_INTERVALS=[0, 0])
    with app.app_context():
        yield app


@pytest.fixture
def mail_client(mail_app):
    return mail_app.test_client()


@pytest.fixture
def mail_shop(mail_client):
    return Shop(mail_client)


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def shop(client):
    return Shop(client)


class ZaloStub:
    """A local stand-in for Zalo's ZNS API that records requests with their raw headers.

    (Werkzeug-based servers drop headers with underscores, and Zalo's is `access_token`.)
    """

    def __init__(self):
        import http.server
        import json
        import threading

        stub = self
        self.requests: list[tuple[str, dict, dict]] = []
        self.answer = {"error": 0, "message": "Success", "data": {"msg_id": "1"}}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                stub.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()},
                                      json.loads(raw)))
                data = json.dumps(stub.answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def zalo():
    stub = ZaloStub()
    yield stub
    stub.close()
