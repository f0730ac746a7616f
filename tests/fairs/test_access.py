"""Only organizers reach the organizer screens, and only for the fairs and campaigns they run."""

from __future__ import annotations

import pytest

from tests.factories import (
    make_application,
    make_campaign,
    make_fair,
    make_organizer,
    make_seller,
    make_stall,
)

ORGANIZER_PAGES = ["/organizer", "/organizer/fairs/new", "/organizer/campaigns/new"]


def owned_urls(fair, campaign, fs) -> list[tuple[str, str]]:
    """(method, url) of every screen tied to one organizer's fair, campaign or application."""
    return [
        ("get", f"/organizer/fairs/{fair.id}"),
        ("get", f"/organizer/fairs/{fair.id}/edit"),
        ("post", f"/organizer/fairs/{fair.id}/edit"),
        ("post", f"/organizer/fairs/{fair.id}/delete"),
        ("post", f"/organizer/fairs/{fair.id}/stalls"),
        ("post", f"/organizer/participations/{fs.id}/accept"),
        ("post", f"/organizer/participations/{fs.id}/decline"),
        ("post", f"/organizer/participations/{fs.id}/remove"),
        ("get", f"/organizer/campaigns/{campaign.id}/edit"),
        ("post", f"/organizer/campaigns/{campaign.id}/edit"),
        ("post", f"/organizer/campaigns/{campaign.id}/delete"),
    ]


@pytest.fixture
def owned(app):
    organizer = make_organizer()
    fair = make_fair(organizer)
    campaign = make_campaign(organizer)
    fs = make_application(fair, make_stall())
    return organizer, fair, campaign, fs


@pytest.mark.parametrize("path", ORGANIZER_PAGES)
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ORGANIZER_PAGES)
def test_a_seller_is_refused(client, auth, path):
    auth.login(make_seller())
    assert client.get(path).status_code == 403


def test_anonymous_cannot_touch_an_organizers_fair(client, owned):
    _, fair, campaign, fs = owned
    for method, url in owned_urls(fair, campaign, fs):
        response = getattr(client, method)(url, data={"booth_number": "1", "reason": "x"})
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"], url


def test_a_seller_cannot_touch_an_organizers_fair(client, auth, owned):
    _, fair, campaign, fs = owned
    auth.login(fs.stall.owner)
    for method, url in owned_urls(fair, campaign, fs):
        response = getattr(client, method)(url, data={"booth_number": "1", "reason": "x"})
        assert response.status_code == 403, url


def test_another_organizer_cannot_touch_them(client, auth, db, owned):
    _, fair, campaign, fs = owned
    auth.login(make_organizer())
    for method, url in owned_urls(fair, campaign, fs):
        response = getattr(client, method)(url, data={"booth_number": "1", "reason": "x"})
        assert response.status_code == 404, url  # another organizer's ids don't leak
    db.session.expire_all()
    assert fs.status == "applied"
    assert fair.name and campaign.name


def test_the_owner_reaches_every_screen(client, auth, owned):
    organizer, fair, campaign, fs = owned
    auth.login(organizer)
    for url in (f"/organizer/fairs/{fair.id}", f"/organizer/fairs/{fair.id}/edit",
                f"/organizer/campaigns/{campaign.id}/edit", "/organizer"):
        assert client.get(url).status_code == 200, url


def test_unknown_ids_are_404(client, auth, owned):
    auth.login(owned[0])
    assert client.get("/organizer/fairs/9999/edit").status_code == 404
    assert client.post("/organizer/participations/9999/accept").status_code == 404


def test_dashboard_lists_only_the_organizers_own_fairs_and_campaigns(client, auth, owned):
    organizer, fair, campaign, fs = owned
    make_fair(name="Chợ của người khác")
    make_campaign(name="Chiến dịch của người khác")
    auth.login(organizer)
    html = client.get("/organizer").get_data(as_text=True)
    assert fair.name in html and campaign.name in html
    assert "Chợ của người khác" not in html and "Chiến dịch của người khác" not in html


def test_dashboard_shows_applications_waiting_with_their_fair(client, auth, owned):
    organizer, fair, _, fs = owned
    make_application(make_fair(), make_stall(name="Gian chợ khác"))
    auth.login(organizer)
    html = client.get("/organizer").get_data(as_text=True)
    assert fs.stall.name in html and f"/organizer/participations/{fs.id}/accept" in html
    assert "Gian chợ khác" not in html


def test_dashboard_shows_fair_and_campaign_states(client, auth):
    organizer = make_organizer()
    make_fair(organizer, state="open")
    make_fair(organizer, published=False)
    make_campaign(organizer)
    auth.login(organizer)
    html = client.get("/organizer").get_data(as_text=True)
    assert "Đang mở cửa" in html and "Bản nháp" in html and "Đang diễn ra" in html


def test_organizer_panel_links_to_the_dashboard(client, auth):
    auth.login(make_organizer())
    html = client.get("/me").get_data(as_text=True)
    assert 'href="/organizer"' in html


def test_nav_shows_the_dashboard_to_organizers_only(client, auth):
    auth.login(make_seller())
    assert 'href="/organizer"' not in client.get("/").get_data(as_text=True)
