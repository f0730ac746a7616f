"""The hand-written decision forms carry the CSRF token, so they work with CSRF on."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD
from tests.factories import make_application, make_fair, make_organizer, make_stall


def token(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_accepting_from_the_dashboard_works_with_csrf_on(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        organizer = make_organizer()
        fs = make_application(make_fair(organizer), make_stall())
        fs_id, login = fs.id, organizer.email
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token(html)})
    html = client.get("/organizer").get_data(as_text=True)
    form = html[html.index(f"/organizer/participations/{fs_id}/accept"):]
    response = client.post(f"/organizer/participations/{fs_id}/accept",
                           data={"booth_number": "5", "next": "dashboard",
                                 "csrf_token": token(form)})
    assert response.status_code == 302
    assert "Đã nhận" in client.get("/organizer").get_data(as_text=True)


def test_a_decision_without_the_token_changes_nothing(make_app):
    from marketplace.extensions import db
    from marketplace.fairs.models import FairStall

    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        organizer = make_organizer()
        fs = make_application(make_fair(organizer), make_stall())
        fs_id, login = fs.id, organizer.email
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token(html)})
    client.post(f"/organizer/participations/{fs_id}/accept", data={"booth_number": "5"})
    with app.app_context():
        assert db.session.get(FairStall, fs_id).status == "applied"
