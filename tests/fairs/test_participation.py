"""Stalls apply to fairs; organizers accept with a booth or decline with a reason."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.errors import ValidationError
from marketplace.fairs import services
from marketplace.fairs.models import FairStall
from tests.factories import (
    make_application,
    make_fair,
    make_organizer,
    make_participation,
    make_seller,
    make_stall,
)


def rows(db) -> list[FairStall]:
    return list(db.session.scalars(sa.select(FairStall).order_by(FairStall.id)))


def test_seller_applies_from_the_fair_page(client, auth, db):
    fair = make_fair(state="upcoming", slug="xuan")
    stall = make_stall()
    auth.login(stall.owner)
    assert "Đăng ký gian hàng" in client.get("/fairs/xuan").get_data(as_text=True)
    response = client.post("/fairs/xuan/apply", follow_redirects=True)
    assert "Đã gửi đăng ký tham gia" in response.get_data(as_text=True)
    [fs] = rows(db)
    assert (fs.fair_id, fs.stall_id, fs.status, fs.booth_number) == (
        fair.id, stall.id, "applied", None)


def test_applying_twice_says_so_and_saves_nothing_new(client, auth, db):
    make_fair(state="upcoming", slug="xuan")
    stall = make_stall()
    auth.login(stall.owner)
    client.post("/fairs/xuan/apply")
    response = client.post("/fairs/xuan/apply", follow_redirects=True)
    assert "đã đăng ký phiên chợ này" in response.get_data(as_text=True)
    assert len(rows(db)) == 1


def test_a_seller_with_two_stalls_chooses_which_applies(client, auth, db):
    make_fair(state="upcoming", slug="xuan")
    seller = make_seller()
    make_stall(seller)
    second = make_stall(seller)
    auth.login(seller)
    client.post("/fairs/xuan/apply", data={"stall_id": second.id})
    assert [fs.stall_id for fs in rows(db)] == [second.id]


def test_a_seller_cannot_apply_with_someone_elses_stall(client, auth, db):
    make_fair(state="upcoming", slug="xuan")
    other = make_stall()
    mine = make_stall()
    auth.login(mine.owner)
    response = client.post("/fairs/xuan/apply", data={"stall_id": other.id},
                           follow_redirects=True)
    assert "Vui lòng chọn một gian hàng của bạn." in response.get_data(as_text=True)
    assert rows(db) == []


def test_a_closed_fair_takes_no_applications(client, auth, db):
    make_fair(state="closed", slug="cu")
    stall = make_stall()
    auth.login(stall.owner)
    response = client.post("/fairs/cu/apply", follow_redirects=True)
    assert "không nhận đăng ký" in response.get_data(as_text=True)
    assert rows(db) == []


def test_a_seller_without_a_stall_is_told_to_make_one(client, auth, db):
    make_fair(state="upcoming", slug="xuan")
    auth.login(make_seller())
    response = client.post("/fairs/xuan/apply", follow_redirects=True)
    assert "Bạn cần tạo gian hàng trước" in response.get_data(as_text=True)
    assert rows(db) == []


def test_a_shopper_cannot_apply(client, auth, db):
    from tests.factories import make_user

    make_fair(state="upcoming", slug="xuan")
    auth.login(make_user())
    assert client.post("/fairs/xuan/apply").status_code == 403


def test_anonymous_apply_goes_to_login(client, db):
    make_fair(state="upcoming", slug="xuan")
    response = client.post("/fairs/xuan/apply")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_organizer_accepts_with_a_booth_number(client, auth, db):
    organizer = make_organizer()
    fs = make_application(make_fair(organizer), make_stall())
    auth.login(organizer)
    response = client.post(f"/organizer/participations/{fs.id}/accept",
                           data={"booth_number": " 7 ", "next": "dashboard"})
    assert response.status_code == 302
    db.session.refresh(fs)
    assert (fs.status, fs.booth_number) == ("accepted", "7")
    assert fs.decided_at is not None


def test_a_taken_booth_is_a_form_error_next_to_the_row(client, auth, db):
    organizer = make_organizer()
    fair = make_fair(organizer)
    make_participation(fair, make_stall(), booth="7")
    fs = make_application(fair, make_stall())
    auth.login(organizer)
    response = client.post(f"/organizer/participations/{fs.id}/accept",
                           data={"booth_number": "7", "next": "dashboard"})
    assert response.status_code == 400
    assert "Gian số 7 đã có gian hàng khác" in response.get_data(as_text=True)
    db.session.refresh(fs)
    assert (fs.status, fs.booth_number) == ("applied", None)


def test_the_same_booth_number_is_fine_at_another_fair(client, auth, db):
    organizer = make_organizer()
    make_participation(make_fair(organizer), make_stall(), booth="7")
    fs = make_application(make_fair(organizer), make_stall())
    auth.login(organizer)
    client.post(f"/organizer/participations/{fs.id}/accept", data={"booth_number": "7"})
    db.session.refresh(fs)
    assert fs.booth_number == "7"


def test_the_database_refuses_two_stalls_at_one_booth(app, db):
    fair = make_fair()
    make_participation(fair, make_stall(), booth="3")
    db.session.add(FairStall(fair=fair, stall=make_stall(), status="accepted", booth_number="3"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_accepting_without_a_booth_number_is_refused(client, auth, db):
    organizer = make_organizer()
    fs = make_application(make_fair(organizer), make_stall())
    auth.login(organizer)
    response = client.post(f"/organizer/participations/{fs.id}/accept",
                           data={"booth_number": ""})
    assert response.status_code == 400
    assert "Vui lòng nhập số gian." in response.get_data(as_text=True)


def test_organizer_declines_with_a_reason(client, auth, db):
    organizer = make_organizer()
    fs = make_application(make_fair(organizer), make_stall())
    auth.login(organizer)
    client.post(f"/organizer/participations/{fs.id}/decline",
                data={"reason": "Hết chỗ", "next": "dashboard"})
    db.session.refresh(fs)
    assert (fs.status, fs.decline_reason) == ("declined", "Hết chỗ")


def test_declining_without_a_reason_is_refused(client, auth, db):
    organizer = make_organizer()
    fs = make_application(make_fair(organizer), make_stall())
    auth.login(organizer)
    response = client.post(f"/organizer/participations/{fs.id}/decline", data={"reason": " "})
    assert response.status_code == 400
    assert "Vui lòng ghi lý do từ chối." in response.get_data(as_text=True)
    db.session.refresh(fs)
    assert fs.status == "applied"


def test_seller_sees_the_outcome_on_their_page(client, auth, db):
    stall = make_stall()
    accepted_fair = make_fair(name="Chợ Xuân")
    declined_fair = make_fair(name="Chợ Hè")
    make_participation(accepted_fair, stall, booth="12")
    fs = make_application(declined_fair, stall)
    services.decline_application(fs, "Không đúng nhóm hàng")
    auth.login(stall.owner)
    html = client.get("/me").get_data(as_text=True)
    assert "Chợ Xuân" in html and "gian số 12" in html
    assert "Chợ Hè" in html and "Không đúng nhóm hàng" in html


def test_organizer_puts_a_stall_they_still_own_straight_in(client, auth, db):
    organizer = make_organizer()
    fair = make_fair(organizer)
    stall = make_stall(owner=organizer)
    auth.login(organizer)
    response = client.post(f"/organizer/fairs/{fair.id}/stalls",
                           data={"stall_id": stall.id, "booth_number": "A1"})
    assert response.status_code == 302
    [fs] = rows(db)
    assert (fs.stall_id, fs.status, fs.booth_number) == (stall.id, "accepted", "A1")


def test_adding_a_stall_that_applied_accepts_its_application(client, auth, db):
    organizer = make_organizer()
    fair = make_fair(organizer)
    fs = make_application(fair, make_stall())
    auth.login(organizer)
    client.post(f"/organizer/fairs/{fair.id}/stalls",
                data={"stall_id": fs.stall_id, "booth_number": "4"})
    assert [(r.id, r.status, r.booth_number) for r in rows(db)] == [(fs.id, "accepted", "4")]


def test_adding_a_stall_at_a_taken_booth_is_a_form_error(client, auth, db):
    organizer = make_organizer()
    fair = make_fair(organizer)
    make_participation(fair, make_stall(), booth="4")
    stall = make_stall()
    auth.login(organizer)
    response = client.post(f"/organizer/fairs/{fair.id}/stalls",
                           data={"stall_id": stall.id, "booth_number": "4"})
    assert response.status_code == 400
    assert "Gian số 4 đã có gian hàng khác" in response.get_data(as_text=True)
    assert len(rows(db)) == 1


def test_adding_without_choosing_a_stall_is_a_form_error(client, auth, db):
    organizer = make_organizer()
    fair = make_fair(organizer)
    auth.login(organizer)
    response = client.post(f"/organizer/fairs/{fair.id}/stalls",
                           data={"stall_id": "0", "booth_number": "4"})
    assert response.status_code == 400
    assert "Vui lòng chọn một gian hàng." in response.get_data(as_text=True)


def test_organizer_removes_a_stall_from_a_fair(client, auth, db):
    organizer = make_organizer()
    fs = make_participation(make_fair(organizer), make_stall())
    auth.login(organizer)
    client.post(f"/organizer/participations/{fs.id}/remove")
    assert rows(db) == []


def test_service_refuses_a_taken_booth_on_the_booth_field(app, db):
    fair = make_fair()
    first = make_application(fair, make_stall())
    second = make_application(fair, make_stall())
    services.accept_application(first, "9")
    with app.test_request_context(), pytest.raises(ValidationError) as exc:
        services.accept_application(second, "9")
    assert exc.value.field == "booth_number"


def test_an_application_is_stamped_with_the_time_it_is_made(db):
    from datetime import UTC, datetime

    fair = make_fair(state="upcoming")
    stall = make_stall()
    made = datetime(2026, 11, 20, 2, 30, tzinfo=UTC)  # 09:30 in Vietnam
    fs = services.apply_to_fair(stall.owner, fair, stall.id, now=made)
    db.session.expire_all()
    assert db.session.get(FairStall, fs.id).applied_at == made
