"""Sellers keep a product's batches, diary and certificates; nobody else may touch them."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from marketplace.provenance.models import Batch, Certificate, TimelineStep
from tests.factories import (
    make_batch,
    make_certificate,
    make_organizer,
    make_product,
    make_seller,
    make_stall,
    make_step,
    make_user,
)


@pytest.fixture
def owned(db):
    """A seller with a stall, a product and one record of each kind."""
    seller = make_seller()
    stall = make_stall(owner=seller)
    product = make_product(stall=stall, name="Vải thiều Lục Ngạn")
    return {
        "seller": seller,
        "stall": stall,
        "product": product,
        "batch": make_batch(product, code="LN24-A"),
        "step": make_step(product, step="Ra hoa"),
        "cert": make_certificate(product, number="VG-001"),
        "stall_cert": make_certificate(stall=stall, kind="food_safety", number="ATTP-1"),
    }


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def routes(o) -> list[tuple[str, str, dict]]:
    """Every seller route of this domain, with valid data."""
    p, b, s, c = o["product"].id, o["batch"].id, o["step"].id, o["cert"].id
    return [
        ("GET", "/seller/provenance", {}),
        ("GET", f"/seller/products/{p}/provenance", {}),
        ("POST", f"/seller/products/{p}/batches", {"batch-code": "X1"}),
        ("POST", f"/seller/products/{p}/steps",
         {"step-happened_on": "2024-06-01", "step-step": "Tỉa cành"}),
        ("POST", f"/seller/products/{p}/certificates",
         {"cert-kind": "organic", "cert-number": "HC-1"}),
        ("GET", f"/seller/batches/{b}/edit", {}),
        ("POST", f"/seller/batches/{b}/edit", {"code": "HACKED"}),
        ("POST", f"/seller/batches/{b}/delete", {}),
        ("GET", f"/seller/steps/{s}/edit", {}),
        ("POST", f"/seller/steps/{s}/edit", {"happened_on": "2024-01-01", "step": "HACKED"}),
        ("POST", f"/seller/steps/{s}/delete", {}),
        ("GET", f"/seller/certificates/{c}/edit", {}),
        ("POST", f"/seller/certificates/{c}/edit", {"kind": "other", "number": "HACKED"}),
        ("POST", f"/seller/certificates/{c}/delete", {}),
        ("POST", f"/seller/certificates/{o['stall_cert'].id}/delete", {}),
        ("GET", f"/seller/stalls/{o['stall'].id}/labels", {}),
        ("POST", f"/seller/stalls/{o['stall'].id}/labels", {f"copies-{p}": "1"}),
    ]


def unchanged(db, o) -> bool:
    db.session.expire_all()
    return (
        count(db, Batch) == 1 and count(db, TimelineStep) == 1 and count(db, Certificate) == 2
        and db.session.get(Batch, o["batch"].id).code == "LN24-A"
        and db.session.get(TimelineStep, o["step"].id).step == "Ra hoa"
        and db.session.get(Certificate, o["cert"].id).number == "VG-001"
    )


def test_anonymous_is_sent_to_login_everywhere(client, db, owned):
    for method, url, data in routes(owned):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"], url
    assert unchanged(db, owned)


def test_another_seller_is_refused_everywhere_but_their_own_list(client, auth, db, owned):
    auth.login(make_seller())
    for method, url, data in routes(owned)[1:]:
        response = client.open(url, method=method, data=data)
        assert response.status_code in (403, 404), url
    assert unchanged(db, owned)


def test_another_sellers_list_does_not_show_my_products(client, auth, owned):
    auth.login(make_seller())
    html = client.get("/seller/provenance").get_data(as_text=True)
    assert "Vải thiều Lục Ngạn" not in html


def test_shopper_is_refused(client, auth, db, owned):
    auth.login(make_user("shopper"))
    for method, url, data in routes(owned):
        assert client.open(url, method=method, data=data).status_code == 403, url
    assert unchanged(db, owned)


def test_organizer_who_owns_a_stall_manages_its_records(client, auth, db):
    organizer = make_organizer()
    product = make_product(stall=make_stall(owner=organizer))
    auth.login(organizer)
    response = client.post(f"/seller/products/{product.id}/batches", data={"batch-code": "O-1"})
    assert response.status_code == 302
    assert count(db, Batch) == 1


def test_me_page_links_to_provenance(client, auth, owned):
    auth.login(owned["seller"])
    assert "/seller/provenance" in client.get("/me").get_data(as_text=True)


def test_index_lists_my_products(client, auth, owned):
    auth.login(owned["seller"])
    html = client.get("/seller/provenance").get_data(as_text=True)
    assert "Vải thiều Lục Ngạn" in html
    assert f"/seller/products/{owned['product'].id}/provenance" in html


def test_records_page_lists_all_three(client, auth, owned):
    auth.login(owned["seller"])
    html = client.get(f"/seller/products/{owned['product'].id}/provenance").get_data(as_text=True)
    assert "LN24-A" in html
    assert "Ra hoa" in html
    assert "VG-001" in html
    assert "ATTP-1" in html


def test_add_batch(client, auth, db, owned):
    auth.login(owned["seller"])
    response = client.post(
        f"/seller/products/{owned['product'].id}/batches",
        data={"batch-code": "LN24-B", "batch-produced_on": "2024-06-18", "batch-quantity": "650",
              "batch-best_before": "2024-06-28", "batch-note": "Vườn số 2"},
        follow_redirects=True,
    )
    assert "Đã thêm lô LN24-B." in response.get_data(as_text=True)
    batch = db.session.scalar(sa.select(Batch).where(Batch.code == "LN24-B"))
    assert (batch.produced_on, batch.quantity, batch.best_before, batch.note) == (
        date(2024, 6, 18), 650, date(2024, 6, 28), "Vườn số 2")


def test_duplicate_batch_code_is_refused_with_a_message(client, auth, db, owned):
    auth.login(owned["seller"])
    response = client.post(f"/seller/products/{owned['product'].id}/batches",
                           data={"batch-code": "LN24-A"})
    assert response.status_code == 400
    assert "Sản phẩm đã có lô mã LN24-A." in response.get_data(as_text=True)
    assert count(db, Batch) == 1


def test_best_before_earlier_than_production_is_refused(client, auth, db, owned):
    auth.login(owned["seller"])
    response = client.post(
        f"/seller/products/{owned['product'].id}/batches",
        data={"batch-code": "B2", "batch-produced_on": "2024-06-18",
              "batch-best_before": "2024-06-01"},
    )
    assert response.status_code == 400
    assert "Hạn dùng phải sau ngày thu hoạch/sản xuất." in response.get_data(as_text=True)
    assert count(db, Batch) == 1


def test_batch_without_code_is_refused(client, auth, db, owned):
    auth.login(owned["seller"])
    response = client.post(f"/seller/products/{owned['product'].id}/batches",
                           data={"batch-code": "  "})
    assert response.status_code == 400
    assert "Vui lòng nhập mã lô." in response.get_data(as_text=True)


def test_edit_batch(client, auth, db, owned):
    auth.login(owned["seller"])
    batch_id = owned["batch"].id
    response = client.post(f"/seller/batches/{batch_id}/edit",
                           data={"code": "LN24-A2", "quantity": "900"})
    assert response.status_code == 302
    db.session.expire_all()
    batch = db.session.get(Batch, batch_id)
    assert (batch.code, batch.quantity) == ("LN24-A2", 900)


def test_edit_batch_form_shows_current_values(client, auth, owned):
    auth.login(owned["seller"])
    html = client.get(f"/seller/batches/{owned['batch'].id}/edit").get_data(as_text=True)
    assert 'value="LN24-A"' in html


def test_delete_batch(client, auth, db, owned):
    auth.login(owned["seller"])
    assert client.post(f"/seller/batches/{owned['batch'].id}/delete").status_code == 302
    assert count(db, Batch) == 0


def test_delete_is_post_only(client, auth, db, owned):
    auth.login(owned["seller"])
    assert client.get(f"/seller/batches/{owned['batch'].id}/delete").status_code == 405
    assert count(db, Batch) == 1


def test_add_edit_delete_step(client, auth, db, owned):
    auth.login(owned["seller"])
    pid = owned["product"].id
    client.post(f"/seller/products/{pid}/steps",
                data={"step-happened_on": "2024-06-12", "step-step": "Thu hoạch",
                      "step-note": "Hái sáng sớm"})
    step = db.session.scalar(sa.select(TimelineStep).where(TimelineStep.step == "Thu hoạch"))
    assert (step.happened_on, step.note) == (date(2024, 6, 12), "Hái sáng sớm")
    client.post(f"/seller/steps/{step.id}/edit", data={"happened_on": "2024-06-13",
                                                       "step": "Thu hoạch đợt 1"})
    db.session.expire_all()
    assert db.session.get(TimelineStep, step.id).step == "Thu hoạch đợt 1"
    client.post(f"/seller/steps/{step.id}/delete")
    assert count(db, TimelineStep) == 1


def test_step_without_date_is_refused(client, auth, db, owned):
    auth.login(owned["seller"])
    response = client.post(f"/seller/products/{owned['product'].id}/steps",
                           data={"step-step": "Tưới"})
    assert response.status_code == 400
    assert count(db, TimelineStep) == 1


def test_add_product_certificate(client, auth, db, owned):
    auth.login(owned["seller"])
    client.post(f"/seller/products/{owned['product'].id}/certificates",
                data={"cert-kind": "organic", "cert-number": "HC-9", "cert-issuer": "PGS",
                      "cert-valid_until": "2027-01-31"})
    cert = db.session.scalar(sa.select(Certificate).where(Certificate.number == "HC-9"))
    assert (cert.kind, cert.product_id, cert.stall_id, cert.valid_until) == (
        "organic", owned["product"].id, None, date(2027, 1, 31))


def test_add_stall_certificate(client, auth, db, owned):
    auth.login(owned["seller"])
    client.post(f"/seller/products/{owned['product'].id}/certificates",
                data={"cert-kind": "vietgap", "cert-number": "VG-S", "cert-for_stall": "y"})
    cert = db.session.scalar(sa.select(Certificate).where(Certificate.number == "VG-S"))
    assert (cert.stall_id, cert.product_id) == (owned["stall"].id, None)


def test_unknown_certificate_kind_is_refused(client, auth, db, owned):
    auth.login(owned["seller"])
    response = client.post(f"/seller/products/{owned['product'].id}/certificates",
                           data={"cert-kind": "fake", "cert-number": "X"})
    assert response.status_code == 400
    assert count(db, Certificate) == 2


def test_edit_and_delete_stall_certificate(client, auth, db, owned):
    auth.login(owned["seller"])
    cert_id = owned["stall_cert"].id
    client.post(f"/seller/certificates/{cert_id}/edit",
                data={"kind": "food_safety", "number": "ATTP-2", "valid_until": "2020-01-01"})
    db.session.expire_all()
    assert db.session.get(Certificate, cert_id).number == "ATTP-2"
    client.post(f"/seller/certificates/{cert_id}/delete")
    assert count(db, Certificate) == 1


def test_edit_redirects_only_to_a_safe_next(client, auth, owned):
    auth.login(owned["seller"])
    response = client.post(f"/seller/certificates/{owned['cert'].id}/edit",
                           data={"kind": "vietgap", "number": "VG-2",
                                 "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_delete_without_csrf_token_changes_nothing(extra_app, db, owned):
    client = extra_app(WTF_CSRF_ENABLED=True).test_client()
    with client.session_transaction() as session:  # logged in, but no token in the form
        session["_user_id"] = owned["seller"].get_id()
        session["_fresh"] = True
    response = client.post(f"/seller/batches/{owned['batch'].id}/delete")
    assert response.status_code == 400
    assert count(db, Batch) == 1
