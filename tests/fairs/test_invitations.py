"""A stall joins a fair or a campaign only when its seller applies or accepts an invitation."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from marketplace.fairs.models import CampaignStall, FairStall
from marketplace.formatting import vn_today
from tests.factories import (
    make_campaign,
    make_fair,
    make_order,
    make_organizer,
    make_participation,
    make_product,
    make_stall,
)

TEN_PERCENT = '<progress class="progress" max="100" value="10.0"'  # the campaign bar

def rows(db) -> list[tuple[int, str, str | None]]:
    return [(fs.stall_id, fs.status, fs.booth_number)
            for fs in db.session.scalars(sa.select(FairStall).order_by(FairStall.id))]


def _invite(client, fair, stall, booth="A1"):
    return client.post(f"/organizer/fairs/{fair.id}/stalls",
                       data={"stall_id": stall.id, "booth_number": booth})


def test_adding_a_sellers_stall_only_invites_it(client, auth, db):
    organizer = make_organizer()
    fair = make_fair(organizer, slug="xuan", name="Phiên chợ Xuân")
    stall = make_stall(name="Tương Trí Yên")
    auth.login(organizer)
    response = _invite(client, fair, stall)
    assert response.status_code == 302
    assert rows(db) == [(stall.id, "invited", "A1")]
    assert "Đã gửi lời mời" in client.get(response.headers["Location"]).get_data(as_text=True)
    auth.logout()
    # Not taking part yet: not on the public fair page.
    assert "Tương Trí Yên" not in client.get("/fairs/xuan").get_data(as_text=True)


def test_the_seller_sees_the_invitation_and_accepts_it(client, auth, db):
    organizer = make_organizer(name="Đoàn Thanh niên Yên Dũng")
    fair = make_fair(organizer, slug="xuan", name="Phiên chợ Xuân")
    stall = make_stall(name="Tương Trí Yên")
    auth.login(organizer)
    _invite(client, fair, stall, "7")
    auth.logout()
    auth.login(stall.owner)
    me = client.get("/me").get_data(as_text=True)
    assert "Lời mời đang chờ bạn trả lời: 1" in me
    page = client.get("/seller/invitations").get_data(as_text=True)
    assert "Đoàn Thanh niên Yên Dũng mời Tương Trí Yên vào gian số 7" in page
    [fs_id] = re.findall(r"/seller/invitations/fairs/(\d+)/accept", page)
    client.post(f"/seller/invitations/fairs/{fs_id}/accept")
    assert rows(db) == [(stall.id, "accepted", "7")]
    assert "Tương Trí Yên" in client.get("/fairs/xuan").get_data(as_text=True)


def test_the_seller_refuses_and_the_booth_is_free_again(client, auth, db):
    organizer = make_organizer()
    fair = make_fair(organizer)
    stall = make_stall()
    auth.login(organizer)
    _invite(client, fair, stall, "7")
    [fs] = db.session.scalars(sa.select(FairStall)).all()
    auth.logout()
    auth.login(stall.owner)
    client.post(f"/seller/invitations/fairs/{fs.id}/refuse")
    assert rows(db) == [(stall.id, "refused", None)]
    auth.logout()
    auth.login(organizer)
    # The organizer cannot turn a refusal (or a pending invitation) into a place.
    response = client.post(f"/organizer/participations/{fs.id}/accept",
                           data={"booth_number": "8"}, follow_redirects=True)
    assert "đã từ chối lời mời" in response.get_data(as_text=True)
    assert rows(db) == [(stall.id, "refused", None)]
    other = make_stall()
    assert _invite(client, fair, other, "7").status_code == 302
    assert rows(db)[-1] == (other.id, "invited", "7")


def test_the_organizer_cannot_accept_an_invitation_for_the_seller(client, auth, db):
    organizer = make_organizer()
    fair = make_fair(organizer)
    stall = make_stall()
    auth.login(organizer)
    _invite(client, fair, stall, "7")
    [fs] = db.session.scalars(sa.select(FairStall)).all()
    for action, data in (("accept", {"booth_number": "7"}), ("decline", {"reason": "x"})):
        client.post(f"/organizer/participations/{fs.id}/{action}", data=data)
        assert rows(db) == [(stall.id, "invited", "7")]


def test_another_seller_cannot_answer_an_invitation(client, auth, db):
    organizer = make_organizer()
    fair = make_fair(organizer)
    stall = make_stall()
    fs = make_participation(fair, stall, booth="7", status="invited")
    auth.login(make_stall().owner)
    assert client.post(f"/seller/invitations/fairs/{fs.id}/accept").status_code == 404
    assert rows(db) == [(stall.id, "invited", "7")]


def test_a_stall_set_up_by_the_organizer_keeps_its_place_after_handover(client, auth, db):
    organizer = make_organizer()
    fair = make_fair(organizer, slug="xuan")
    stall = make_stall(owner=organizer, slug="mat-ong", name="Mật ong Yên Thế")
    auth.login(organizer)
    _invite(client, fair, stall, "3")
    assert rows(db) == [(stall.id, "accepted", "3")]
    client.post("/stalls/mat-ong/manage/handover",
                data={"phone": "0912000099", "name": "Ngô Văn Ong"})
    db.session.refresh(stall)
    assert stall.owner_id != organizer.id
    assert rows(db) == [(stall.id, "accepted", "3")]
    assert "Mật ong Yên Thế" in client.get("/fairs/xuan").get_data(as_text=True)


def test_a_seller_joins_a_campaign_and_only_then_counts(client, auth, db):
    today = vn_today()
    lychee = make_product(name="Vải thiều", category="trai-cay", net_weight_kg=Decimal("1"))
    organizer = make_organizer()
    auth.login(organizer)
    client.post("/organizer/campaigns/new", data={
        "name": "Vải chuẩn", "slug": "vai", "starts_on": (today - timedelta(days=1)).isoformat(),
        "ends_on": today.isoformat(), "goal_weight": "1000", "goal_unit": "kg",
        "categories": ["trai-cay"], "stalls": [str(lychee.stall_id)],
        "channels": ["online"], "published": "y"})
    make_order(lychee.stall, [(lychee, 100)], paid=True)
    assert TEN_PERCENT not in client.get("/campaigns/vai").get_data(as_text=True)
    auth.logout()
    auth.login(lychee.stall.owner)
    page = client.get("/seller/invitations").get_data(as_text=True)
    assert "Vải chuẩn" in page and "Chờ bạn trả lời" in page
    [url] = re.findall(r'action="(/seller/invitations/campaigns/\d+/\d+/join)"', page)
    client.post(url)
    assert TEN_PERCENT in client.get("/campaigns/vai").get_data(as_text=True)
    client.post(url.replace("/join", "/decline"))
    assert TEN_PERCENT not in client.get("/campaigns/vai").get_data(as_text=True)
    assert [cs.status for cs in db.session.scalars(sa.select(CampaignStall))] == ["declined"]


def test_another_seller_cannot_answer_a_campaign_invitation(client, auth, db):
    stall = make_stall()
    campaign = make_campaign()
    from tests.factories import join_campaign

    join_campaign(campaign, stall, status="invited")
    auth.login(make_stall().owner)
    url = f"/seller/invitations/campaigns/{campaign.id}/{stall.id}/join"
    assert client.post(url).status_code == 404
    assert [cs.status for cs in db.session.scalars(sa.select(CampaignStall))] == ["invited"]
