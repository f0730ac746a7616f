"""Helpers for catalog tests: images made in memory and a valid product form."""

from __future__ import annotations

import io

import pytest
from PIL import Image


def png_bytes(width: int = 40, height: int = 30, color: str = "orange") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def product_form():
    """Return a function building a valid product form post, with overrides."""

    def build(**overrides) -> dict:
        data = {
            "name": "Vải thiều Lục Ngạn",
            "category": "trai-cay",
            "description": "Vải chín cây, hái buổi sáng.",
            "unit": "hộp",
            "net_weight_kg": "2",
            "price": "120.000",
            "stock": "50",
            "active": "y",
            "gtin": "",
            "producer_name": "",
            "producer_kind": "",
            "producer_address": "",
            "growing_area": "",
            "growing_area_code": "",
            "variety": "Vải thiều Thanh Hà",
            "planting_year": "2010",
            "harvest_start": "2024-06-01",
            "harvest_end": "2024-07-10",
            "ocop_stars": "",
            "ocop_year": "",
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    return build


@pytest.fixture
def stall_form():
    """Return a function building a valid stall form post, with overrides."""

    def build(**overrides) -> dict:
        data = {
            "name": "Tương làng Trí Yên",
            "slug": "",
            "story": "Tương ủ chum sành theo cách của làng.",
            "commune": "Trí Yên",
            "district": "Yên Dũng",
            "province": "Bắc Giang",
            "phone": "0912 345 678",
            "zalo": "0912345678",
            "bank_bin": "970405",
            "bank_account_number": "1234 5678 9012",
            "bank_account_name": "Trần Thị Lan",
            "producer_name": "Hộ bà Trần Thị Lan",
            "producer_kind": "household",
            "producer_address": "Thôn Trung, xã Trí Yên",
            "growing_area": "",
            "growing_area_code": "",
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    return build


@pytest.fixture
def second_client(make_app):
    """A client of another app on the same database; its pool is closed afterwards."""
    from marketplace.extensions import db

    apps = []

    def build(**config):
        other = make_app(**config)
        apps.append(other)
        return other.test_client()

    yield build
    for other in apps:
        with other.app_context():
            db.engine.dispose()
