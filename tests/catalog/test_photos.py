"""Product photos: resized and re-encoded on upload, at most six, removable."""

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace.catalog.models import Product, ProductImage
from marketplace.storage import StoredImage
from tests.catalog.conftest import png_bytes
from tests.factories import make_product, make_seller, make_stall


@pytest.fixture
def seller_stall(auth):
    seller = make_seller()
    stall = make_stall(owner=seller)
    auth.login(seller)
    return stall


def _post_with_photos(client, url, form, photos):
    data = dict(form)
    data["photos"] = [(io.BytesIO(raw), name) for name, raw in photos]
    return client.post(url, data=data, content_type="multipart/form-data")


def test_large_png_is_stored_as_jpeg_at_most_1200px(client, db, seller_stall, product_form):
    response = _post_with_photos(client, "/seller/products/new", product_form(),
                                 [("big.png", png_bytes(3000, 2000))])
    assert response.status_code == 302
    product = db.session.scalar(sa.select(Product))
    (photo,) = product.images
    stored = db.session.get(StoredImage, photo.image_id)
    image = Image.open(io.BytesIO(stored.data))
    assert image.format == "JPEG"
    assert max(image.size) <= 1200
    assert image.size == (1200, 800)


def test_non_image_upload_is_refused_and_nothing_saved(client, db, seller_stall, product_form):
    response = _post_with_photos(client, "/seller/products/new", product_form(),
                                 [("virus.png", b"MZ this is not a picture")])
    assert response.status_code == 400
    assert "Tệp không phải là ảnh hợp lệ." in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(Product)).all() == []
    assert db.session.scalars(sa.select(StoredImage)).all() == []


def test_at_most_six_photos(client, db, seller_stall, product_form):
    product = make_product(seller_stall)
    photos = [(f"{n}.png", png_bytes()) for n in range(7)]
    response = _post_with_photos(client, f"/seller/products/{product.id}/edit", product_form(),
                                 photos)
    assert response.status_code == 400
    assert "tối đa 6 ảnh" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(ProductImage)).all() == []


def test_remove_photo(client, db, seller_stall, product_form):
    product = make_product(seller_stall)
    _post_with_photos(client, f"/seller/products/{product.id}/edit", product_form(),
                      [("a.png", png_bytes()), ("b.png", png_bytes(color="green"))])
    first, second = db.session.scalars(sa.select(ProductImage).order_by(ProductImage.position))
    response = client.post(f"/seller/products/{product.id}/photos/{first.id}/delete")
    assert response.status_code == 302
    remaining = db.session.scalars(sa.select(ProductImage)).all()
    assert [p.id for p in remaining] == [second.id]
    assert db.session.get(StoredImage, first.image_id) is None


def test_cannot_remove_photo_of_another_product(client, db, seller_stall):
    mine = make_product(seller_stall)
    other = make_product(make_stall())
    image = StoredImage(sha256="x", width=1, height=1, data=b"x")
    db.session.add(image)
    db.session.flush()
    photo = ProductImage(product=other, image_id=image.id)
    db.session.add(photo)
    db.session.commit()
    client.post(f"/seller/products/{mine.id}/photos/{photo.id}/delete")
    assert db.session.get(ProductImage, photo.id) is not None


def test_photos_of_one_request_share_a_pixel_budget(client, db, seller_stall, product_form,
                                                    monkeypatch):
    from marketplace import storage

    monkeypatch.setattr(storage, "MAX_REQUEST_PIXELS", 4 * 40 * 30)
    over = _post_with_photos(client, "/seller/products/new", product_form(),
                             [(f"{n}.png", png_bytes(40, 30)) for n in range(5)])
    assert over.status_code == 400
    assert "tổng tối đa" in over.get_data(as_text=True)
    assert db.session.scalars(sa.select(StoredImage)).all() == []
    assert db.session.scalars(sa.select(Product)).all() == []
    within = _post_with_photos(client, "/seller/products/new", product_form(),
                               [(f"{n}.png", png_bytes(40, 30)) for n in range(4)])
    assert within.status_code == 302
    assert len(db.session.scalars(sa.select(StoredImage)).all()) == 4


def test_huge_images_are_refused_from_their_headers_before_decoding(
        client, db, seller_stall, product_form, monkeypatch):
    from marketplace import storage

    decoded = []
    real = storage.process_image
    monkeypatch.setattr(storage, "process_image", lambda raw, *a, **k: decoded.append(1)
                        or real(raw, *a, **k))
    photos = [(f"{n}.png", png_bytes(6000, 5000)) for n in range(3)]  # 90 megapixels
    response = _post_with_photos(client, "/seller/products/new", product_form(), photos)
    assert response.status_code == 400
    assert decoded == []
    assert db.session.scalars(sa.select(StoredImage)).all() == []
