"""Organizers run campaigns (period, goal, scope, channels); the public sees the progress."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from marketplace.fairs.models import Campaign
from marketplace.formatting import vn_today
from tests.factories import (
    make_campaign,
    make_order,
    make_organizer,
    make_product,
    make_stall,
)


def campaign_form(**overrides) -> dict:
    data = {
        "name": "Lục Ngạn - Bắc Giang: Vải chuẩn từ tâm",
        "slug": "",
        "description": "Bán vải thiều trực tuyến",
        "starts_on": "2023-06-15",
        "ends_on": "2023-07-02",
        "goal_weight": "50",
        "goal_unit": "t",
        "goal_vnd": "",
        "categories": ["trai-cay"],
        "channels": ["fair", "online", "livestream", "imported"],
        "published": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def campaigns(db) -> list[Campaign]:
    return list(db.session.scalars(sa.select(Campaign)))


def post_new(client, **overrides):
    if "stalls" not in overrides:
        overrides["stalls"] = [str(make_stall().id)]
    return client.post("/organizer/campaigns/new", data=campaign_form(**overrides))


def invitations(campaign) -> list[tuple[int, str]]:
    return sorted((i.stall_id, i.status) for i in campaign.invitations)


def test_organizer_creates_a_campaign_with_a_goal_in_tonnes_stored_as_kg(client, auth, db):
    organizer = make_organizer()
    auth.login(organizer)
    assert post_new(client).status_code == 302
    [campaign] = campaigns(db)
    assert campaign.organizer_id == organizer.id
    assert campaign.slug == "luc-ngan-bac-giang-vai-chuan-tu-tam"
    assert campaign.goal_kg == Decimal("50000")
    assert (campaign.starts_on, campaign.ends_on) == (date(2023, 6, 15), date(2023, 7, 2))
    assert campaign.category_list == ["trai-cay"]
    assert campaign.channel_list == ["fair", "online", "livestream", "imported"]


def test_a_goal_in_kg_with_a_decimal_comma(client, auth, db):
    auth.login(make_organizer())
    post_new(client, goal_weight="1250,5", goal_unit="kg")
    assert campaigns(db)[0].goal_kg == Decimal("1250.5")


def test_a_goal_in_vnd_only_typed_with_dots(client, auth, db):
    auth.login(make_organizer())
    post_new(client, goal_weight="", goal_vnd="200.000.000")
    [campaign] = campaigns(db)
    assert (campaign.goal_kg, campaign.goal_vnd) == (None, 200_000_000)


def test_chosen_stalls_are_invited_and_products_narrow_them(client, auth, db):
    stall = make_stall()
    product = make_product(stall)
    auth.login(make_organizer())
    post_new(client, categories=[], stalls=[str(stall.id)], products=[str(product.id)])
    [campaign] = campaigns(db)
    assert invitations(campaign) == [(stall.id, "invited")]
    assert campaign.joined_stalls == []
    assert [p.id for p in campaign.products] == [product.id]
    assert campaign.category_list == []


def test_a_stall_the_organizer_still_owns_joins_at_once(client, auth, db):
    organizer = make_organizer()
    own = make_stall(owner=organizer)
    auth.login(organizer)
    post_new(client, stalls=[str(own.id)])
    [campaign] = campaigns(db)
    assert invitations(campaign) == [(own.id, "joined")]


def test_a_product_of_a_stall_not_invited_is_refused(client, auth, db):
    stray = make_product(make_stall(), name="Mật ong bạc hà")
    auth.login(make_organizer())
    response = post_new(client, products=[str(stray.id)])
    assert response.status_code == 400
    assert "Mật ong bạc hà thuộc gian hàng chưa được mời" in response.get_data(as_text=True)
    assert campaigns(db) == []


def test_a_campaign_without_stalls_is_refused(client, auth, db):
    auth.login(make_organizer())
    response = post_new(client, stalls=[])
    assert response.status_code == 400
    assert "Vui lòng mời ít nhất một gian hàng" in response.get_data(as_text=True)
    assert campaigns(db) == []


def test_a_campaign_without_a_channel_is_refused(client, auth, db):
    auth.login(make_organizer())
    response = post_new(client, channels=[])
    assert response.status_code == 400
    assert "ít nhất một kênh bán" in response.get_data(as_text=True)
    assert campaigns(db) == []


def test_a_campaign_without_a_goal_is_refused(client, auth, db):
    auth.login(make_organizer())
    response = post_new(client, goal_weight="", goal_vnd="")
    assert response.status_code == 400
    assert "Vui lòng đặt mục tiêu" in response.get_data(as_text=True)
    assert campaigns(db) == []


def test_a_zero_goal_is_refused(client, auth, db):
    auth.login(make_organizer())
    response = post_new(client, goal_weight="0")
    assert response.status_code == 400
    assert "phải lớn hơn 0" in response.get_data(as_text=True)


def test_a_goal_that_is_not_a_number_is_a_form_error(client, auth, db):
    auth.login(make_organizer())
    response = post_new(client, goal_weight="năm mươi")
    assert response.status_code == 400
    assert "Vui lòng nhập một số" in response.get_data(as_text=True)
    assert campaigns(db) == []


def test_end_before_start_is_refused(client, auth, db):
    auth.login(make_organizer())
    response = post_new(client, ends_on="2023-06-01")
    assert response.status_code == 400
    assert "Ngày kết thúc không được trước ngày bắt đầu." in response.get_data(as_text=True)
    assert campaigns(db) == []


def test_a_one_day_campaign_is_fine(client, auth, db):
    auth.login(make_organizer())
    post_new(client, ends_on="2023-06-15")
    assert len(campaigns(db)) == 1


def test_dates_in_the_wrong_format_are_refused(client, auth, db):
    auth.login(make_organizer())
    response = post_new(client, starts_on="15-06-2023x")
    assert response.status_code == 400
    assert "Ngày không đúng định dạng" in response.get_data(as_text=True)
    assert campaigns(db) == []


def test_a_day_month_year_date_is_accepted(client, auth, db):
    auth.login(make_organizer())
    post_new(client, starts_on="15/06/2023", ends_on="02/07/2023")
    assert campaigns(db)[0].ends_on == date(2023, 7, 2)


def test_a_taken_slug_is_refused(client, auth, db):
    make_campaign(slug="vai-thieu")
    auth.login(make_organizer())
    response = post_new(client, slug="vai-thieu")
    assert response.status_code == 400
    assert "Đường dẫn này đã được dùng" in response.get_data(as_text=True)
    assert len(campaigns(db)) == 1


def test_an_unknown_category_is_refused(client, auth, db):
    auth.login(make_organizer())
    response = post_new(client, categories=["vang-bac"])
    assert response.status_code == 400
    assert campaigns(db) == []


def test_edit_form_shows_the_goal_in_tonnes(client, auth, db):
    organizer = make_organizer()
    campaign = make_campaign(organizer, goal_kg=Decimal("50000"))
    auth.login(organizer)
    html = client.get(f"/organizer/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert 'name="goal_weight" type="text" value="50"' in html
    assert '<option selected value="t">' in html


def test_organizer_edits_their_campaign_scope_keeping_answers(client, auth, db):
    organizer = make_organizer()
    joined, dropped, new = make_stall(), make_stall(), make_stall()
    campaign = make_campaign(organizer, slug="vai", stalls=[joined, dropped])
    auth.login(organizer)
    response = client.post(f"/organizer/campaigns/{campaign.id}/edit",
                           data=campaign_form(slug="vai", categories=[],
                                              stalls=[str(joined.id), str(new.id)]))
    assert response.status_code == 302
    db.session.refresh(campaign)
    assert campaign.category_list == []
    assert invitations(campaign) == sorted([(joined.id, "joined"), (new.id, "invited")])


def test_a_failed_edit_leaves_the_campaign_unchanged(client, auth, db):
    organizer = make_organizer()
    campaign = make_campaign(organizer, name="Tên cũ")
    auth.login(organizer)
    client.post(f"/organizer/campaigns/{campaign.id}/edit",
                data=campaign_form(name="Tên mới", channels=[]))
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).name == "Tên cũ"


def test_organizer_deletes_their_campaign(client, auth, db):
    organizer = make_organizer()
    campaign = make_campaign(organizer, stalls=[make_stall()])
    auth.login(organizer)
    client.post(f"/organizer/campaigns/{campaign.id}/delete")
    assert campaigns(db) == []


def test_public_campaign_page_shows_goal_and_period(client, db):
    make_campaign(slug="vai", name="Vải chuẩn từ tâm", goal_kg=Decimal("50000"),
                  starts_on=date(2023, 6, 15), ends_on=date(2023, 7, 2))
    html = client.get("/campaigns/vai").get_data(as_text=True)
    assert "Vải chuẩn từ tâm" in html
    assert "50 tấn" in html
    assert "15/06/2023" in html and "02/07/2023" in html
    assert 'class="progress"' in html


def test_campaign_progress_bar_fills_with_sales_in_scope(client, db, any_hour):
    today = vn_today()
    lychee = make_product(name="Vải thiều", category="trai-cay", net_weight_kg=Decimal("1"))
    make_campaign(slug="vai", goal_kg=Decimal("1000"), categories="trai-cay",
                  starts_on=today.replace(day=1) if today.day > 1 else today, ends_on=today,
                  stalls=[lychee.stall])
    make_order(lychee.stall, [(lychee, 250)], paid=True)
    html = client.get("/campaigns/vai").get_data(as_text=True)
    assert "25%" in html
    assert '<progress class="progress" max="100" value="25.0"' in html


def test_a_stall_that_did_not_join_is_not_counted(client, db):
    from tests.factories import join_campaign

    today = vn_today()
    lychee = make_product(name="Vải thiều", category="trai-cay", net_weight_kg=Decimal("1"))
    other = make_product(name="Vải chín sớm", category="trai-cay", net_weight_kg=Decimal("1"))
    campaign = make_campaign(slug="vai", goal_kg=Decimal("1000"), categories="trai-cay",
                             starts_on=today, ends_on=today, stalls=[lychee.stall])
    join_campaign(campaign, other.stall, status="invited")
    make_order(lychee.stall, [(lychee, 100)], paid=True)
    make_order(other.stall, [(other, 500)], paid=True)
    html = client.get("/campaigns/vai").get_data(as_text=True)
    assert '<progress class="progress" max="100" value="10.0"' in html
    assert "Vải chín sớm" not in html


def test_an_unpublished_campaign_is_hidden_from_the_public(client, db):
    make_campaign(slug="nhap", published=False)
    assert client.get("/campaigns/nhap").status_code == 404


def test_an_unpublished_campaign_is_visible_to_its_organizer(client, auth, db):
    organizer = make_organizer()
    make_campaign(organizer, slug="nhap", published=False)
    auth.login(organizer)
    assert client.get("/campaigns/nhap").status_code == 200
