"""A forgotten password: a mailed link (against a local SMTP server) or an organizer's code."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import time_machine
from aiosmtpd.controller import Controller

from deploy.stack import free_port
from marketplace.database import utcnow
from tests.conftest import PASSWORD
from tests.factories import (
    make_fair,
    make_organizer,
    make_participation,
    make_stall,
    make_user,
)

NEW_PASSWORD = "matkhau-moi-456"


class Inbox:
    """Messages an aiosmtpd server received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"


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
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port,
                   MAIL_FROM="Chợ 4.0 <no-reply@cho40.test>")
    with app.app_context():
        yield app


def _link(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https://cho40\.test(/password/reset/\S+)", body).group(1)


def _login(client, login, password) -> int:
    return client.post("/login", data={"login": login, "password": password}).status_code


def test_a_reset_link_is_mailed_and_sets_a_new_password_once(mail_app, smtp):
    make_user(email="ha@example.vn", name="Trần Thu Hà")
    client = mail_app.test_client()
    logged_in = mail_app.test_client()
    assert _login(logged_in, "ha@example.vn", PASSWORD) == 302

    response = client.post("/password/forgot", data={"email": " HA@example.vn "})
    assert response.status_code == 200
    assert "Hãy kiểm tra hộp thư" in response.get_data(as_text=True)
    [(recipients, message)] = smtp.messages
    assert recipients == ["ha@example.vn"]
    assert message["Subject"] == "Đặt lại mật khẩu Chợ 4.0"
    assert message["From"].addresses[0].display_name == "Chợ 4.0"
    assert message["From"].addresses[0].addr_spec == "no-reply@cho40.test"
    link = _link(message)

    form = client.get(link)
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    assert "Đặt mật khẩu mới" in form.get_data(as_text=True)
    done = client.post(link, data={"password": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/login"

    assert _login(mail_app.test_client(), "ha@example.vn", PASSWORD) == 400
    assert _login(mail_app.test_client(), "ha@example.vn", NEW_PASSWORD) == 302
    assert logged_in.get("/me").status_code == 302  # old sessions end
    again = client.post(link, data={"password": "ai-do-dung-lai-1"})
    assert again.status_code == 400  # single use
    assert "Liên kết không còn dùng được" in again.get_data(as_text=True)
    assert _login(mail_app.test_client(), "ha@example.vn", NEW_PASSWORD) == 302


@pytest.mark.parametrize("email", ["nobody@example.vn", "khong-phai-email", "phone@only.vn"])
def test_the_answer_does_not_say_whether_an_account_exists(mail_app, smtp, email):
    make_user(email="ha@example.vn")
    make_user(email="phone@only.vn", active=False)
    client = mail_app.test_client()
    known = client.post("/password/forgot", data={"email": "ha@example.vn"})
    unknown = client.post("/password/forgot", data={"email": email})
    assert unknown.status_code == known.status_code == 200
    assert unknown.get_data() == known.get_data()
    assert [r for r, _ in smtp.messages] == [["ha@example.vn"]]


def test_a_reset_link_expires_after_an_hour(mail_app, smtp):
    make_user(email="ha@example.vn")
    client = mail_app.test_client()
    with time_machine.travel(utcnow(), tick=False) as clock:
        client.post("/password/forgot", data={"email": "ha@example.vn"})
        link = _link(smtp.messages[0][1])
        clock.shift(timedelta(minutes=59))
        assert client.get(link).status_code == 200
        clock.shift(timedelta(minutes=2))
        assert client.get(link).status_code == 400
        assert client.post(link, data={"password": NEW_PASSWORD}).status_code == 400
    assert _login(client, "ha@example.vn", PASSWORD) == 302


@pytest.mark.parametrize("token", ["x", "a" * 300, "ờ-không-phải", "eyJ1IjoxLCJ2IjoxfQ.AAAA.BBBB"])
def test_a_forged_or_garbled_link_is_refused(mail_app, token):
    make_user(email="ha@example.vn")
    response = mail_app.test_client().get(f"/password/reset/{token}")
    assert response.status_code == 400
    assert "Liên kết không còn dùng được" in response.get_data(as_text=True)


def test_a_link_is_void_after_log_out_everywhere(mail_app, smtp):
    make_user(email="ha@example.vn")
    client = mail_app.test_client()
    client.post("/password/forgot", data={"email": "ha@example.vn"})
    link = _link(smtp.messages[0][1])
    assert _login(client, "ha@example.vn", PASSWORD) == 302
    client.post("/me/logout-everywhere")
    assert client.get(link).status_code == 400


def test_an_smtp_failure_answers_the_same_and_logs_no_address(make_app, caplog):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    with app.app_context():
        make_user(email="ha@example.vn")
    response = app.test_client().post("/password/forgot", data={"email": "ha@example.vn"})
    assert response.status_code == 200
    assert "Hãy kiểm tra hộp thư" in response.get_data(as_text=True)
    assert "not sent" in caplog.text and "ha@example.vn" not in caplog.text


def test_forgot_password_requests_are_limited_per_address_and_per_email(mail_app, smtp):
    make_user(email="ha@example.vn")
    client = mail_app.test_client()
    codes = [client.post("/password/forgot", environ_base={"REMOTE_ADDR": f"10.0.0.{n}"},
                         data={"email": "ha@example.vn"}).status_code for n in range(6)]
    assert codes == [200] * 5 + [429]
    assert len(smtp.messages) == 5


def test_the_login_page_links_to_the_forgotten_password_page(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in html
    assert 'href="/password/code"' in client.get("/password/forgot").get_data(as_text=True)


# --- A seller with only a phone: an organizer's one-time code ---------------------------------


@pytest.fixture
def at_fair(app):
    organizer = make_organizer()
    seller = make_user("seller", phone="0912345678", name="Lê Văn Thụy")
    make_participation(make_fair(organizer), make_stall(seller))
    return {"organizer": organizer, "seller": seller}


def _issue(client, phone="0912 345 678"):
    response = client.post("/organizer/password-codes", data={"phone": phone})
    html = response.get_data(as_text=True)
    found = re.search(r'data-testid="reset-code">([a-z0-9]+)<', html)
    return response, (found.group(1) if found else None)


def _reset(client, code, phone="0912345678", password=NEW_PASSWORD):
    return client.post("/password/code", data={"phone": phone, "code": code,
                                               "password": password})


def test_an_organizer_gives_a_seller_a_one_time_code(app, client, auth, at_fair):
    seller_device = app.test_client()
    assert _login(seller_device, "0912345678", PASSWORD) == 302
    auth.login(at_fair["organizer"])
    response, code = _issue(client)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert code and len(code) == 10
    assert "Lê Văn Thụy" in response.get_data(as_text=True)

    shopper = app.test_client()
    done = _reset(shopper, code.upper()[:5] + " " + code.upper()[5:])  # read aloud, typed
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert _login(app.test_client(), "0912345678", NEW_PASSWORD) == 302
    assert _login(app.test_client(), "0912345678", PASSWORD) == 400
    assert seller_device.get("/me").status_code == 302  # old sessions end
    reused = _reset(shopper, code, password="lai-lan-nua-1")
    assert reused.status_code == 400
    assert "mã đã hết hạn" in reused.get_data(as_text=True)


def test_a_new_code_replaces_the_previous_one(client, auth, at_fair):
    auth.login(at_fair["organizer"])
    _, first = _issue(client)
    _, second = _issue(client)
    assert _reset(client, first).status_code == 400
    assert _reset(client, second).status_code == 302


def test_a_code_expires(client, auth, at_fair):
    with time_machine.travel(utcnow(), tick=False) as clock:
        auth.login(at_fair["organizer"])
        _, code = _issue(client)
        clock.shift(timedelta(hours=24, minutes=1))
        assert _reset(client, code).status_code == 400
    assert _login(client, "0912345678", PASSWORD) == 302


@pytest.mark.parametrize(("phone", "code"), [
    ("0912345678", "sai-ma-roi"),
    ("0912345679", None),  # another phone with the right code
    ("khong-phai-so", None),
    ("0912345678", ""),
])
def test_a_wrong_code_or_phone_changes_nothing(client, auth, at_fair, phone, code):
    auth.login(at_fair["organizer"])
    _, issued = _issue(client)
    response = _reset(client, issued if code is None else code, phone=phone)
    assert response.status_code == 400
    assert _reset(client, issued).status_code == 302  # the code still works for its owner


def test_an_organizer_reaches_only_sellers_of_their_own_fairs(client, auth, at_fair):
    auth.login(make_organizer())
    response, code = _issue(client)
    assert response.status_code == 400 and code is None
    assert "Không có người bán nào với số này" in response.get_data(as_text=True)
    shopper = make_user(phone="0987111222")
    response, code = _issue(client, shopper.phone)
    assert response.status_code == 400 and code is None


@pytest.mark.parametrize("role", ["seller", "shopper"])
def test_only_organizers_issue_codes(client, auth, at_fair, role):
    auth.login(make_user(role))
    assert client.post("/organizer/password-codes", data={"phone": "0912345678"}
                       ).status_code == 403


def test_code_guesses_are_throttled_per_phone(client, auth, at_fair):
    auth.login(at_fair["organizer"])
    _, code = _issue(client)
    guesses = [client.post("/password/code", environ_base={"REMOTE_ADDR": f"10.0.0.{n}"},
                           data={"phone": "0912345678", "code": f"doan-sai-{n}",
                                 "password": NEW_PASSWORD}).status_code for n in range(6)]
    assert guesses == [400] * 5 + [429]
