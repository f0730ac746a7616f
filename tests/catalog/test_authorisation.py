"""Only a stall's owner manages it: not other sellers, shoppers, anonymous or former owners."""

import pytest

from tests.factories import make_organizer, make_product, make_seller, make_stall, make_user

# (method, url template) — {slug}, {pid} and {photo} are filled with the victim's stall.
STALL_SCREENS = [
    ("GET", "/stalls/{slug}/manage"),
    ("POST", "/stalls/{slug}/manage"),
    ("GET", "/stalls/{slug}/manage/products"),
    ("GET", "/stalls/{slug}/manage/products/new"),
    ("POST", "/stalls/{slug}/manage/products/new"),
    ("GET", "/stalls/{slug}/manage/products/{pid}/edit"),
    ("POST", "/stalls/{slug}/manage/products/{pid}/edit"),
    ("POST", "/stalls/{slug}/manage/products/{pid}/active"),
    ("POST", "/stalls/{slug}/manage/products/{pid}/photos/1/delete"),
    ("GET", "/stalls/{slug}/manage/products/export.csv"),
    ("GET", "/stalls/{slug}/manage/products/import"),
    ("POST", "/stalls/{slug}/manage/products/import"),
]
SELLER_SCREENS = [
    ("GET", "/seller/stall"),
    ("POST", "/seller/stall"),
    ("GET", "/seller/products"),
    ("GET", "/seller/products/new"),
    ("POST", "/seller/products/new"),
    ("GET", "/seller/products/{pid}/edit"),
    ("POST", "/seller/products/{pid}/edit"),
    ("POST", "/seller/products/{pid}/active"),
    ("POST", "/seller/products/{pid}/photos/1/delete"),
    ("GET", "/seller/products/export.csv"),
    ("GET", "/seller/products/import"),
    ("POST", "/seller/products/import"),
]
ORGANIZER_SCREENS = [
    ("GET", "/organizer/stalls"),
    ("GET", "/organizer/stalls/new"),
    ("POST", "/organizer/stalls/new"),
    ("GET", "/stalls/{slug}/manage/handover"),
    ("POST", "/stalls/{slug}/manage/handover"),
]


@pytest.fixture
def victim():
    owner = make_seller()
    stall = make_stall(owner=owner, slug="gian-nan-nhan", name="Gian nạn nhân")
    product = make_product(stall, name="Hàng nạn nhân", price=45000)
    return {"slug": stall.slug, "pid": product.id, "stall": stall, "product": product}


def _call(client, method, template, victim):
    url = template.format(**victim)
    return client.open(url, method=method, data={"name": "Đã bị sửa", "price": "1",
                                                  "active": "0", "phone": "0912000090"})


@pytest.mark.parametrize(("method", "url"), STALL_SCREENS + SELLER_SCREENS + ORGANIZER_SCREENS)
def test_anonymous_is_sent_to_login(client, victim, method, url):
    response = _call(client, method, url, victim)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(("method", "url"), STALL_SCREENS)
def test_other_seller_is_refused_stall_screens(client, auth, db, victim, method, url):
    intruder = make_seller()
    make_stall(owner=intruder)
    auth.login(intruder)
    assert _call(client, method, url, victim).status_code in (403, 404)
    db.session.refresh(victim["product"])
    assert (victim["product"].name, victim["product"].price) == ("Hàng nạn nhân", 45000)
    assert victim["product"].active


@pytest.mark.parametrize(("method", "url"), [s for s in SELLER_SCREENS if "{pid}" in s[1]])
def test_other_seller_cannot_reach_product_through_own_screens(client, auth, db, victim, method,
                                                              url):
    intruder = make_seller()
    make_stall(owner=intruder)
    auth.login(intruder)
    assert _call(client, method, url, victim).status_code == 404
    db.session.refresh(victim["product"])
    assert victim["product"].name == "Hàng nạn nhân" and victim["product"].active


@pytest.mark.parametrize(("method", "url"), STALL_SCREENS + SELLER_SCREENS + ORGANIZER_SCREENS)
def test_shopper_is_refused(client, auth, victim, method, url):
    auth.login(make_user("shopper"))
    assert _call(client, method, url, victim).status_code == 403


@pytest.mark.parametrize(("method", "url"), STALL_SCREENS + ORGANIZER_SCREENS[3:])
def test_organizer_is_refused_stalls_they_do_not_own(client, auth, db, victim, method, url):
    auth.login(make_organizer())
    assert _call(client, method, url, victim).status_code == 404  # others' stalls don't leak
    db.session.refresh(victim["stall"])
    assert victim["stall"].name == "Gian nạn nhân"


@pytest.mark.parametrize(("method", "url"), ORGANIZER_SCREENS)
def test_seller_is_refused_organizer_screens(client, auth, victim, method, url):
    seller = victim["stall"].owner
    auth.login(seller)
    assert _call(client, method, url, victim).status_code == 403


@pytest.mark.parametrize(("method", "url"), SELLER_SCREENS)
def test_organizer_is_refused_seller_shortcuts(client, auth, victim, method, url):
    auth.login(make_organizer())
    assert _call(client, method, url, victim).status_code == 403


def test_owner_reaches_stall_screens(client, auth, victim):
    auth.login(victim["stall"].owner)
    for method, url in STALL_SCREENS:
        if method == "GET":
            assert _call(client, method, url, victim).status_code == 200, url
