"""Organizers create and edit the fairs they run."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import sqlalchemy as sa
from PIL import Image

from marketplace.fairs.models import Fair
from marketplace.storage import StoredImage
from tests.factories import make_fair, make_organizer


def fair_form(**overrides) -> dict:
    data = {
        "name": "Phiên chợ 4.0 Yên Dũng",
        "slug": "",
        "venue": "Chùa Vĩnh Nghiêm",
        "address": "xã Trí Yên, huyện Yên Dũng, Bắc Giang",
        "starts_at": "2030-03-01T08:00",
        "ends_at": "2030-03-03T21:00",
        "description": "Phiên chợ nông sản",
        "published": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def all_fairs(db) -> list[Fair]:
    return list(db.session.scalars(sa.select(Fair)))


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, "JPEG")
    return out.getvalue()


def test_organizer_creates_a_fair_with_local_times_stored_in_utc(client, auth, db):
    organizer = make_organizer()
    auth.login(organizer)
    response = client.post("/organizer/fairs/new", data=fair_form())
    assert response.status_code == 302
    fair = db.session.scalar(sa.select(Fair))
    assert fair.organizer_id == organizer.id
    assert fair.starts_at == datetime(2030, 3, 1, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
    assert fair.ends_at == datetime(2030, 3, 3, 14, 0, tzinfo=UTC)
    assert fair.published is True


def test_slug_is_made_from_the_name_without_diacritics(client, auth, db):
    auth.login(make_organizer())
    client.post("/organizer/fairs/new", data=fair_form(name="Phiên chợ Đồng Tâm"))
    assert db.session.scalar(sa.select(Fair.slug)) == "phien-cho-dong-tam"


def test_a_second_fair_with_the_same_name_gets_a_distinct_slug(client, auth, db):
    auth.login(make_organizer())
    client.post("/organizer/fairs/new", data=fair_form(name="Phiên chợ Xuân"))
    client.post("/organizer/fairs/new", data=fair_form(name="Phiên chợ Xuân"))
    assert sorted(f.slug for f in all_fairs(db)) == ["phien-cho-xuan", "phien-cho-xuan-2"]


def test_fair_page_shows_times_in_vietnam_time(client, auth, db):
    auth.login(make_organizer())
    client.post("/organizer/fairs/new", data=fair_form(slug="hoi-cho"))
    html = client.get("/fairs/hoi-cho").get_data(as_text=True)
    assert "01/03/2030 08:00" in html
    assert "03/03/2030 21:00" in html


def test_end_before_start_is_refused_and_nothing_saved(client, auth, db):
    auth.login(make_organizer())
    response = client.post("/organizer/fairs/new", data=fair_form(ends_at="2030-02-28T08:00"))
    assert response.status_code == 400
    assert "Thời gian kết thúc phải sau thời gian bắt đầu." in response.get_data(as_text=True)
    assert all_fairs(db) == []


def test_a_malformed_date_is_a_form_error(client, auth, db):
    auth.login(make_organizer())
    response = client.post("/organizer/fairs/new", data=fair_form(starts_at="mai 8 giờ"))
    assert response.status_code == 400
    assert "Ngày giờ không đúng định dạng" in response.get_data(as_text=True)
    assert all_fairs(db) == []


def test_a_typed_day_month_year_date_is_accepted(client, auth, db):
    auth.login(make_organizer())
    client.post("/organizer/fairs/new",
                data=fair_form(starts_at="01/03/2030 08:00", ends_at="03/03/2030 21:00"))
    assert db.session.scalar(sa.select(Fair.starts_at)) == datetime(2030, 3, 1, 1, tzinfo=UTC)


def test_a_taken_slug_is_a_form_error(client, auth, db):
    make_fair(slug="phien-cho-tet")
    auth.login(make_organizer())
    response = client.post("/organizer/fairs/new", data=fair_form(slug="phien-cho-tet"))
    assert response.status_code == 400
    assert "Đường dẫn này đã được dùng" in response.get_data(as_text=True)
    assert len(all_fairs(db)) == 1


def test_a_slug_with_spaces_or_accents_is_refused(client, auth, db):
    auth.login(make_organizer())
    response = client.post("/organizer/fairs/new", data=fair_form(slug="phiên chợ"))
    assert response.status_code == 400
    assert all_fairs(db) == []


def test_missing_venue_is_a_form_error(client, auth, db):
    auth.login(make_organizer())
    response = client.post("/organizer/fairs/new", data=fair_form(venue=""))
    assert "Vui lòng nhập địa điểm." in response.get_data(as_text=True)
    assert all_fairs(db) == []


def test_cover_image_is_stored_and_shown(client, auth, db):
    auth.login(make_organizer())
    data = fair_form(slug="co-anh")
    data["cover"] = (io.BytesIO(jpeg_bytes()), "bia.jpg")
    client.post("/organizer/fairs/new", data=data, content_type="multipart/form-data")
    fair = db.session.scalar(sa.select(Fair))
    assert fair.cover_image_id is not None
    html = client.get("/fairs/co-anh").get_data(as_text=True)
    assert f"/img/{fair.cover_image_id}.jpg" in html


def test_a_bad_cover_file_is_a_form_error_and_nothing_saved(client, auth, db):
    auth.login(make_organizer())
    data = fair_form()
    data["cover"] = (io.BytesIO(b"not an image"), "bia.jpg")
    response = client.post("/organizer/fairs/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Tệp không phải là ảnh hợp lệ." in response.get_data(as_text=True)
    assert all_fairs(db) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredImage)) == 0


def test_edit_form_shows_current_values_in_local_time(client, auth, db):
    organizer = make_organizer()
    fair = make_fair(organizer, starts_at=datetime(2030, 3, 1, 1, tzinfo=UTC),
                     ends_at=datetime(2030, 3, 3, 14, tzinfo=UTC))
    auth.login(organizer)
    html = client.get(f"/organizer/fairs/{fair.id}/edit").get_data(as_text=True)
    assert 'value="2030-03-01T08:00"' in html
    assert 'type="datetime-local"' in html


def test_organizer_edits_their_fair(client, auth, db):
    organizer = make_organizer()
    fair = make_fair(organizer, slug="cu")
    auth.login(organizer)
    response = client.post(f"/organizer/fairs/{fair.id}/edit",
                           data=fair_form(name="Tên mới", slug="cu", published=None))
    assert response.status_code == 302
    db.session.refresh(fair)
    assert (fair.name, fair.slug, fair.published) == ("Tên mới", "cu", False)


def test_a_failed_edit_leaves_the_fair_unchanged(client, auth, db):
    organizer = make_organizer()
    fair = make_fair(organizer, name="Tên cũ")
    auth.login(organizer)
    response = client.post(f"/organizer/fairs/{fair.id}/edit",
                           data=fair_form(name="Tên mới", ends_at="2030-02-01T08:00"))
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Fair, fair.id).name == "Tên cũ"


def test_organizer_deletes_a_fair_without_orders(client, auth, db):
    organizer = make_organizer()
    fair = make_fair(organizer)
    auth.login(organizer)
    client.post(f"/organizer/fairs/{fair.id}/delete")
    assert all_fairs(db) == []


def test_a_fair_with_orders_cannot_be_deleted(client, auth, db):
    from tests.factories import make_order

    organizer = make_organizer()
    fair = make_fair(organizer)
    make_order(fair=fair, channel="fair")
    auth.login(organizer)
    response = client.post(f"/organizer/fairs/{fair.id}/delete", follow_redirects=True)
    assert "không xoá được" in response.get_data(as_text=True)
    assert len(all_fairs(db)) == 1


def test_a_fair_with_label_scans_cannot_be_deleted(client, auth, db):
    from tests.factories import make_product, make_scan_event

    organizer = make_organizer()
    fair = make_fair(organizer)
    make_scan_event(make_product(), fair=fair)
    auth.login(organizer)
    response = client.post(f"/organizer/fairs/{fair.id}/delete", follow_redirects=True)
    assert "không xoá được" in response.get_data(as_text=True)
    assert len(all_fairs(db)) == 1


def test_a_fair_that_is_only_a_pickup_place_cannot_be_deleted_either(client, auth, db):
    from tests.factories import make_order

    organizer = make_organizer()
    fair = make_fair(organizer)
    order = make_order(channel="online")
    order.pickup_fair_id = fair.id
    db.session.commit()
    auth.login(organizer)
    response = client.post(f"/organizer/fairs/{fair.id}/delete", follow_redirects=True)
    assert "không xoá được" in response.get_data(as_text=True)
    assert len(all_fairs(db)) == 1


def test_the_service_refuses_a_fair_name_longer_than_its_column(db):
    import pytest

    from marketplace.errors import ValidationError
    from marketplace.fairs import services

    data = services.FairInput(name="Phiên chợ " * 20, venue="Chùa Vĩnh Nghiêm",
                              starts_local=datetime(2030, 3, 1, 8),
                              ends_local=datetime(2030, 3, 1, 20))
    with pytest.raises(ValidationError) as refused:
        services.save_fair(make_organizer(), data)
    assert refused.value.field == "name"
    assert all_fairs(db) == []
