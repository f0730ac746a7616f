"""GS1 Digital Link: /01/<gtin>[/10/<lot>] answers 303 to the product (batch) page."""

from __future__ import annotations

import pytest

from marketplace.catalog.gtin import gs1_check_digit
from marketplace.provenance.gs1 import gtin_forms
from tests.factories import make_product


@pytest.mark.parametrize("gtin", ["4006381333931", "9501101530003", "036000291452", "96385074"])
def test_published_gs1_examples_have_valid_check_digits(gtin):
    assert gs1_check_digit(gtin[:-1]) == int(gtin[-1])


def test_gtin_forms_include_shorter_spellings():
    assert gtin_forms("00036000291452") == ["00036000291452", "0036000291452", "036000291452"]


def test_gtin_redirects_303_to_the_product_page(client):
    product = make_product(gtin="04006381333931")
    response = client.get("/01/04006381333931")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/p/{product.code}")


def test_gtin_13_in_the_link_finds_the_14_digit_gtin(client):
    product = make_product(gtin="09501101530003")
    response = client.get("/01/9501101530003")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/p/{product.code}")


def test_gtin_with_lot_redirects_to_the_batch_page(client):
    product = make_product(gtin="00036000291452")
    response = client.get("/01/00036000291452/10/LN24-A")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/p/{product.code}?lot=LN24-A")


def test_redirect_target_opens_the_page(client):
    make_product(gtin="04006381333931", name="Mỳ rau củ")
    location = client.get("/01/04006381333931").headers["Location"]
    response = client.get(location)
    assert response.status_code == 200
    assert "Mỳ rau củ" in response.get_data(as_text=True)


def test_wrong_check_digit_is_400(client):
    response = client.get("/01/04006381333932")
    assert response.status_code == 400
    assert "Mã vạch không hợp lệ" in response.get_data(as_text=True)


@pytest.mark.parametrize("bad", ["12345", "0400638133393X", "123456789012345"])
def test_malformed_gtin_is_400(client, bad):
    assert client.get(f"/01/{bad}").status_code == 400


def test_unknown_gtin_is_404(client):
    response = client.get("/01/04006381333931")
    assert response.status_code == 404
    assert "Không tìm thấy sản phẩm" in response.get_data(as_text=True)
