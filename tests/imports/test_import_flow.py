"""Uploading exports: preview, SKU mapping, confirm, re-import, bad files, who may import."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.imports.models import (
    ImportedSaleLine,
    MarketplaceImport,
    PendingImportFile,
    SkuMapping,
)
from tests.factories import make_fair, make_organizer, make_participation, make_product, make_stall
from tests.imports import builders as b
from tests.keys import new_key


def _lines():
    return list(db.session.scalars(sa.select(ImportedSaleLine).order_by(ImportedSaleLine.id)))


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _upload(client, url, files, stall=None):
    data = {"files": [(io.BytesIO(content), name) for name, content in files]}
    if stall is not None:
        data["stall"] = str(stall.id)
    return client.post(url, data=data, content_type="multipart/form-data")


def _shopee_export(status="Đang giao"):
    return b.shopee_file([
        b.shopee_line("230620AAA", "VAI-2KG", 3, status=status),
        b.shopee_line("230620AAA", "VAI-5KG", 1, price=300000, status=status),
        b.shopee_line("230621BBB", "VAI-2KG", 2, status="Đã hủy"),
    ])


def _setup(auth):
    stall = make_stall()
    product = make_product(stall, name="Vải thiều hộp 2kg", net_weight_kg=Decimal("2.000"))
    auth.login(stall.owner)
    return stall, product


def test_preview_shows_counts_and_saves_nothing(client, auth):
    stall, _product = _setup(auth)
    response = _upload(client, "/seller/imports", [("Order.all.xlsx", _shopee_export())], stall)
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Xem trước" in text and "VAI-5KG" in text and "chưa ghép" in text
    assert "660.000 ₫" in text  # 3 × 120.000 + 300.000 in progress; the cancelled line not
    assert _count(ImportedSaleLine) == 0 and _count(MarketplaceImport) == 0


def test_confirm_saves_lines_with_mapped_weight_and_remembers_mapping(client, auth):
    stall, product = _setup(auth)
    preview_url = _upload(client, "/seller/imports", [("o.xlsx", _shopee_export())],
                          stall).headers["Location"]
    response = client.post(preview_url, data={"action": "confirm", "once_key": new_key(),
                                              "map:shopee:VAI-2KG": str(product.id)})
    assert response.status_code == 302
    lines = _lines()
    assert len(lines) == 3
    mapped = [x for x in lines if x.seller_sku == "VAI-2KG"]
    assert {x.product_id for x in mapped} == {product.id}
    assert {x.net_weight_kg for x in mapped} == {Decimal("2.000")}
    assert [x.product_id for x in lines if x.seller_sku == "VAI-5KG"] == [None]
    assert db.session.scalar(sa.select(SkuMapping.product_id)) == product.id
    assert _count(PendingImportFile) == 0


def test_mapping_is_remembered_on_next_upload(client, auth):
    stall, product = _setup(auth)
    db.session.add(SkuMapping(stall_id=stall.id, platform="shopee", seller_sku="VAI-2KG",
                              product_id=product.id))
    db.session.commit()
    url = _upload(client, "/seller/imports", [("o.xlsx", _shopee_export())], stall)
    text = client.get(url.headers["Location"]).get_data(as_text=True)
    assert f'<option value="{product.id}" selected>' in text


def test_reimporting_the_same_file_changes_nothing(client, auth):
    stall, product = _setup(auth)
    for _ in range(2):
        url = _upload(client, "/seller/imports", [("o.xlsx", _shopee_export())],
                      stall).headers["Location"]
        client.post(url,
                    data={"action": "confirm", "once_key": new_key(),
                          "map:shopee:VAI-2KG": str(product.id)})
    lines = _lines()
    assert len(lines) == 3
    assert sum(x.net_amount for x in lines) == 360000 + 300000 + 240000
    assert {x.import_id for x in lines} == {db.session.scalar(sa.select(
        sa.func.min(MarketplaceImport.id)))}


def test_newer_export_updates_status_without_double_counting(client, auth):
    stall, _product = _setup(auth)
    for status in ("Đang giao", "Hoàn thành"):
        url = _upload(client, "/seller/imports", [("o.xlsx", _shopee_export(status))],
                      stall).headers["Location"]
        client.post(url, data={"action": "confirm", "once_key": new_key()})
    lines = _lines()
    assert len(lines) == 3
    assert sorted(x.status_class for x in lines) == ["cancelled", "sale", "sale"]


def test_lazada_reimport_upserts_by_item_id(client, auth):
    stall, _product = _setup(auth)
    for status in ("shipped", "delivered"):
        records = [b.lazada_item(str(500 + i), "9001", "VAI-2KG", status=status)
                   for i in range(3)]
        url = _upload(client, "/seller/imports", [("l.xlsx", b.lazada_file(records))],
                      stall).headers["Location"]
        client.post(url, data={"action": "confirm", "once_key": new_key()})
    lines = _lines()
    assert [(x.line_key, x.status_class, x.qty) for x in lines] == [
        ("500", "sale", 1), ("501", "sale", 1), ("502", "sale", 1)]


def test_same_lines_in_two_files_of_one_upload_count_once(client, auth):
    stall, _product = _setup(auth)
    line = b.tiktok_line("576461234567890123", "VAI-2KG", 2)
    files = [("a.csv", b.tiktok_csv([line])), ("b.xlsx", b.tiktok_xlsx([line]))]
    url = _upload(client, "/seller/imports", files, stall).headers["Location"]
    client.post(url, data={"action": "confirm", "once_key": new_key()})
    assert [x.qty for x in _lines()] == [2]


def test_unknown_status_is_listed_in_preview(client, auth):
    stall, _product = _setup(auth)
    data = b.tiktok_csv([b.tiktok_line("576461234567890123", "A", 1, status="Lạ lắm")])
    url = _upload(client, "/seller/imports", [("t.csv", data)], stall).headers["Location"]
    assert "“Lạ lắm”" in client.get(url).get_data(as_text=True)


def test_bad_file_gives_a_clear_message_and_saves_nothing(client, auth):
    stall, _product = _setup(auth)
    response = _upload(client, "/seller/imports",
                       [("good.xlsx", _shopee_export()), ("bad.xlsx", b"PK\x03\x04junk")], stall)
    assert response.status_code == 200
    assert "bad.xlsx: tệp Excel bị hỏng" in response.get_data(as_text=True)
    assert _count(PendingImportFile) == 0 and _count(ImportedSaleLine) == 0


def test_file_that_is_no_export_is_refused(client, auth):
    stall, _product = _setup(auth)
    response = _upload(client, "/seller/imports", [("x.csv", b"a,b\n1,2\n")], stall)
    assert "không nhận ra tệp xuất đơn" in response.get_data(as_text=True)


def test_mapping_to_another_stalls_product_is_refused(client, auth):
    stall, _product = _setup(auth)
    foreign = make_product(make_stall())
    url = _upload(client, "/seller/imports", [("o.xlsx", _shopee_export())],
                  stall).headers["Location"]
    response = client.post(url, data={"action": "confirm", "once_key": new_key(),
                                      "map:shopee:VAI-2KG": str(foreign.id)})
    assert "không thuộc gian hàng này" in response.get_data(as_text=True)
    assert _count(ImportedSaleLine) == 0 and _count(SkuMapping) == 0


def test_another_seller_cannot_import_into_my_stall(client, auth):
    mine = make_stall()
    other = make_stall()
    auth.login(other.owner)
    response = _upload(client, "/seller/imports", [("o.xlsx", _shopee_export())], mine)
    assert response.status_code == 200
    assert _count(PendingImportFile) == 0


def test_another_seller_cannot_open_my_preview(client, auth, app):
    stall, _product = _setup(auth)
    url = _upload(client, "/seller/imports", [("o.xlsx", _shopee_export())],
                  stall).headers["Location"]
    auth.logout()
    auth.login(make_stall().owner)
    assert client.get(url).status_code == 404
    assert client.post(url, data={"action": "confirm", "once_key": new_key()}).status_code == 404
    assert _count(ImportedSaleLine) == 0


def test_anonymous_is_sent_to_login(client):
    response = client.get("/seller/imports")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_shopper_is_forbidden(client, auth):
    from tests.factories import make_user

    auth.login(make_user())
    assert client.get("/seller/imports").status_code == 403


def test_organizers_never_import_even_for_a_stall_at_their_fair(client, auth):
    organizer = make_organizer()
    stall = make_stall()
    make_participation(make_fair(organizer), stall)
    auth.login(organizer)
    assert client.get("/organizer/imports").status_code == 404
    for url in ("/organizer/imports", "/seller/imports"):
        response = _upload(client, url, [("o.xlsx", _shopee_export())], stall)
        assert response.status_code in (403, 404)
    assert _count(PendingImportFile) == 0 and _count(ImportedSaleLine) == 0
    assert _count(SkuMapping) == 0


def test_an_organizer_cannot_confirm_a_sellers_pending_import(client, auth):
    stall, _product = _setup(auth)
    url = _upload(client, "/seller/imports", [("o.xlsx", _shopee_export())],
                  stall).headers["Location"]
    auth.logout()
    organizer = make_organizer()
    make_participation(make_fair(organizer), stall)
    auth.login(organizer)
    batch = url.rsplit("/", 1)[1]
    for target in (url, f"/organizer/imports/{batch}"):
        assert client.post(target, data={"action": "confirm"}).status_code in (403, 404)
    assert _count(ImportedSaleLine) == 0 and _count(SkuMapping) == 0


def test_discard_forgets_the_upload(client, auth):
    stall, _product = _setup(auth)
    url = _upload(client, "/seller/imports", [("o.xlsx", _shopee_export())],
                  stall).headers["Location"]
    client.post(url + "/discard")
    assert _count(PendingImportFile) == 0
    assert client.get(url).status_code == 404


def test_mapping_later_updates_lines_imported_earlier(client, auth):
    stall, product = _setup(auth)
    url = _upload(client, "/seller/imports", [("o.xlsx", _shopee_export())],
                  stall).headers["Location"]
    client.post(url, data={"action": "confirm", "once_key": new_key()})
    other = b.shopee_file([b.shopee_line("230630CCC", "VAI-2KG", 1)])
    url = _upload(client, "/seller/imports", [("o2.xlsx", other)], stall).headers["Location"]
    resp = client.post(url,
                       data={"action": "confirm", "once_key": new_key(),
                             "map:shopee:VAI-2KG": str(product.id)})
    # Earlier lines would change: the preview shows how, and nothing is saved yet.
    text = resp.get_data(as_text=True)
    assert "Ghép lại sẽ thay đổi số liệu đã có" in text and 'name="remap_ok"' in text
    assert "0 → 6" in text  # 3 units of the in-progress line × 2 kg
    assert "360.000 ₫" in text
    assert {x.product_id for x in _lines() if x.seller_sku == "VAI-2KG"} == {None}
    client.post(url,
                data={"action": "confirm", "once_key": new_key(),
                      "map:shopee:VAI-2KG": str(product.id),
                           "remap_ok": "1"})
    assert {x.product_id for x in _lines() if x.seller_sku == "VAI-2KG"} == {product.id}


def test_remapping_to_another_product_shows_the_change_and_asks(client, auth):
    stall, product = _setup(auth)
    bigger = make_product(stall, name="Vải thiều thùng 5kg", net_weight_kg=Decimal("5.000"))
    url = _upload(client, "/seller/imports", [("o.xlsx", _shopee_export())],
                  stall).headers["Location"]
    client.post(url,
                data={"action": "confirm", "once_key": new_key(),
                      "map:shopee:VAI-2KG": str(product.id)})
    assert len(_lines()) == 3
    url = _upload(client, "/seller/imports", [("o.xlsx", _shopee_export())],
                  stall).headers["Location"]
    resp = client.post(url,
                       data={"action": "confirm", "once_key": new_key(),
                             "map:shopee:VAI-2KG": str(bigger.id)})
    text = resp.get_data(as_text=True)
    assert "Vải thiều hộp 2kg" in text and "6 → 15" in text
    assert {x.product_id for x in _lines() if x.seller_sku == "VAI-2KG"} == {product.id}
    # Keeping the mapping as it was asks nothing.
    resp = client.post(url,
                       data={"action": "confirm", "once_key": new_key(),
                             "map:shopee:VAI-2KG": str(product.id)})
    assert resp.status_code == 302


def test_seller_me_page_links_to_imports(client, auth):
    _setup(auth)
    assert "/seller/imports" in client.get("/me").get_data(as_text=True)


def test_returned_lines_are_stored_and_reported_as_returns(client, auth):
    stall, product = _setup(auth)
    export = b.shopee_file([
        b.shopee_line("230620AAA", "VAI-2KG", 3),
        b.shopee_line("230622DDD", "VAI-2KG", 2, status="Trả hàng/Hoàn tiền"),
        b.shopee_line("230621BBB", "VAI-2KG", 1, status="Đã hủy"),
    ])
    url = _upload(client, "/seller/imports", [("o.xlsx", export)], stall).headers["Location"]
    client.post(url,
                data={"action": "confirm", "once_key": new_key(),
                      "map:shopee:VAI-2KG": str(product.id)})
    returned = [x for x in _lines() if x.external_order_id == "230622DDD"]
    assert [(x.status_class, x.returned_qty) for x in returned] == [("returned", 2)]
    html = client.get("/seller/summary?all=1").get_data(as_text=True)
    # 240.000 ₫ and 4 kg came back; only the 120.000 ₫ line is a cancellation.
    assert re.search(r'data-field="returned">240\.000 ₫</span>\s*<span class="muted">4 kg',
                     html), html
    assert re.search(r"Đơn hủy</span><span class=\"stat-value\">120\.000 ₫", html)
    assert 'data-field="net">360.000 ₫' in html
