"""Provinces and communes since 1 July 2025, and the old province names that still work."""

from __future__ import annotations

import pytest

from marketplace.delivery import units


def test_there_are_34_provinces_and_cities():
    names = [p.name for p in units.provinces()]
    assert len(names) == 34
    assert "Bắc Ninh" in names and "Thành phố Huế" in names and "Bắc Giang" not in names


@pytest.mark.parametrize(("written", "today"), [
    # Published merges of Nghị quyết 202/2025/QH15.
    ("Bắc Giang", "Bắc Ninh"),
    ("bac giang", "Bắc Ninh"),
    ("Tỉnh Hà Giang", "Tuyên Quang"),
    ("Quảng Nam", "Thành phố Đà Nẵng"),
    ("Bà Rịa - Vũng Tàu", "Thành phố Hồ Chí Minh"),
    ("Bình Dương", "Thành phố Hồ Chí Minh"),
    ("Hải Dương", "Thành phố Hải Phòng"),
    ("Nam Định", "Ninh Bình"),
    ("Hậu Giang", "Thành phố Cần Thơ"),
    ("Kiên Giang", "An Giang"),
    ("Vĩnh Phúc", "Phú Thọ"),
])
def test_an_old_province_name_finds_the_province_it_joined(written, today):
    province, old = units.find_province(written)
    assert province.name == today
    assert old is not None


@pytest.mark.parametrize("written", ["Hà Nội", "ha noi", "TP. Hà Nội", "Thành phố Hà Nội"])
def test_todays_names_are_read_with_or_without_accents_and_prefix(written):
    province, old = units.find_province(written)
    assert (province.name, old) == ("Thành phố Hà Nội", None)


def test_every_old_province_is_accounted_for():
    """63 provinces before: the 34 of today plus the 29 merged into them."""
    today = {int(p.code) for p in units.provinces()}
    assert set(units.OLD_PROVINCES.values()) <= today
    assert len(units.OLD_PROVINCES) == 63 - 34


def test_an_unknown_province_is_not_guessed():
    assert units.find_province("Atlantis") is None
    assert units.find_province("") is None


def test_communes_are_read_by_name_without_accents_or_prefix():
    assert units.find_ward(24, "lục ngạn").name == "Xã Lục Ngạn"
    assert units.find_ward(24, "Phường Chũ").name == "Phường Chũ"
    assert units.find_ward(24, "Không Có") is None


def test_an_address_written_before_2025_finds_its_province_today():
    place = units.place_in_address("Thôn 3, xã Nam Dương, Lục Ngạn, Bắc Giang")
    assert place.province.name == "Bắc Ninh"
    assert place.ward.name == "Xã Nam Dương"
    assert place.old_name == "Bắc Giang"
    assert units.place_in_address("Số 5, ngõ 7") is None
